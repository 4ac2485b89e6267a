/**
 * Async I/O (AsyncDataStream) in real jobs: ordered output in input order; unordered output
 * complete with at most `capacity` requests in flight per subtask (and that many reached, under
 * slow lookups); exactly-once after injected failures in aligned and unaligned modes (the
 * requests in flight at a checkpoint are re-issued after the restore: no input lost, none
 * answered twice). The operator's own rules (order, watermarks, capacity, the checkpointed
 * queue, timeouts) are tested deterministically in runtime/task/async-wait-task.test.ts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { asyncLookupJob, gatedLookupJob, rejectingLookupJob, type Looked } from './support/async-jobs.ts';
import { injectFailures, untilJobState } from './support/checkpoint-events.ts';
import { AsyncDataStream, StreamEnvironment } from '../index.ts';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('async I/O', () => {
  test('orderedWait: results in input order; unorderedWait: every result, at most `capacity` requests in flight (and that many reached)', async () => {
    const ordered = await asyncLookupJob.execute({ params: { n: 2000, parallelism: 1, ordered: true, capacity: 20, maxDelayMs: 3 }, parallelism: 1 }).done;
    assert.deepEqual((ordered.collected.out as Looked[]).map((r) => r.i), range(2000), 'input order');
    const unordered = await asyncLookupJob.execute({ params: { n: 3000, parallelism: 2, ordered: false, capacity: 8, maxDelayMs: 4 }, parallelism: 2 }).done;
    const out = unordered.collected.out as Looked[];
    assert.deepEqual(out.map((r) => r.i).sort((a, b) => a - b), range(3000), 'every input answered once');
    const most = Math.max(...out.map((r) => r.inFlight));
    assert.equal(most, 8, 'in flight per subtask: never above the capacity, and the capacity reached under slow lookups');
  });

  for (const [mode, cp] of [['aligned', {}], ['unaligned', { unaligned: true }]] as const) {
    test(`exactly-once after 3 injected failures, ${mode} checkpoints: requests in flight at a checkpoint are re-issued`, { timeout: 120_000 }, async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-async-'));
      try {
        const failMarker = path.join(dir, 'fail');
        const params = { n: 6000, parallelism: 2, ordered: mode === 'aligned', capacity: 16, maxDelayMs: 2, failMarker };
        const client = asyncLookupJob.execute({
          params, parallelism: 2, bufferBytes: 2048,
          checkpointing: { intervalMs: 20, directory: path.join(dir, 'checkpoints'), tolerableFailures: 100, ...cp },
          restartStrategy: { type: 'fixed-delay', attempts: 10, delayMs: 0 },
        });
        await injectFailures(client, failMarker, 3);
        const result = await client.done;
        assert.equal(result.status, 'finished');
        assert.equal(result.failovers.length, 3, JSON.stringify(result.failovers.map((f) => f.cause.message)));
        assert.ok(result.failovers.every((f) => f.restoredCheckpointId !== null), 'each failover restored a checkpoint');
        const got = (result.collected.out as Looked[]).map((r) => r.i).sort((a, b) => a - b);
        assert.equal(got.length, params.n, 'as many results as inputs: none lost, none duplicated');
        assert.deepEqual(got, range(params.n));
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  test('chained to its source and at capacity, the results of completed requests leave the subtask while slow ones hold it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-async-gated-'));
    try {
      const gate = path.join(dir, 'gate');
      const client = gatedLookupJob.execute({ params: { n: 100, gate }, parallelism: 1 });
      // Before the gate opens: the 27 fast results ahead of request 30 (they sat in a partial batch until the slow ones answered).
      await untilJobState(client, '27 fast results collected while the slow requests wait', () => client.collected('out').length >= 27);
      assert.deepEqual([...(client.collected('out') as number[])].sort((a, b) => a - b), Array.from({ length: 30 }, (_, i) => i).filter((i) => i % 10 !== 0));
      fs.writeFileSync(gate, '');
      const result = await client.done;
      assert.deepEqual([...(result.collected.out as number[])].sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a rejected request and a rejected open() say which they were', async () => {
    await assert.rejects(rejectingLookupJob.execute({ params: { failOpen: false }, parallelism: 1, restartStrategy: { type: 'none' } }).done,
      { code: 'WEIR_USER_FUNCTION_FAILED', message: /asyncInvoke \(its Promise rejected\) of operator 'Lookup' .* on record 3: lookup of 3 failed/ });
    await assert.rejects(rejectingLookupJob.execute({ params: { failOpen: true }, parallelism: 1, restartStrategy: { type: 'none' } }).done, (e: Error) => {
      assert.match(e.message, /open\(\) of operator 'Lookup' \(uid lookup, subtask 1\/1\) threw: no connection/);
      assert.doesNotMatch(e.message, /record undefined/);
      return true;
    });
  });

  test('bad arguments are typed errors', () => {
    const env = new StreamEnvironment(1, 128);
    const s = env.fromArray([1]);
    assert.throws(() => AsyncDataStream.orderedWait(s, {} as never, 10), { code: 'WEIR_INVALID_ARGUMENT', message: /orderedWait: expected an async function/ });
    assert.throws(() => AsyncDataStream.unorderedWait(s, async (x) => [x], 0), { code: 'WEIR_INVALID_ARGUMENT', message: /timeoutMs must be a number > 0/ });
    assert.throws(() => AsyncDataStream.unorderedWait(s, async (x) => [x], 10, 0), { code: 'WEIR_INVALID_ARGUMENT', message: /capacity must be an integer >= 1, got 0/ });
  });
});
