/**
 * Retention of checkpoints an earlier run left (issue #11, defect 8), at the
 * coordinator: `enforceRetention()` discards the oldest beyond `retained` (classify
 * first, then discard), keeps the newest — the restored one — as the recovery
 * point, and an earlier run's leftovers are never a recovery point.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CheckpointCoordinator } from './checkpoint-coordinator.ts';
import { resolveCheckpointConfig } from './checkpoint-config.ts';
import type { CompletedCheckpoint } from './checkpoint-metadata.ts';
import { ManualClock } from '../../common/clock.ts';
import { ManualScheduler } from './scheduler.ts';

function completed(id: number): CompletedCheckpoint {
  const directory = `/cp/job/chk-${id}`;
  return {
    jobId: 'job', checkpointId: id, kind: 'checkpoint', triggerTimestamp: id * 10, completionTimestamp: id * 10 + 5,
    metadataPath: `${directory}/_metadata`, directory, metadata: { files: [] } as unknown as CompletedCheckpoint['metadata'],
  };
}

function coordinator(retained: number, onDisk: number[], recoverFromRetained?: boolean) {
  const timers = new ManualScheduler(new ManualClock(1000));
  const discarded: string[] = [];
  const coord = new CheckpointCoordinator({
    jobId: 'job', config: resolveCheckpointConfig({ retained }), clock: timers.clock, scheduler: timers,
    tasksToAcknowledge: [{ vertexId: 'src', subtask: 0 }],
    retainedCheckpoints: onDisk.map(completed),
    ...(recoverFromRetained === undefined ? {} : { recoverFromRetained }),
    firstCheckpointId: Math.max(0, ...onDisk) + 1,
    effects: {
      triggerSources: () => {}, notifyComplete: () => {}, notifyAborted: () => {}, failJob: () => {},
      finalize: async () => { throw new Error('not in this test'); },
      discard: async (id, reason) => { discarded.push(`${id} ${reason}`); },
    },
  });
  return { coord, discarded };
}

test('enforceRetention discards the oldest beyond `retained`; the newest (restored) one stays the recovery point', async () => {
  const { coord, discarded } = coordinator(2, [3, 1, 4, 2]);
  assert.deepEqual(coord.enforceRetention(), [1, 2]);
  await coord.whenIdle();
  assert.deepEqual(discarded, ['1 retention', '2 retention']);
  assert.deepEqual(coord.retainedCheckpoints().map((c) => c.checkpointId), [3, 4]);
  assert.equal(coord.latestCompleted()?.checkpointId, 4);
  assert.deepEqual(coord.enforceRetention(), [], 'idempotent');
  assert.equal(coord.nextCheckpointId, 5);
});

test('an earlier run\'s leftovers are subject to retention but never a recovery point', async () => {
  const { coord, discarded } = coordinator(1, [1, 2], false);
  assert.deepEqual(coord.enforceRetention(), [1]);
  await coord.whenIdle();
  assert.deepEqual(discarded, ['1 retention']);
  assert.deepEqual(coord.retainedCheckpoints().map((c) => c.checkpointId), [2]);
  assert.equal(coord.latestCompleted(), undefined);
});
