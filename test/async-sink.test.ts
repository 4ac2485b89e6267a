/**
 * The at-least-once async batch sink (asyncBatchSink): every record written, in batches of at most
 * `batchSize`, with at most `maxInFlightBatches` writes running per subtask (the sink applies
 * backpressure beyond); after injected write failures every record is still written (at least
 * once), and the duplicates are only records after the restored checkpoint; a write that keeps
 * failing fails the job with WEIR_SINK_FAILED naming the sink.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { asyncSinkJob, readBatches } from './support/async-sink-jobs.ts';
import { injectFailures } from './support/checkpoint-events.ts';
import { asyncBatchSink } from '../index.ts';

describe('asyncBatchSink', () => {
  test('every record written once without failures; batches ≤ batchSize; writes in flight ≤ maxInFlightBatches (and that many reached)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-async-sink-'));
    try {
      const result = await asyncSinkJob.execute({ params: { n: 20_000, parallelism: 2, directory: dir, batchSize: 100, maxInFlightBatches: 3 }, parallelism: 2 }).done;
      assert.equal(result.status, 'finished');
      const batches = readBatches(dir);
      const values = batches.flatMap((b) => b.values).sort((a, b) => a - b);
      assert.deepEqual(values, Array.from({ length: 20_000 }, (_, i) => i), 'every record exactly once');
      assert.ok(batches.every((b) => b.values.length <= 100), 'no batch above batchSize');
      assert.equal(Math.max(...batches.map((b) => b.running)), 3, 'concurrent writes per subtask: never above maxInFlightBatches, and that many under load');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('at-least-once through 3 failed writes with checkpoints: every record written', { timeout: 120_000 }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-async-sink-'));
    const out = path.join(dir, 'out');
    fs.mkdirSync(out);
    try {
      const failMarker = path.join(dir, 'fail');
      const client = asyncSinkJob.execute({
        params: { n: 40_000, parallelism: 2, directory: out, batchSize: 50, maxInFlightBatches: 2, failMarker }, parallelism: 2,
        checkpointing: { intervalMs: 20, directory: path.join(dir, 'checkpoints'), tolerableFailures: 100 },
        restartStrategy: { type: 'fixed-delay', attempts: 10, delayMs: 0 },
      });
      await injectFailures(client, failMarker, 3);
      const result = await client.done;
      assert.equal(result.failovers.length, 3);
      for (const f of result.failovers) {
        assert.equal(f.cause.code, 'WEIR_SINK_FAILED', f.cause.message);
        assert.match(f.cause.message, /sink 'BatchFile' \(subtask \d\/2\) failed in write \(\d+ records\): the store refused the batch/);
      }
      const written = new Set(readBatches(out).flatMap((b) => b.values));
      const missing = Array.from({ length: 40_000 }, (_, i) => i).filter((i) => !written.has(i));
      assert.deepEqual(missing.slice(0, 10), [], `${missing.length} records never written`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a write that keeps failing fails the job with WEIR_SINK_FAILED; bad options are typed errors', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-async-sink-'));
    try {
      await assert.rejects(
        // No buffer timeout within the test (its subject is the failure of a full batch's write).
        asyncSinkJob.execute({ params: { n: 100, parallelism: 1, directory: dir, batchSize: 10, maxInFlightBatches: 1, alwaysFail: true }, parallelism: 1, restartStrategy: { type: 'none' }, batching: { bufferTimeoutMs: 600_000 } }).done,
        { code: 'WEIR_SINK_FAILED', message: /sink 'BatchFile' \(subtask 1\/1\) failed in write \(10 records\): the store refused the batch/ },
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    assert.throws(() => asyncBatchSink({ name: 'x', write: async () => {}, batchSize: 0 }), { code: 'WEIR_INVALID_ARGUMENT', message: /batchSize must be an integer >= 1, got 0/ });
    assert.throws(() => asyncBatchSink({ name: '', write: async () => {} }), { code: 'WEIR_INVALID_ARGUMENT', message: /name must be a non-empty string/ });
  });
});
