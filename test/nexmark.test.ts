/**
 * Nexmark on Weir (examples/nexmark): the generator is deterministic and splittable, and every
 * query's output equals its plain-TypeScript reference (examples/nexmark/reference.ts) exactly —
 * at parallelism 1 and 2, on the heap and on LMDB, all queries in one job on one event stream.
 * q4's result is an updating one: the last row per category must be the reference's average.
 * q12 counts in processing-time windows, so which window a bid lands in depends on the clock:
 * the invariant checked is the total per bidder over all windows, and that windows are 10 s
 * aligned. The source's checkpointed position is checked through a failover (unaligned
 * checkpoints) and a rescale from 2 to 1 subtasks.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nexmarkJob, QUERY_NAMES } from '../examples/nexmark/job.ts';
import { nexmarkReference, q7 as q7Reference } from '../examples/nexmark/reference.ts';
import { allEvents, eventAt, resolveConfig, type NexmarkConfig } from '../examples/nexmark/generator.ts';
import { nexmarkSplits } from '../examples/nexmark/source.ts';
import type { Q4Row } from '../examples/nexmark/queries-joins.ts';
import type { Q12Row } from '../examples/nexmark/queries-windows.ts';
import { checkpointMidStreamThenCancel, injectFailures } from './support/checkpoint-events.ts';
import { nexmarkFaultJob, q7BidsJob } from './support/nexmark-jobs.ts';
import type { Bid } from '../examples/nexmark/model.ts';

/** 4 000 events at 100 events/s: 40 s of event time (4 tumbling windows of q7/q8, 24 sliding of q5). */
const CONFIG: NexmarkConfig = { events: 4000, eventsPerSecond: 100, seed: 7 };
const reference = nexmarkReference(CONFIG);
const sorted = (xs: readonly unknown[]): string[] => xs.map((x) => JSON.stringify(x)).sort();

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'weir-nexmark-'));
}

/** Every query's output against the reference. */
function assertMatchesReference(collected: Record<string, unknown[]>, ref = reference, queries = QUERY_NAMES as readonly string[]): void {
  for (const q of ['q0', 'q1', 'q2', 'q3', 'q5', 'q7', 'q8'] as const) {
    if (queries.includes(q)) assert.deepEqual(sorted(collected[q] ?? []), sorted(ref[q]), `${q} equals its reference`);
  }
  const lastPerCategory = new Map<number, number>();
  for (const r of collected.q4 as Q4Row[]) lastPerCategory.set(r.category, r.avg);
  assert.deepEqual(sorted([...lastPerCategory].map(([category, avg]) => ({ category, avg }))), sorted(ref.q4), 'q4: the last average per category');
  if (!queries.includes('q12')) return;
  const perBidder = new Map<number, number>();
  for (const r of collected.q12 as Q12Row[]) {
    assert.equal(r.endtime - r.starttime, 10_000, 'q12: 10 s windows');
    assert.equal(r.starttime % 10_000, 0, 'q12: aligned windows');
    perBidder.set(r.bidder, (perBidder.get(r.bidder) ?? 0) + r.bid_count);
  }
  assert.deepEqual([...perBidder].sort((a, b) => a[0] - b[0]), [...reference.q12].sort((a, b) => a[0] - b[0]), 'q12: bids per bidder over all windows');
}

describe('the Nexmark generator', () => {
  test('event n is a pure function of (config, n), with the reference mix 1 : 3 : 46', () => {
    const c = resolveConfig(CONFIG);
    const events = [...allEvents(CONFIG)];
    assert.deepEqual(eventAt(c, 1234), events[1234]);
    assert.deepEqual(eventAt(c, 17), eventAt(resolveConfig(CONFIG), 17));
    assert.notDeepEqual(eventAt(resolveConfig({ ...CONFIG, seed: 8 }), 1234), events[1234], 'another seed, other data');
    const kinds = [0, 1, 2].map((k) => events.filter((e) => e.type === k).length);
    assert.deepEqual(kinds, [80, 240, 3680]);
    assert.ok(events.every((e, n) => e.dateTime === c.baseTime + n * 10), 'event time from the rate: 10 ms apart at 100 events/s');
    const bids = events.filter((e) => e.type === 2);
    const hot = bids.filter((b) => (b.auction - 1000) % 100 === 0).length / bids.length;
    assert.ok(hot > 0.45 && hot < 0.6, `about half the bids are for a hot auction (hotAuctionRatio 2): ${hot}`);
  });

  test('the splits stride one sequence: together they cover every event once', () => {
    const splits = nexmarkSplits(10, 3);
    const covered = splits.flatMap((s) => Array.from({ length: Math.ceil((s.end - s.next) / s.step) }, (_, i) => s.next + i * s.step));
    assert.deepEqual(covered.sort((a, b) => a - b), [...Array(10).keys()]);
  });
});

describe('Nexmark queries equal their references', () => {
  for (const [parallelism, backend] of [[1, 'heap'], [2, 'heap'], [1, 'lmdb'], [2, 'lmdb']] as const) {
    test(`q0–q5, q7, q8, q12 at parallelism ${parallelism} on ${backend}`, { timeout: 120_000 }, async () => {
      const dir = tempDir();
      try {
        const result = await nexmarkJob.execute({
          params: { config: CONFIG, queries: QUERY_NAMES }, parallelism, stateBackend: backend, stateDirectory: dir,
        }).done;
        assert.equal(result.status, 'finished');
        assertMatchesReference(result.collected);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

test('q7: ties, and a bid at exactly window_end joins that window too (BETWEEN is inclusive)', async () => {
  const t0 = Date.UTC(2026, 0, 1);
  const bid = (dt: number, price: number, auction: number): Bid => ({ type: 2, auction, bidder: 1001, price, channel: 'Google', url: 'u', dateTime: t0 + dt, extra: '' });
  const bids = [bid(100, 50, 1), bid(5_000, 70, 2), bid(9_999, 70, 3), bid(10_000, 70, 4), bid(10_000, 60, 5), bid(15_000, 80, 6), bid(20_000, 80, 7), bid(25_000, 10, 8)];
  const row = (b: Bid) => ({ auction: b.auction, price: b.price, bidder: b.bidder, dateTime: b.dateTime, extra: b.extra });
  // [t0, t0+10s): max 70, three bids at it (one at t0+10s); [t0+10s, t0+20s): max 80, with the one at t0+20s; [t0+20s, …): 80.
  const want = [bids[1]!, bids[2]!, bids[3]!, bids[5]!, bids[6]!, bids[6]!].map(row);
  assert.deepEqual(sorted(q7Reference(bids)), sorted(want), 'the reference');
  for (const parallelism of [1, 2]) {
    const result = await q7BidsJob.execute({ params: { bids }, parallelism, stateBackend: 'heap' }).done;
    assert.deepEqual(sorted(result.collected.q7!), sorted(want), `the job at parallelism ${parallelism}`);
  }
});

describe('the Nexmark source resumes exactly from its checkpointed position', () => {
  const config: NexmarkConfig = { events: 20_000, eventsPerSecond: 100, seed: 11 };
  const ref = nexmarkReference(config);
  const queries = ['q0', 'q4', 'q5'];

  test('q0, q4, q5 exactly once after 2 injected failures, unaligned checkpoints, LMDB', { timeout: 120_000 }, async () => {
    const dir = tempDir();
    try {
      const failMarker = path.join(dir, 'fail');
      const client = nexmarkFaultJob.execute({
        params: { config, failMarker }, parallelism: 2, bufferBytes: 4096, stateBackend: 'lmdb', stateDirectory: path.join(dir, 'state'),
        checkpointing: { intervalMs: 15, unaligned: true, directory: path.join(dir, 'checkpoints'), tolerableFailures: 100 },
        restartStrategy: { type: 'fixed-delay', attempts: 10, delayMs: 0 },
      });
      await injectFailures(client, failMarker, 2);
      const result = await client.done;
      assert.equal(result.failovers.length, 2, JSON.stringify(result.failovers.map((f) => f.cause.message)));
      assert.ok(result.failovers.every((f) => f.restoredCheckpointId !== null), 'each failover restored a checkpoint');
      assertMatchesReference(result.collected, ref, queries);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('rescaled 2 → 1 from a checkpoint taken mid-stream: q0, q4, q5 over both runs equal the reference', { timeout: 120_000 }, async () => {
    const dir = tempDir();
    try {
      const options = { params: { config }, bufferBytes: 4096, stateBackend: 'lmdb' as const };
      const first = nexmarkFaultJob.execute({
        ...options, parallelism: 2, stateDirectory: path.join(dir, 'state-1'),
        checkpointing: { directory: path.join(dir, 'checkpoints'), retention: 'retain-on-cancel', retained: 5 },
      });
      // A checkpoint after some output (the source has read part of its input), then cancel.
      const from = await checkpointMidStreamThenCancel(first, 'q0');
      const before = { q0: first.collected('q0'), q4: first.collected('q4'), q5: first.collected('q5') };
      assert.ok(before.q0.length > 0 && before.q0.length < ref.q0.length, `the checkpoint was taken mid-stream (${before.q0.length} of ${ref.q0.length} bids)`);
      const second = await nexmarkFaultJob.execute({ ...options, parallelism: 1, stateDirectory: path.join(dir, 'state-2'), restore: from }).done;
      const after = second.collected as Record<string, unknown[]>;
      assertMatchesReference({ q0: [...before.q0, ...after.q0!], q4: [...before.q4, ...after.q4!], q5: [...before.q5, ...after.q5!] }, ref, queries);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
