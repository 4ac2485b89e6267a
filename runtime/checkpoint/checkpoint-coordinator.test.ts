import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { resolveCheckpointConfig } from './checkpoint-config.ts';
import { CheckpointCoordinator } from './checkpoint-coordinator.ts';
import { CheckpointStorage } from './checkpoint-storage.ts';
import { ManualClock } from '../../common/clock.ts';
import { ManualScheduler } from './scheduler.ts';
import { SRC0, MAP0, MAP1, fakeCompleted, ack, harness, rejection } from './coordinator-test-support.ts';

describe('CheckpointCoordinator: triggering', () => {
  test('periodic triggers every intervalMs with strictly increasing ids', async () => {
    const h = harness({ intervalMs: 100 });
    h.coord.startPeriodic();
    h.timers.advance(99);
    assert.equal(h.triggers.length, 0);
    h.timers.advance(1);
    assert.deepEqual(h.triggers.map((t) => [t.id, t.ts]), [[1, 1100]]);
    h.ackAll(1);
    await h.coord.whenIdle();
    h.timers.advance(100);
    h.ackAll(2);
    await h.coord.whenIdle();
    h.timers.advance(100);
    assert.deepEqual(h.triggers.map((t) => [t.id, t.ts]), [[1, 1100], [2, 1200], [3, 1300]]);
    assert.deepEqual(h.triggers[0].options, { kind: 'checkpoint', alignment: 'aligned', alignedTimeoutMs: 0 });
    h.coord.stop();
  });

  test('suspendPeriodic stops periodic triggers (stop-with-savepoint) until startPeriodic', async () => {
    const h = harness({ intervalMs: 100 });
    h.coord.startPeriodic();
    h.timers.advanceTo(1100);
    h.ackAll(1);
    await h.coord.whenIdle();
    h.coord.suspendPeriodic();
    h.timers.advanceTo(1500);
    assert.deepEqual(h.triggers.map((t) => t.id), [1], 'no periodic trigger while suspended');
    h.coord.startPeriodic(); // the savepoint failed: the job goes on
    h.timers.advanceTo(1600);
    assert.deepEqual(h.triggers.map((t) => [t.id, t.ts]), [[1, 1100], [2, 1600]]);
  });

  test('min pause is measured from the end of the last checkpoint and postpones the periodic trigger', async () => {
    const h = harness({ intervalMs: 100, minPauseMs: 50 });
    h.coord.startPeriodic();
    h.timers.advanceTo(1100); // #1
    h.timers.advanceTo(1180);
    h.ackAll(1);
    await h.coord.whenIdle(); // completed at 1180
    h.timers.advanceTo(1229); // tick at 1200 postponed to 1230
    assert.deepEqual(h.triggers.map((t) => t.ts), [1100]);
    h.timers.advanceTo(1230);
    assert.deepEqual(h.triggers.map((t) => [t.id, t.ts]), [[1, 1100], [2, 1230]]);
    // With a min pause, a tick while a checkpoint is pending is skipped.
    h.timers.advanceTo(1330);
    assert.equal(h.triggers.length, 2);
    h.coord.abort(2); // ends at 1330 (failed checkpoints count as an end too)
    h.timers.advanceTo(1430);
    assert.deepEqual(h.triggers.map((t) => [t.id, t.ts]), [[1, 1100], [2, 1230], [3, 1430]]);
    h.coord.stop();
  });

  test('maxConcurrent: periodic triggers beyond it are skipped, manual ones rejected', async () => {
    const h = harness({ intervalMs: 100, maxConcurrent: 2 });
    h.coord.startPeriodic();
    h.timers.advanceTo(1400);
    assert.deepEqual(h.triggers.map((t) => [t.id, t.ts]), [[1, 1100], [2, 1200]]);
    const e = await rejection(h.coord.trigger());
    assert.equal(e.code, 'WEIR_CHECKPOINT_FAILED');
    assert.equal(e.details.reason, 'TOO_MANY_CHECKPOINT_REQUESTS');
    h.timers.advanceTo(1450);
    h.ackAll(1);
    await h.coord.whenIdle();
    h.timers.advanceTo(1500);
    assert.deepEqual(h.triggers.map((t) => [t.id, t.ts]), [[1, 1100], [2, 1200], [3, 1500]]);
    assert.deepEqual(h.coord.pendingCheckpointIds(), [2, 3]);
    h.coord.stop();
  });

  test('alignment options: unaligned, aligned-with-timeout, savepoints always aligned', async () => {
    const h = harness({ unaligned: true, alignedCheckpointTimeoutMs: 40 });
    void h.coord.trigger();
    assert.deepEqual(h.triggers[0].options, { kind: 'checkpoint', alignment: 'aligned-with-timeout', alignedTimeoutMs: 40 });
    h.ackAll(1);
    await h.coord.whenIdle();
    void h.coord.trigger({ kind: 'savepoint', targetDirectory: '/sp/savepoint-job-1' }).catch(() => {});
    assert.deepEqual(h.triggers[1].options, { kind: 'savepoint', alignment: 'aligned', alignedTimeoutMs: 0, targetDirectory: '/sp/savepoint-job-1' });
    h.coord.stop();
    const u = harness({ unaligned: true });
    void u.coord.trigger().catch(() => {});
    assert.deepEqual(u.triggers[0].options, { kind: 'checkpoint', alignment: 'unaligned', alignedTimeoutMs: 0 });
    u.coord.stop();
  });

  test('firstCheckpointId continues numbering after a restore; a throwing triggerSources aborts pre-flight', async () => {
    const h = harness({}, { triggerSources: () => { throw new Error('source gone'); } }, { firstCheckpointId: 42 });
    const e = await rejection(h.coord.trigger());
    assert.equal(e.details.reason, 'TRIGGER_CHECKPOINT_FAILURE');
    assert.equal(e.details.checkpointId, 42);
    assert.match(e.message, /source gone/);
    assert.deepEqual(h.failures, []); // not counted
  });
});

describe('CheckpointCoordinator: completion', () => {
  test('completes only after every subtask acknowledged; then finalize, notifyComplete', async () => {
    const h = harness();
    const done = h.coord.trigger();
    h.timers.advance(5);
    h.coord.acknowledge(MAP0, 1, ack(MAP0, 1, { stateBytes: 7 }));
    h.coord.acknowledge(MAP0, 1, ack(MAP0, 1)); // duplicate: ignored
    h.coord.acknowledge({ vertexId: 'ghost', subtask: 0 }, 1, ack(MAP0, 1)); // unknown subtask: ignored
    h.coord.acknowledge(SRC0, 1, ack(SRC0, 1));
    await h.coord.whenIdle();
    assert.deepEqual(h.events, ['trigger 1']);
    assert.equal(h.coord.stats.checkpoint(1)!.acknowledged, 2);
    h.timers.advance(5);
    h.coord.acknowledge(MAP1, 1, ack(MAP1, 1));
    const c = await done;
    assert.equal(c.checkpointId, 1);
    assert.deepEqual(h.events, ['trigger 1', 'finalize 1', 'complete 1']);
    const d = h.drafts[0];
    assert.deepEqual(d.subtasks.map((s) => `${s.vertexId}#${s.subtask}`), ['map#0', 'map#1', 'src#0']);
    assert.deepEqual(d.subtasks[0].stateHandles, { of: 'map#0', id: 1 });
    assert.deepEqual(d.files.map((f) => [f.path, f.subtask]), [['chk-1/map-0.bin', 'map#0'], ['chk-1/map-1.bin', 'map#1'], ['chk-1/src-0.bin', 'src#0']]);
    assert.deepEqual(d.vertices, [{ vertexId: 'map', parallelism: 2, maxParallelism: 128 }, { vertexId: 'src', parallelism: 1, maxParallelism: 128 }]);
    assert.equal(d.stats.status, 'completed');
    assert.equal(d.stats.durationMs, 10);
    assert.equal(d.stats.stateBytes, 27);
    assert.equal(h.coord.latestCompleted()!.checkpointId, 1);
    assert.equal(h.coord.stats.toJSON().counts.completed, 1);
    // A late duplicate after completion never throws.
    h.coord.acknowledge(MAP1, 1, ack(MAP1, 1));
    h.coord.decline(MAP1, 1, 'late');
  });

  test('finished subtasks acknowledge with empty state, now and for later checkpoints', async () => {
    const h = harness();
    const first = h.coord.trigger();
    h.coord.acknowledge(MAP0, 1, ack(MAP0, 1));
    h.coord.acknowledge(MAP1, 1, ack(MAP1, 1));
    h.coord.subtaskFinished(SRC0); // the last one missing: completes
    const c1 = await first;
    assert.deepEqual(c1.metadata.subtasks.find((s) => s.vertexId === 'src'), { vertexId: 'src', subtask: 0, finished: true, stateHandles: null, channelStateHandles: null });
    const second = h.coord.trigger();
    h.ackAll(2, [SRC0]);
    assert.equal((await second).checkpointId, 2);
    assert.equal(h.coord.stats.checkpoint(2)!.subtasks.find((s) => s.id === 'src#0')!.finished, true);
    h.coord.subtaskFinished(MAP0);
    h.coord.subtaskFinished(MAP1);
    const e = await rejection(h.coord.trigger());
    assert.equal(e.details.reason, 'NOT_ALL_REQUIRED_TASKS_RUNNING');
  });

  test('subsumption: a completed checkpoint aborts older pending checkpoints, not savepoints', async () => {
    const h = harness({ maxConcurrent: 3 });
    const sp = h.coord.trigger({ kind: 'savepoint', targetDirectory: '/sp/savepoint-job-x' });
    const one = h.coord.trigger();
    const two = h.coord.trigger();
    h.ackAll(3);
    await h.coord.whenIdle();
    assert.deepEqual(h.events, ['trigger 1', 'trigger 2', 'trigger 3', 'finalize 3', 'aborted 2 CHECKPOINT_SUBSUMED', 'discard 2 subsumed', 'complete 3']);
    assert.equal((await two).checkpointId, 3);
    assert.equal((await rejection(one)).details.reason, 'CHECKPOINT_SUBSUMED');
    assert.deepEqual(h.coord.pendingCheckpointIds(), [1]);
    assert.deepEqual(h.failures, []);
    // An intermediate savepoint commits no side effects and is not used for recovery.
    h.ackAll(1);
    const s = await sp;
    assert.equal(s.kind, 'savepoint');
    assert.deepEqual(h.events.slice(7), ['finalize 1']);
    assert.equal(h.coord.latestCompleted()!.checkpointId, 3);
    assert.equal(h.coord.stats.toJSON().latest.savepoint!.checkpointId, 1);
  });

  test('stop-with-savepoint (reason final) notifies completion and becomes the recovery point', async () => {
    const h = harness();
    const sp = h.coord.trigger({ kind: 'savepoint', reason: 'final', targetDirectory: '/sp/savepoint-job-y' });
    h.ackAll(1);
    await sp;
    assert.deepEqual(h.events, ['trigger 1', 'finalize 1', 'complete 1']);
    assert.equal(h.coord.latestCompleted()!.kind, 'savepoint');
    assert.deepEqual(h.coord.retainedCheckpoints(), []);
  });

  test('retention keeps the last N completed checkpoints and discards older ones after the new metadata', async () => {
    const h = harness({ retained: 2 });
    for (let id = 1; id <= 4; id++) {
      const p = h.coord.trigger();
      h.ackAll(id);
      await p;
    }
    await h.coord.whenIdle();
    assert.deepEqual(h.events.filter((e) => !e.startsWith('trigger')), [
      'finalize 1', 'complete 1', 'finalize 2', 'complete 2', 'finalize 3', 'complete 3', 'discard 1 retention', 'finalize 4', 'complete 4', 'discard 2 retention',
    ]);
    assert.deepEqual(h.coord.retainedCheckpoints().map((c) => c.checkpointId), [3, 4]);
  });
});

describe('CheckpointCoordinator: failures', () => {
  test('decline aborts, notifies, discards and counts; the reason is kept when known', async () => {
    const h = harness({ tolerableFailures: 5 });
    const p1 = h.coord.trigger();
    h.coord.acknowledge(MAP0, 1, ack(MAP0, 1));
    h.coord.decline(MAP1, 1, 'disk full', new Error('ENOSPC'));
    const e1 = await rejection(p1);
    assert.equal(e1.code, 'WEIR_CHECKPOINT_FAILED');
    assert.equal(e1.details.reason, 'CHECKPOINT_DECLINED');
    assert.match(e1.message, /declined by map#1: disk full \(ENOSPC\)/);
    const p2 = h.coord.trigger();
    h.coord.decline(SRC0, 2, 'TASK_CHECKPOINT_FAILURE');
    assert.equal((await rejection(p2)).details.reason, 'TASK_CHECKPOINT_FAILURE');
    await h.coord.whenIdle();
    assert.deepEqual(h.events, ['trigger 1', 'aborted 1 CHECKPOINT_DECLINED', 'discard 1 aborted', 'trigger 2', 'aborted 2 TASK_CHECKPOINT_FAILURE', 'discard 2 aborted']);
    const j = h.coord.stats.toJSON();
    assert.equal(j.counts.failed, 2);
    assert.equal(j.latest.failed!.failureReason, 'TASK_CHECKPOINT_FAILURE');
  });

  test('expiry aborts after timeoutMs, the job keeps running and the next checkpoint completes', async () => {
    const h = harness({ timeoutMs: 500, tolerableFailures: 1 });
    const p1 = h.coord.trigger();
    h.coord.acknowledge(MAP0, 1, ack(MAP0, 1));
    h.timers.advance(499);
    assert.deepEqual(h.coord.pendingCheckpointIds(), [1]);
    h.timers.advance(1);
    const e = await rejection(p1);
    assert.equal(e.details.reason, 'CHECKPOINT_EXPIRED');
    const p2 = h.coord.trigger();
    // A late ack of the expired checkpoint is ignored; its files are discarded.
    h.coord.acknowledge(MAP1, 1, ack(MAP1, 1));
    h.ackAll(2);
    assert.equal((await p2).checkpointId, 2);
    await h.coord.whenIdle();
    assert.deepEqual(h.events, ['trigger 1', 'aborted 1 CHECKPOINT_EXPIRED', 'discard 1 aborted', 'trigger 2', 'discard 1 aborted', 'finalize 2', 'complete 2']);
    assert.deepEqual(h.failures, []);
    assert.equal(h.timers.pendingCount, 0); // expiry timer of #2 cancelled
  });

  test('manual abort: CHECKPOINT_CANCELLED, not counted', async () => {
    const h = harness({ tolerableFailures: 0 });
    const p = h.coord.trigger();
    assert.equal(h.coord.abort(1, 'user asked'), true);
    assert.equal(h.coord.abort(1), false);
    assert.equal(h.coord.abort(99), false);
    const e = await rejection(p);
    assert.equal(e.details.reason, 'CHECKPOINT_CANCELLED');
    assert.match(e.message, /user asked/);
    assert.deepEqual(h.failures, []);
  });

  test('tolerable failures: failJob exactly when exceeded; a success resets the count', async () => {
    const h = harness({ tolerableFailures: 2 });
    const fail = async (): Promise<void> => {
      const p = h.coord.trigger();
      h.coord.decline(MAP0, h.triggers.at(-1)!.id, 'boom');
      await rejection(p);
    };
    await fail();
    await fail();
    assert.equal(h.failures.length, 0);
    const ok = h.coord.trigger();
    h.ackAll(3);
    await ok;
    await fail();
    await fail();
    assert.equal(h.failures.length, 0);
    await fail(); // 3 consecutive > 2
    assert.equal(h.failures.length, 1);
    assert.equal(h.failures[0].code, 'WEIR_TOO_MANY_CHECKPOINT_FAILURES');
    assert.equal(h.failures[0].details.consecutiveFailures, 3);
    assert.match(h.failures[0].message, /tolerableFailures=2/);
    await fail(); // the count restarted after failJob
    assert.equal(h.failures.length, 1);
  });

  test('with tolerableFailures 0 the first counted failure fails the job; savepoint failures never count', async () => {
    const h = harness();
    const sp = h.coord.trigger({ kind: 'savepoint', targetDirectory: '/sp/savepoint-job-z' });
    h.coord.decline(MAP0, 1, 'nope');
    await rejection(sp);
    assert.equal(h.failures.length, 0);
    const p = h.coord.trigger();
    h.coord.decline(MAP0, 2, 'nope');
    await rejection(p);
    assert.equal(h.failures.length, 1);
  });

  test('finalize failure aborts with FINALIZE_CHECKPOINT_FAILURE (counted)', async () => {
    const h = harness({}, { finalize: async () => { throw new Error('disk gone'); } });
    const p = h.coord.trigger();
    h.ackAll(1);
    const e = await rejection(p);
    assert.equal(e.details.reason, 'FINALIZE_CHECKPOINT_FAILURE');
    assert.match(e.message, /disk gone/);
    await h.coord.whenIdle();
    assert.deepEqual(h.events, ['trigger 1', 'aborted 1 FINALIZE_CHECKPOINT_FAILURE', 'discard 1 aborted', 'failJob WEIR_TOO_MANY_CHECKPOINT_FAILURES']);
  });

  test('aborted while finalizing: the written checkpoint is discarded again once finalize settles', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const h = harness({}, {
      finalize: async (d) => {
        await gate;
        return fakeCompleted(d);
      },
    });
    const p = h.coord.trigger();
    h.ackAll(1);
    h.coord.stop('job cancelled');
    assert.equal((await rejection(p)).details.reason, 'CHECKPOINT_COORDINATOR_SHUTDOWN');
    release();
    await h.coord.whenIdle();
    assert.deepEqual(h.events, ['trigger 1', 'aborted 1 CHECKPOINT_COORDINATOR_SHUTDOWN', 'discard 1 aborted', 'discard 1 aborted']);
    assert.equal(h.coord.latestCompleted(), undefined);
  });

  test('stop aborts pending checkpoints, stops periodic triggers and applies retention on cancel', async () => {
    const h = harness({ intervalMs: 100, retained: 2 });
    h.coord.startPeriodic();
    h.timers.advanceTo(1100);
    h.ackAll(1);
    await h.coord.whenIdle();
    h.timers.advanceTo(1200);
    h.coord.stop('cancel', 'cancelled');
    await h.coord.whenIdle();
    h.timers.advanceTo(2000);
    assert.deepEqual(h.events, ['trigger 1', 'finalize 1', 'complete 1', 'trigger 2', 'aborted 2 CHECKPOINT_COORDINATOR_SHUTDOWN', 'discard 2 aborted', 'discard 1 shutdown']);
    assert.equal((await rejection(h.coord.trigger())).details.reason, 'CHECKPOINT_COORDINATOR_SHUTDOWN');
    assert.equal(h.timers.pendingCount, 0);

    const kept = harness({ retention: 'retain-on-cancel' });
    const p = kept.coord.trigger();
    kept.ackAll(1);
    await p;
    kept.coord.stop('cancel', 'cancelled');
    await kept.coord.whenIdle();
    assert.deepEqual(kept.events, ['trigger 1', 'finalize 1', 'complete 1']);
    assert.equal(kept.coord.latestCompleted()!.checkpointId, 1);
  });
});

describe('CheckpointCoordinator with real CheckpointStorage', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('retention discards the previous checkpoint only after the new _metadata is durable', async () => {
    const storage = new CheckpointStorage({ directory: tmp, jobId: 'job-r' });
    const order: string[] = [];
    const timers = new ManualScheduler(new ManualClock(0));
    const coord = new CheckpointCoordinator({
      jobId: 'job-r', config: resolveCheckpointConfig({ retained: 1, directory: tmp }), clock: timers.clock, scheduler: timers,
      tasksToAcknowledge: [MAP0],
      effects: {
        triggerSources: () => {},
        notifyComplete: (id) => order.push(`complete ${id}`),
        notifyAborted: () => {},
        finalize: async (d) => {
          const c = await storage.finalize(d);
          order.push(`metadata ${d.checkpointId}`);
          return c;
        },
        discard: async (id, reason, info) => {
          // Classification happened before: the newer checkpoint is already complete on disk.
          order.push(`discard ${id} ${reason} newer-complete=${fs.existsSync(path.join(storage.checkpointDir(id + 1), '_metadata'))}`);
          await storage.discardCheckpoint(id, reason, info);
        },
        failJob: () => {},
      },
    });
    const writeAndAck = async (id: number): Promise<void> => {
      const dir = await storage.initializeCheckpoint(id);
      const content = Buffer.from(`state of checkpoint ${id}`);
      fs.writeFileSync(path.join(dir, 'map-0.bin'), content);
      coord.acknowledge(MAP0, id, {
        ...ack(MAP0, id),
        files: [{ path: `chk-${id}/map-0.bin`, bytes: content.length, sha256: createHash('sha256').update(content).digest('hex'), shared: false }],
      });
    };
    const p1 = coord.trigger();
    await writeAndAck(1);
    await p1;
    const p2 = coord.trigger();
    await writeAndAck(2);
    const c2 = await p2;
    await coord.whenIdle();
    assert.deepEqual(order, ['metadata 1', 'complete 1', 'metadata 2', 'complete 2', 'discard 1 retention newer-complete=true']);
    assert.deepEqual((await storage.list()).map((d) => [d.id, d.complete]), [[2, true]]);
    assert.equal(c2.metadataPath, path.join(tmp, 'job-r', 'chk-2', '_metadata'));
    const found = await storage.findLatestValid();
    assert.equal(found!.metadata.checkpointId, 2);
    assert.deepEqual(found!.metadata.subtasks[0].stateHandles, { of: 'map#0', id: 2 });
  });
});
