/**
 * A record that never returns (an infinite loop in a user function): its worker thread answers
 * nothing, so the failover's teardown cannot stop its subtask. The actor system terminates that
 * worker once the stop times out; the job then fails over and restores as for a crash, and a
 * cancel of such a job completes. Exactly-once: the collected output equals the input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stuckRecordJob } from './support/fault-jobs.ts';
import { untilJobState } from './support/checkpoint-events.ts';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

test('a record stuck in an endless loop: the checkpoint expires, the stuck worker is terminated, the job fails over and finishes exactly once', { timeout: 180_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-stuck-'));
  try {
    const marker = path.join(dir, 'stuck');
    const n = 40_000;
    const client = stuckRecordJob.execute({
      params: { n, marker }, parallelism: 2,
      checkpointing: { intervalMs: 50, timeoutMs: 1000, tolerableFailures: 0, directory: path.join(dir, 'checkpoints') },
      restartStrategy: { type: 'fixed-delay', attempts: 3, delayMs: 0 },
    });
    await untilJobState(client, 'a checkpoint completed', () => (client.checkpointStats()?.counts.completed ?? 0) >= 1);
    fs.writeFileSync(marker, '');
    const result = await client.done;
    assert.equal(result.status, 'finished');
    assert.ok(result.failovers.length >= 1, 'it failed over');
    assert.equal(result.failovers[0]!.cause.code, 'WEIR_TOO_MANY_CHECKPOINT_FAILURES', result.failovers[0]!.cause.message);
    assert.deepEqual([...(result.collected.out as number[])].sort((a, b) => a - b), range(n), 'every record exactly once');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('cancelling a job whose record is stuck completes (the stuck worker is terminated)', { timeout: 180_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-stuck-'));
  try {
    const marker = path.join(dir, 'stuck');
    const client = stuckRecordJob.execute({ params: { n: 1_000_000, marker }, parallelism: 1 });
    await client.running;
    await untilJobState(client, 'records flowing', async () => ((await client.metrics()).vertices[0]?.recordsOut ?? 0) > 100);
    fs.writeFileSync(marker, '');
    await untilJobState(client, 'the marker claimed (the record is stuck)', () => !fs.existsSync(marker));
    await client.cancel();
    const result = await client.done;
    assert.equal(result.status, 'cancelled');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
