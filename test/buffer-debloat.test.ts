/**
 * Buffer debloating end to end (`execute({ bufferDebloat })`, Flink's FLIP-183): a keyed job whose
 * sink is many times slower than its source. (a) The consumers' limits adapt: each input channel's
 * published limit (read from the ring headers, `weir_channel_debloatedBufferBytes`) falls below
 * the ring's capacity. (b) Exactly-once still holds with debloating on, with aligned and unaligned
 * checkpoints and one failure injected after a completed checkpoint: the output equals the
 * sequential reference. (c) Bad option values are refused, naming the option.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { JobClient, JobMetrics } from '../index.ts';
import type { CheckpointConfigInput } from '../runtime/checkpoint/checkpoint-config.ts';
import { debloatJob, reference, type Counted, type DebloatParams } from './support/debloat-jobs.ts';
import { injectFailuresInOrder } from './support/checkpoint-events.ts';

const BUFFER = 256 * 1024;

/** Polls the job's metrics until `ok` holds (rejects if the job ends first); returns that sample. */
async function metricsUntil(client: JobClient, ok: (m: JobMetrics) => boolean): Promise<JobMetrics> {
  let ended = false;
  client.done.then(() => (ended = true), () => (ended = true));
  for (;;) {
    const m = await client.metrics();
    if (ok(m)) return m;
    if (ended) throw new Error(`the job ended (${client.status}) before the condition held`);
    await delay(50); // pacing of the poll only: the condition is the event waited for
  }
}

describe('buffer debloating', () => {
  test('the consumers\' limits adapt to their throughput: every input channel\'s limit falls below the ring', { timeout: 60_000 }, async (t) => {
    const params: DebloatParams = { count: null, keys: 16, sinkMicros: 200, payloadBytes: 100, failMarker: null };
    const client = debloatJob.execute({
      params, parallelism: 2, bufferBytes: BUFFER, stateBackend: 'heap', retainCollected: false,
      bufferDebloat: { targetMs: 100 },
    });
    try {
      await client.running;
      const adapted = (m: JobMetrics) => m.channels.length > 0 && m.channels.every((c) => c.debloatedBufferBytes < c.capacityBytes);
      const m = await metricsUntil(client, adapted);
      for (const c of m.channels) {
        assert.equal(c.capacityBytes, BUFFER);
        assert.ok(c.debloatedBufferBytes >= 1024, `${c.from.vertex}/${c.from.subtask} → ${c.to.vertex}/${c.to.subtask}: at least the minimum`);
      }
      const slow = m.vertices.find((v) => v.id === 'slow')!.subtasks[0]!;
      assert.ok(slow.debloatedBufferBytes !== undefined && slow.debloatedBufferBytes < BUFFER, 'the consumer reports its limit');
      const source = m.vertices.find((v) => v.id === 'source')!.subtasks[0]!;
      assert.equal(source.debloatedBufferBytes, undefined, 'a source has no inputs to debloat');
      t.diagnostic(`limits: ${m.channels.map((c) => `${c.from.vertex}→${c.to.vertex}/${c.to.subtask} ${c.debloatedBufferBytes} B (queued ${c.usedBytes} B)`).join(', ')}; ` +
        `slow: estimatedTimeToConsumeBuffersMs ${slow.estimatedTimeToConsumeBuffersMs?.toFixed(0)}`);
    } finally {
      await client.cancel();
      await client.done.catch(() => {});
    }
  });

  const MODES: Array<[string, CheckpointConfigInput]> = [
    ['aligned', {}],
    ['unaligned', { unaligned: true }],
  ];
  for (const [mode, cp] of MODES) {
    test(`exactly-once with debloating on, ${mode} checkpoints, one failure after a completed checkpoint`, { timeout: 60_000 }, async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-debloat-'));
      try {
        const marker = path.join(dir, 'fail');
        const params = { count: 12_000, keys: 16, sinkMicros: 150, payloadBytes: 100, failMarker: marker };
        const client = debloatJob.execute({
          params, parallelism: 2, bufferBytes: 64 * 1024, stateBackend: 'heap',
          bufferDebloat: { targetMs: 100, periodMs: 50 },
          checkpointing: { intervalMs: 100, directory: path.join(dir, 'checkpoints'), tolerableFailures: 100, ...cp },
          restartStrategy: { type: 'fixed-delay', attempts: 3, delayMs: 0 },
        });
        const failures = injectFailuresInOrder(client, [marker]);
        const result = await client.done;
        await failures;
        assert.equal(client.failovers.length, 1, 'one failover');
        const out = [...(result.collected.out as Counted[])].sort((a, b) => a.i - b.i);
        assert.deepEqual(out, reference(params), 'every record exactly once, with the per-key counts of a sequential run');
        const slow = result.metrics.vertices.find((v) => v.id === 'slow')!.subtasks[0]!;
        assert.ok(slow.debloatedBufferBytes !== undefined && slow.debloatedBufferBytes < 64 * 1024, `the slow consumer limited its inputs (${slow.debloatedBufferBytes} B)`);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  test('bad option values are refused with WEIR_INVALID_ARGUMENT naming the option', () => {
    const bad: Array<[unknown, RegExp]> = [
      [{ targetMs: 0 }, /bufferDebloat\.targetMs must be an integer in \[1, 3600000\], got 0/],
      [{ targetMs: 1.5 }, /bufferDebloat\.targetMs must be an integer .*got 1\.5/],
      [{ periodMs: 5 }, /bufferDebloat\.periodMs must be an integer in \[10, 3600000\], got 5/],
      [{ minBytes: 10 }, /bufferDebloat\.minBytes must be an integer in \[64, \d+\], got 10/],
      [{ thresholdPercent: 150 }, /bufferDebloat\.thresholdPercent must be a number in \[0, 100\], got 150/],
      [{ samples: 0 }, /bufferDebloat\.samples must be an integer in \[1, 1000\], got 0/],
      [{ target: 100 }, /unknown option 'bufferDebloat\.target'/],
      ['yes', /bufferDebloat must be true, false or an object .*got "yes"/],
      [100, /bufferDebloat must be true, false or an object .*got 100/],
    ];
    for (const [value, message] of bad) {
      assert.throws(() => debloatJob.execute({ params: { count: 1, keys: 1, sinkMicros: 0, payloadBytes: 0, failMarker: null }, bufferDebloat: value as never }),
        (e: { code?: string; message?: string; details?: { option?: string } }) => {
          assert.equal(e.code, 'WEIR_INVALID_ARGUMENT');
          assert.match(e.message ?? '', message);
          assert.match(e.details?.option ?? '', /^bufferDebloat/);
          return true;
        }, JSON.stringify(value));
    }
  });
});
