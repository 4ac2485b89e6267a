/**
 * Issue #11, defect 4: `bufferBytes` must bound the data in flight. Records of mixed sizes
 * (tiny ones, and large ones up to several times the ring) go through small rings into a slow
 * keyed consumer with unaligned checkpoints; every checkpoint's persisted in-flight bytes, per
 * channel, stay under the documented bound (`inFlightBytesBound`, record-writer.ts), and the
 * process's memory does not grow with the data pushed through. Before the fix, the producer
 * queued whole source reads (256 records) and batches of up to 1 024 records outside the ring:
 * 64 KiB rings persisted 63 MB in one checkpoint.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { JobClient } from '../index.ts';
import { DEFAULT_BATCHING, inFlightBytesBound } from '../runtime/task/record-writer.ts';
import { mixedSizesJob, type SizesParams } from './support/hardening-jobs.ts';

const CASES: Array<{ name: string; params: SizesParams; bufferBytes: number }> = [
  { name: 'tiny records and 8 KiB ones through 16 KiB rings', params: { hugeEvery: 3, hugeBytes: 8 * 1024, keys: 16, consumerMicros: 300 }, bufferBytes: 16 * 1024 },
  { name: 'records of 100 KiB (6× the ring) through 16 KiB rings', params: { hugeEvery: 1, hugeBytes: 100 * 1024, keys: 16, consumerMicros: 300 }, bufferBytes: 16 * 1024 },
  { name: 'tiny records only through 4 KiB rings', params: { hugeEvery: 1 << 30, hugeBytes: 0, keys: 16, consumerMicros: 50 }, bufferBytes: 4 * 1024 },
];
/** source (parallelism 1) → keyed consumer (parallelism 2): two channels. */
const CHANNELS = 2;
const CHECKPOINTS = 8;

function completedCheckpoints(client: JobClient, n: number, onEach: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = 0;
    const off = client.onCheckpoint((c) => {
      if (c.status !== 'completed') return;
      onEach();
      if (++seen >= n) {
        off();
        resolve();
      }
    });
    client.done.then(() => reject(new Error(`the job ended (${client.status}) first`)), reject);
  });
}

describe('in-flight data is bounded by configuration', () => {
  for (const { name, params, bufferBytes } of CASES) {
    test(name, { timeout: 120_000 }, async (t) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-bounded-'));
      try {
        const client = mixedSizesJob.execute({
          params, parallelism: 2, bufferBytes, stateBackend: 'heap', retainCollected: false,
          checkpointing: { intervalMs: 50, unaligned: true, directory: path.join(dir, 'checkpoints'), tolerableFailures: 100 },
        });
        await client.running;
        await completedCheckpoints(client, 1, () => {});
        const baseline = process.memoryUsage().rss;
        let peak = baseline;
        await completedCheckpoints(client, CHECKPOINTS, () => { peak = Math.max(peak, process.memoryUsage().rss); });
        const stats = client.checkpointStats()!;
        await client.cancel();
        await client.done;

        const largest = params.hugeBytes + 64; // payload plus the record's other fields, encoded
        const perChannel = inFlightBytesBound(bufferBytes, DEFAULT_BATCHING, largest);
        const completed = stats.history.filter((c) => c.status === 'completed');
        assert.ok(completed.length >= CHECKPOINTS, `${completed.length} checkpoints completed`);
        assert.ok(completed.some((c) => c.persistedInFlightBytes > 0), 'the consumer was backpressured: in-flight data was persisted');
        for (const c of completed) {
          assert.ok(c.persistedInFlightBytes <= CHANNELS * perChannel,
            `checkpoint ${c.checkpointId} persisted ${c.persistedInFlightBytes} B of in-flight data; the bound is ${CHANNELS} × ${perChannel} B`);
        }
        const maxPersisted = Math.max(...completed.map((c) => c.persistedInFlightBytes));
        t.diagnostic(`max persisted ${(maxPersisted / 1024).toFixed(0)} KiB (bound ${(CHANNELS * perChannel / 1024).toFixed(0)} KiB), RSS +${((peak - baseline) / 2 ** 20).toFixed(1)} MiB`);
        // Memory: the data pushed through (many MB) must not accumulate. The slack covers the
        // workers' heaps and allocator noise; unbounded queues grew by hundreds of MB here.
        const slack = 96 * 1024 * 1024;
        assert.ok(peak - baseline <= CHANNELS * perChannel + slack, `RSS grew by ${((peak - baseline) / 2 ** 20).toFixed(1)} MiB while running`);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
