/**
 * Checkpoints during recovery (Flink's FLIP-547): after a restore from an unaligned checkpoint,
 * a subtask replays the restored in-flight data before new input; a checkpoint triggered
 * meanwhile completes and persists what is not replayed yet, and a failure after it restores
 * from it exactly-once. The gate job (support/replay-jobs.ts) keeps the replay from ending until
 * the test opens the gate, so "during the replay" is an observed state, not a timing.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { untilJobState } from './support/checkpoint-events.ts';
import { gatedJob } from './support/replay-jobs.ts';
import type { CheckpointConfigInput } from '../runtime/checkpoint/checkpoint-config.ts';
import type { JobClient } from '../index.ts';

const N = 6_000;

/** Both subtasks of the gate hold input on their rings (backpressure reached them). */
async function gateInputQueued(client: JobClient): Promise<boolean> {
  const gate = (await client.metrics()).vertices.find((v) => v.id === 'gate');
  return gate !== undefined && gate.subtasks.length === 2 && gate.subtasks.every((s) => s.inPoolUsage > 0.25);
}

const MODES: Array<[string, CheckpointConfigInput]> = [
  ['unaligned', { unaligned: true }],
  ['aligned-with-timeout (10 ms)', { unaligned: true, alignedCheckpointTimeoutMs: 10 }],
];

describe('checkpoints during recovery', () => {
  for (const [name, cp] of MODES) {
    test(`${name}: a checkpoint completes while restored in-flight data is replayed, and restores exactly-once`, async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-replay-'));
      const gateFile = path.join(dir, 'gate');
      const failMarker = path.join(dir, 'fail');
      fs.writeFileSync(gateFile, '');
      try {
        const client = gatedJob.execute({
          params: { n: N, gate: gateFile, failMarker, payloadBytes: 200 },
          parallelism: 2,
          bufferBytes: 16 * 1024,
          stateBackend: 'lmdb',
          stateDirectory: path.join(dir, 'state'),
          restartStrategy: { type: 'fixed-delay', attempts: 5, delayMs: 0 },
          checkpointing: { directory: path.join(dir, 'checkpoints'), ...cp },
        });
        client.done.catch(() => {});
        await client.running;
        await untilJobState(client, 'the gate input to fill', () => gateInputQueued(client));
        const before = await client.triggerCheckpoint();
        const beforeStats = client.checkpointStats()!.history.find((s) => s.checkpointId === before.checkpointId)!;
        assert.ok(beforeStats.persistedInFlightBytes > 0, 'the checkpoint before the failure persisted in-flight data');
        // Sizes count what each subtask wrote besides keyed state (Flink's): its channel state file,
        // its operator state (a source's split positions).
        for (const st of beforeStats.subtasks) {
          if (st.persistedInFlightBytes > 0) assert.ok(st.incrementalStateBytes >= st.persistedInFlightBytes, `${st.id}: the channel state is in its checkpointed size (${st.incrementalStateBytes} < ${st.persistedInFlightBytes} in flight)`);
          assert.ok(st.stateBytes > 0, `${st.id} reports a state size`);
        }

        // Failure 1: restore `before`; the gate subtasks replay its in-flight data, held by the gate.
        fs.writeFileSync(failMarker, '');
        await untilJobState(client, 'the first failover to run', () => (client.failovers[0]?.runningAt ?? 0) > 0);
        assert.equal(client.failovers[0]!.restoredCheckpointId, before.checkpointId);
        assert.equal(client.failovers[0]!.replayedAt, 0, 'the replay cannot end while the gate is closed');
        const during = await client.triggerCheckpoint();
        assert.equal(client.failovers[0]!.replayedAt, 0, 'still replaying when the checkpoint completed');
        assert.ok(client.failovers[0]!.checkpointsDuringReplay >= 1, 'counted as a checkpoint during recovery');
        const duringStats = client.checkpointStats()!.history.find((s) => s.checkpointId === during.checkpointId)!;
        assert.ok(duringStats.persistedInFlightBytes > 0, 'the data not replayed yet is persisted again');

        // Failure 2, still during the replay: restore the checkpoint taken during recovery.
        fs.writeFileSync(failMarker, '');
        await untilJobState(client, 'the second failover to run', () => (client.failovers[1]?.runningAt ?? 0) > 0);
        assert.equal(client.failovers[1]!.restoredCheckpointId, during.checkpointId);
        // Checkpoint statistics count failover restores too (Flink's restored count), the latest named.
        const stats = client.checkpointStats()!;
        assert.equal(stats.counts.restored, 2);
        assert.equal(stats.latest.restore?.checkpointId, during.checkpointId);
        fs.rmSync(gateFile);
        const result = await client.done;
        const out = (result.collected.out ?? []) as number[];
        const seen = new Map<number, number>();
        for (const i of out) seen.set(i, (seen.get(i) ?? 0) + 1);
        const duplicated = [...seen].filter(([, c]) => c > 1).length;
        const missing = N - seen.size;
        assert.equal(duplicated, 0, 'no record duplicated');
        assert.equal(missing, 0, 'no record lost');
        assert.equal(out.length, N);
        const last = result.failovers[1]!;
        assert.ok(last.replayedAt >= last.runningAt && last.replayedAt > 0, 'the replay ended once the gate opened');
        assert.equal(last.replayMs, last.replayedAt - last.runningAt);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
