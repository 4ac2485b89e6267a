import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../common/clock.ts';
import { BufferDebloater, DEFAULT_BUFFER_DEBLOAT, debloatedInFlightBytesBound, type BufferDebloatConfig } from './buffer-debloater.ts';
import { DEFAULT_BATCHING, inFlightBytesBound } from './record-writer.ts';

const RING = 256 * 1024;
const config = (o: Partial<BufferDebloatConfig> = {}): BufferDebloatConfig => ({ ...DEFAULT_BUFFER_DEBLOAT, targetMs: 100, ...o });

/**
 * A consumer driven by a manual clock: each period it is busy `busyMs` (consuming `bytesPerBusyMs`
 * per busy ms) and idle the rest; the debloater sees cumulative bytes and non-idle time.
 */
function consumer(d: BufferDebloater, periodMs = 200) {
  const clock = new ManualClock();
  let bytes = 0;
  let idle = 0;
  return {
    period(busyMs: number, bytesPerBusyMs: number, channels = 1): number | undefined {
      clock.advance(periodMs);
      bytes += busyMs * bytesPerBusyMs;
      idle += periodMs - busyMs;
      return d.sample(bytes, clock.now() - idle, channels);
    },
  };
}

describe('buffer debloater', () => {
  test('the limit is throughput × target / open channels; the first measurement is taken as is', () => {
    const d = new BufferDebloater(config(), RING);
    const c = consumer(d);
    // 1 000 bytes per busy ms = 1 MB/s; 100 ms → 100 000 bytes, over 2 channels.
    assert.equal(c.period(200, 1000, 2), 50_000);
    assert.equal(d.limitBytes, 50_000);
    assert.equal(d.throughputBytesPerSecond, 1_000_000);
  });

  test('idle time is excluded from the throughput (a consumer idle half the time is not half as fast)', () => {
    const d = new BufferDebloater(config(), RING);
    const c = consumer(d);
    assert.equal(c.period(100, 1000), 100_000);
    assert.equal(d.throughputBytesPerSecond, 1_000_000);
    assert.equal(c.period(0, 1000), undefined, 'a period idle throughout measures nothing');
    assert.equal(d.throughputBytesPerSecond, 1_000_000);
  });

  test('the throughput is smoothed over ~samples periods (decayed sums of bytes and of non-idle time, decay 1 − 2 / (samples + 1))', () => {
    const d = new BufferDebloater(config({ samples: 3, thresholdPercent: 0 }), RING);
    const c = consumer(d);
    c.period(200, 1000); // 1 MB/s
    c.period(200, 0); // 0 B/s: (100 000 + 0) bytes / (100 + 200) ms
    assert.equal(Math.round(d.throughputBytesPerSecond!), 333_333);
    assert.equal(d.limitBytes, 33_333);
    c.period(200, 0); // (50 000) / (50 + 100 + 200)
    assert.equal(Math.round(d.throughputBytesPerSecond!), 142_857);
  });

  test('a burst read in a moment of non-idle time weighs by that moment, not by a period', (t) => {
    const d = new BufferDebloater(config({ samples: 20 }), RING);
    const c = consumer(d);
    // An idle consumer drains a full ring in 1 ms (256 MB/s): no limit.
    assert.equal(c.period(1, RING), undefined);
    assert.equal(d.limitBytes, RING);
    // Then it is busy all the time at 240 KB/s: its limit follows within a few periods (a plain
    // average of per-period rates would stay above 1 MB/s for ~15 periods).
    let limit = RING;
    let periods = 0;
    while (limit > 24_000 * 1.35 && periods < 20) {
      periods++;
      limit = c.period(200, 240) ?? limit;
    }
    t.diagnostic(`${periods} periods`);
    assert.ok(periods <= 10, `the limit came within 35 % of 24 000 bytes (the threshold is 25 %) after ${periods} periods (${limit})`);
  });

  test('a new limit is published only when it differs by more than thresholdPercent', () => {
    const d = new BufferDebloater(config({ samples: 1 }), RING); // alpha 1: the average is the last measurement
    const c = consumer(d);
    assert.equal(c.period(200, 1000), 100_000);
    assert.equal(c.period(200, 1200), undefined, '+20 %: kept');
    assert.equal(d.limitBytes, 100_000);
    assert.equal(c.period(200, 1300), 130_000, '+30 %: published');
    assert.equal(c.period(200, 1000), undefined, '−23 %: kept');
    assert.equal(c.period(200, 900), 90_000, '−31 %: published');
  });

  test('the limit is clamped to [minBytes, ring capacity]; reaching a bound is always published', () => {
    const d = new BufferDebloater(config({ samples: 1, minBytes: 4096 }), RING);
    const c = consumer(d);
    assert.equal(c.period(200, 10), 4096, 'a slow consumer: the minimum');
    assert.equal(c.period(200, 50), undefined, '5 000 bytes: within 25 % of the minimum');
    assert.equal(c.period(200, 100_000), RING, 'a fast consumer: the capacity (= no limit)');
    assert.equal(c.period(200, 2600), undefined, '260 000 bytes: within 25 % of the capacity');
    assert.equal(c.period(200, 3000), undefined, 'above the capacity: still the capacity');
    assert.equal(c.period(200, 0), 4096, 'nothing consumed while busy: the minimum');
    // A minimum above the capacity is the capacity.
    assert.equal(new BufferDebloater(config({ minBytes: 1 << 20 }), 4096).limitBytes, 4096);
  });

  test('fewer open channels: each gets a larger share; none open: nothing published', () => {
    const d = new BufferDebloater(config({ samples: 1 }), RING);
    const c = consumer(d);
    assert.equal(c.period(200, 1000, 4), 25_000);
    assert.equal(c.period(200, 1000, 2), 50_000);
    assert.equal(c.period(200, 1000, 0), undefined);
  });

  test('estimated time to consume what is queued, at the smoothed throughput', () => {
    const d = new BufferDebloater(config(), RING);
    assert.equal(d.estimatedTimeToConsumeMs(1000), undefined);
    consumer(d).period(200, 1000);
    assert.equal(d.estimatedTimeToConsumeMs(500_000), 500);
  });

  test('the debloated in-flight bound shrinks with the limit and never exceeds the static one', () => {
    const largest = 100;
    const full = inFlightBytesBound(RING, DEFAULT_BATCHING, largest);
    assert.ok(debloatedInFlightBytesBound(RING, DEFAULT_BATCHING, largest) <= full);
    // 4 KiB: the ring's 4 KiB + a 1 KiB queue + three batches of 1 KiB plus the record (and timestamp) that crossed it.
    assert.equal(debloatedInFlightBytesBound(4096, DEFAULT_BATCHING, largest), 4096 + 1024 + 3 * (1024 + 100 + 8));
    assert.equal(debloatedInFlightBytesBound(4096, DEFAULT_BATCHING, 10), 4096 + 1024 + 3 * (1024 + 10 + 8));
  });
});
