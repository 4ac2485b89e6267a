/**
 * Push sources (`env.fromPushSource(name)`, `client.push`): an app pushes 10⁶ records into a
 * backpressured job and the job never holds more than its bound ahead of what it emitted, with
 * every push resolving in order; with checkpointing, failovers replay from the checkpointed
 * position (every record exactly once); a job restored in a "new process" tells the app where to
 * push from (`pushPosition`); misuse gives typed errors.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pushJob } from './support/push-jobs.ts';
import type { WeirError } from '../index.ts';
import { checkpointsCompleted, injectFailures } from './support/checkpoint-events.ts';

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('push sources', () => {
  test('10⁶ records pushed into a backpressured job: pushes resolve in order, and the job holds at most its bound ahead of its output', { timeout: 120_000 }, async () => {
    const N = 1_000_000;
    const MAX = 1000;
    const client = pushJob.execute({ params: { maxBufferedRecords: MAX, spinMicros: 1 }, parallelism: 1, bufferBytes: 4096 });
    await client.running;
    let emitted = 0;
    let worstLead = 0;
    const reading = (async () => {
      for await (const _ of client.results<number>('out')) emitted++;
    })();
    const order: number[] = [];
    let pending: Array<Promise<void>> = [];
    for (let i = 0; i < N; i++) {
      pending.push(client.push('numbers', i).then((seq) => void order.push(seq)));
      if (pending.length === 10_000) {
        await Promise.all(pending);
        pending = [];
        // Admitted (resolved) but not yet out of the job: the source's buffer, two small rings and batches.
        worstLead = Math.max(worstLead, order.length - emitted);
      }
    }
    await Promise.all(pending);
    await client.endPush('numbers');
    const result = await client.done;
    await reading;
    assert.equal(result.status, 'finished');
    assert.equal(emitted, N, 'every record out');
    assert.ok(order.every((seq, i) => seq === i), 'push promises resolved in push order with their sequence numbers');
    // Admitted ahead of the output is bounded by configuration, not by N: the source's buffer (MAX)
    // plus what the two channels may hold in flight (rings of 4 KiB + 64 KiB queued outside a full
    // ring + batches: a few ten thousand of these tiny records). Without backpressure it would be
    // most of the 10⁶ (the pushes outrun the spinning map by far).
    assert.ok(worstLead <= MAX + 30_000, `records admitted ahead of the output: at most the bound plus the channels' in-flight data (worst ${worstLead})`);
  });

  test('with checkpointing, failovers replay the pushed records from the checkpointed position: every record exactly once', { timeout: 120_000 }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-push-'));
    try {
      const failMarker = path.join(dir, 'fail');
      const client = pushJob.execute({
        params: { maxBufferedRecords: 2000, spinMicros: 20, failMarker }, parallelism: 1, bufferBytes: 4096,
        checkpointing: { intervalMs: 20, directory: path.join(dir, 'checkpoints'), tolerableFailures: 100 },
        restartStrategy: { type: 'fixed-delay', attempts: 10, delayMs: 0 },
      });
      await client.running;
      const failures = injectFailures(client, failMarker, 3);
      let i = 0;
      let failuresDone = false;
      void failures.then(() => (failuresDone = true));
      // Push until the three failures happened (the buffer bound paces the pushes), then a last block.
      while (!failuresDone || i < 30_000) {
        await client.push('numbers', i++);
        if (i > 400_000) assert.fail('the failures did not happen');
      }
      await failures;
      await client.endPush('numbers');
      const result = await client.done;
      assert.equal(result.failovers.length, 3, JSON.stringify(result.failovers.map((f) => f.cause.message)));
      assert.deepEqual([...(result.collected.out as number[])].sort((a, b) => a - b), range(0, i), 'every pushed record once');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('with checkpointing but no intervalMs, a full push source asks for a checkpoint itself: awaited pushes never wait for good', { timeout: 120_000 }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-push-'));
    try {
      const client = pushJob.execute({
        params: { maxBufferedRecords: 50, spinMicros: 0 }, parallelism: 1,
        checkpointing: { directory: path.join(dir, 'checkpoints') }, // no intervalMs: only triggers
      });
      for (let i = 0; i < 500; i++) await client.push('numbers', i); // 10× the bound: hung at 50 before
      await client.endPush('numbers');
      const result = await client.done;
      assert.deepEqual([...(result.collected.out as number[])].sort((a, b) => a - b), range(0, 500));
      const completed = result.checkpoints?.counts.completed ?? 0;
      assert.ok(completed >= 9, `the source asked for checkpoints (${completed} completed)`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('restored in another process: pushPosition says where the input resumes; pushing from there completes it exactly', { timeout: 120_000 }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-push-'));
    try {
      // Checkpoints are triggered by hand here: the buffer (which with checkpointing holds every record until a
      // checkpoint covers it) must fit what is pushed between two of them.
      const options = { params: { maxBufferedRecords: 10_000, spinMicros: 0 }, parallelism: 1 };
      const first = pushJob.execute({ ...options, checkpointing: { directory: path.join(dir, 'checkpoints'), retention: 'retain-on-cancel' as const } });
      await first.running;
      for (let i = 0; i < 5000; i++) await first.push('numbers', i);
      const checkpoint = await first.triggerCheckpoint();
      for (let i = 5000; i < 6000; i++) await first.push('numbers', i); // not covered by the checkpoint: lost with the process
      await first.cancel();
      await first.done;
      const before = first.collected<number>('out');
      const second = pushJob.execute({ ...options, restore: checkpoint.directory });
      await second.running;
      const from = second.pushPosition('numbers');
      // The checkpoint covers what the source had taken when its barrier passed (≤ the 5000 pushed before it).
      assert.ok(from > 0 && from <= 5000, `the job resumes after what the checkpoint covered (${from})`);
      for (let i = from; i < 8000; i++) await second.push('numbers', i);
      await second.endPush('numbers');
      const after = await second.done;
      assert.deepEqual([...before, ...(after.collected.out as number[])].sort((a, b) => a - b), range(0, 8000));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an unknown name, a push after endPush and a push after the job ended are refused', async () => {
    const client = pushJob.execute({ params: { maxBufferedRecords: 10, spinMicros: 0 }, parallelism: 1 });
    await client.running;
    await assert.rejects(client.push('nope', 1), { code: 'WEIR_INVALID_ARGUMENT', message: /no push source named 'nope' in this job \(push sources: 'numbers'\)/ });
    await client.push('numbers', 1);
    await client.endPush('numbers');
    await assert.rejects(client.push('numbers', 2), { code: 'WEIR_INVALID_ARGUMENT', message: /was ended/ });
    await client.done;
    await assert.rejects(client.push('numbers', 3), { code: 'WEIR_JOB_NOT_RUNNING', message: /has ended: no more records can be pushed/ });
  });

  test('a record the channel cannot carry is refused by its push; what was pushed before and after still arrives, and the job ends', async () => {
    const client = pushJob.execute({ params: { maxBufferedRecords: 10, spinMicros: 0 }, parallelism: 1 });
    await client.running;
    for (const n of [1, 2, 3]) await client.push('numbers', n);
    await assert.rejects(client.push('numbers', (() => 4) as unknown as number), { code: 'WEIR_RECORD_NOT_SERIALIZABLE', message: /push\('numbers', record\): the record cannot be encoded .*a function is not data/ });
    await assert.rejects(client.push('numbers', { nested: Symbol('s') } as unknown as number), (e: WeirError) => e.code === 'WEIR_RECORD_NOT_SERIALIZABLE' && e.details.source === 'numbers' && /a symbol is not data/.test(e.message));
    assert.equal(await client.push('numbers', 5), 3, 'refused records take no sequence number');
    await client.endPush('numbers');
    const result = await client.done;
    assert.deepEqual(result.collected.out, [1, 2, 3, 5]);
  });
});
