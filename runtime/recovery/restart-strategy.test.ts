import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WeirError } from '../../common/weir-error.ts';
import { ManualClock } from '../../common/clock.ts';
import {
  EXPONENTIAL_DELAY_DEFAULTS, RestartTracker, describeRestartStrategy, resolveRestartStrategy,
  type RestartDecision, type RestartStrategyConfig,
} from './restart-strategy.ts';

const restart = (attempt: number, delayMs: number): RestartDecision => ({ restart: true, delayMs, attempt });

function assertInvalid(input: unknown, field: string, messagePart: string): void {
  assert.throws(() => resolveRestartStrategy(input as RestartStrategyConfig, true), (e: unknown) => {
    assert.ok(e instanceof WeirError);
    assert.equal(e.code, 'WEIR_INVALID_RESTART_STRATEGY');
    assert.equal(e.details.field, field);
    assert.ok(e.message.includes(messagePart), `message '${e.message}' should include '${messagePart}'`);
    return true;
  });
}

describe('resolveRestartStrategy', () => {
  test('defaults: none without checkpointing, exponential-delay (Flink 1.19 defaults) with checkpointing', () => {
    assert.deepEqual(resolveRestartStrategy(undefined, false), { type: 'none' });
    assert.deepEqual(resolveRestartStrategy(undefined, true), {
      type: 'exponential-delay', initialDelayMs: 1000, maxDelayMs: 60_000, multiplier: 1.5, resetAfterMs: 3_600_000, jitter: 0.1, attempts: Infinity,
    });
  });

  test('explicit strategies are kept, exponential-delay fields default one by one', () => {
    assert.deepEqual(resolveRestartStrategy({ type: 'none' }, true), { type: 'none' });
    assert.deepEqual(resolveRestartStrategy({ type: 'fixed-delay', attempts: 3, delayMs: 0 }, false), { type: 'fixed-delay', attempts: 3, delayMs: 0 });
    assert.deepEqual(resolveRestartStrategy({ type: 'failure-rate', maxFailures: 2, intervalMs: 1000, delayMs: 5 }, true), { type: 'failure-rate', maxFailures: 2, intervalMs: 1000, delayMs: 5 });
    assert.deepEqual(resolveRestartStrategy({ type: 'exponential-delay', initialDelayMs: 10, attempts: 4 }, true), { ...EXPONENTIAL_DELAY_DEFAULTS, initialDelayMs: 10, attempts: 4 });
    // An initial delay above the default max raises the default max with it.
    assert.equal((resolveRestartStrategy({ type: 'exponential-delay', initialDelayMs: 90_000 }, true) as { maxDelayMs: number }).maxDelayMs, 90_000);
    assert.ok(Object.isFrozen(resolveRestartStrategy({ type: 'fixed-delay', attempts: 1, delayMs: 1 }, true)));
  });

  test('invalid input names the field, the value and the rule', () => {
    assertInvalid(null, '(restart strategy)', 'must be an object with a type, got null');
    assertInvalid({ type: 'sometimes' }, 'type', `must be one of 'none', 'fixed-delay', 'exponential-delay', 'failure-rate', got "sometimes"`);
    assertInvalid({ type: 'fixed-delay', attempts: 3 }, 'fixed-delay.delayMs', 'is required and must be a number >= 0, got undefined');
    assertInvalid({ type: 'fixed-delay', attempts: -1, delayMs: 0 }, 'fixed-delay.attempts', 'must be an integer >= 0, got -1');
    assertInvalid({ type: 'fixed-delay', attempts: 1.5, delayMs: 0 }, 'fixed-delay.attempts', 'must be an integer >= 0, got 1.5');
    assertInvalid({ type: 'fixed-delay', attempts: 1, delayMs: '5' }, 'fixed-delay.delayMs', 'must be a number >= 0, got "5"');
    assertInvalid({ type: 'fixed-delay', attempts: 1, delayMs: 5, delay: 5 }, 'fixed-delay.delay', `is not an option of 'fixed-delay' (known: type, attempts, delayMs)`);
    assertInvalid({ type: 'failure-rate', maxFailures: 0, intervalMs: 10, delayMs: 0 }, 'failure-rate.maxFailures', 'must be an integer >= 1, got 0');
    assertInvalid({ type: 'failure-rate', maxFailures: 1, intervalMs: 0, delayMs: 0 }, 'failure-rate.intervalMs', 'must be a number > 0, got 0');
    assertInvalid({ type: 'exponential-delay', multiplier: 1 }, 'exponential-delay.multiplier', 'must be a number > 1, got 1');
    assertInvalid({ type: 'exponential-delay', jitter: 1.5 }, 'exponential-delay.jitter', 'must be a number in [0, 1], got 1.5');
    assertInvalid({ type: 'exponential-delay', initialDelayMs: 0 }, 'exponential-delay.initialDelayMs', 'must be a number >= 1, got 0');
    assertInvalid({ type: 'exponential-delay', initialDelayMs: 100, maxDelayMs: 50 }, 'exponential-delay.maxDelayMs', 'must be >= initialDelayMs (100), got 50');
    assertInvalid({ type: 'exponential-delay', attempts: 0 }, 'exponential-delay.attempts', 'must be an integer >= 1 (or Infinity for unlimited), got 0');
    assertInvalid({ type: 'exponential-delay', resetAfterMs: NaN }, 'exponential-delay.resetAfterMs', 'must be a number >= 1, got NaN');
  });

  test('describeRestartStrategy', () => {
    assert.equal(describeRestartStrategy(resolveRestartStrategy(undefined, true)),
      'exponential-delay (1000 ms × 1.5 up to 60000 ms, jitter 0.1, reset after 3600000 ms, unlimited attempts)');
    assert.equal(describeRestartStrategy(resolveRestartStrategy({ type: 'fixed-delay', attempts: 3, delayMs: 100 }, true)), 'fixed-delay (3 attempts, 100 ms apart)');
  });
});

describe('RestartTracker', () => {
  test('none never restarts', () => {
    const t = new RestartTracker(resolveRestartStrategy(undefined, false), new ManualClock());
    assert.deepEqual(t.onFailure(), { restart: false, delayMs: 0, attempt: 1, reason: 'none: restarts are disabled (restart strategy none)' });
    assert.equal(t.failures, 1);
  });

  test('fixed-delay: exactly `attempts` restarts, each after delayMs, then the job fails', () => {
    const clock = new ManualClock(1000);
    const t = new RestartTracker(resolveRestartStrategy({ type: 'fixed-delay', attempts: 3, delayMs: 250 }, true), clock);
    assert.deepEqual(t.onFailure(), restart(1, 250));
    clock.set(5000);
    assert.deepEqual(t.onFailure(), restart(2, 250));
    clock.set(9_000_000); // no reset in fixed-delay, however long it ran
    assert.deepEqual(t.onFailure(), restart(3, 250));
    assert.deepEqual(t.onFailure(), { restart: false, delayMs: 0, attempt: 4, reason: 'fixed-delay: 3 attempts used' });
    assert.equal(t.failures, 4);
  });

  test('fixed-delay with 0 attempts fails on the first failure', () => {
    const t = new RestartTracker(resolveRestartStrategy({ type: 'fixed-delay', attempts: 0, delayMs: 0 }, true), new ManualClock());
    assert.deepEqual(t.onFailure(), { restart: false, delayMs: 0, attempt: 1, reason: 'fixed-delay: 0 attempts used' });
  });

  test('failure-rate: more than maxFailures within intervalMs fails the job; older failures age out', () => {
    const clock = new ManualClock(0);
    const t = new RestartTracker(resolveRestartStrategy({ type: 'failure-rate', maxFailures: 2, intervalMs: 1000, delayMs: 10 }, true), clock);
    assert.deepEqual(t.onFailure(), restart(1, 10)); // t=0: [0]
    clock.set(600);
    assert.deepEqual(t.onFailure(), restart(2, 10)); // [0, 600]
    clock.set(1001);
    assert.deepEqual(t.onFailure(), restart(3, 10)); // 0 aged out: [600, 1001]
    clock.set(1600);
    // 600 is exactly intervalMs ago: it still counts → [600, 1001, 1600] = 3 > 2
    assert.deepEqual(t.onFailure(), { restart: false, delayMs: 0, attempt: 4, reason: 'failure-rate: 3 failures within 1000 ms exceed maxFailures 2' });
  });

  test('failure-rate: spaced failures restart forever', () => {
    const clock = new ManualClock(0);
    const t = new RestartTracker(resolveRestartStrategy({ type: 'failure-rate', maxFailures: 1, intervalMs: 100, delayMs: 0 }, true), clock);
    for (let i = 1; i <= 20; i++) {
      clock.set(i * 101);
      assert.deepEqual(t.onFailure(), restart(i, 0));
    }
    assert.equal(t.onFailure().restart, false); // a second failure at the same instant
  });

  test('exponential-delay without jitter: initial × multiplier^k, capped at max', () => {
    const clock = new ManualClock(0);
    const s = resolveRestartStrategy({ type: 'exponential-delay', initialDelayMs: 100, maxDelayMs: 1000, multiplier: 2, jitter: 0, resetAfterMs: 60_000 }, true);
    const t = new RestartTracker(s, clock);
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      const d = t.onFailure();
      assert.equal(d.restart, true);
      assert.equal(d.attempt, i + 1);
      delays.push(d.delayMs);
      clock.set(clock.now() + d.delayMs + 10); // fails 10 ms after each restart
    }
    assert.deepEqual(delays, [100, 200, 400, 800, 1000, 1000, 1000]);
  });

  test('exponential-delay defaults: 1000, 1500, 2250, … with a fractional multiplier rounded down', () => {
    const clock = new ManualClock(0);
    const t = new RestartTracker(resolveRestartStrategy({ type: 'exponential-delay', jitter: 0 }, true), clock);
    const delays: number[] = [];
    for (let i = 0; i < 12; i++) {
      const d = t.onFailure();
      delays.push(d.delayMs);
      clock.set(clock.now() + d.delayMs);
    }
    assert.deepEqual(delays, [1000, 1500, 2250, 3375, 5062, 7593, 11390, 17085, 25628, 38443, 57665, 60000]);
  });

  test('exponential-delay resets after resetAfterMs of running since the (scheduled) restart', () => {
    const clock = new ManualClock(0);
    const s = resolveRestartStrategy({ type: 'exponential-delay', initialDelayMs: 100, maxDelayMs: 10_000, multiplier: 2, jitter: 0, resetAfterMs: 5000, attempts: 3 }, true);
    const t = new RestartTracker(s, clock);
    assert.deepEqual(t.onFailure(), restart(1, 100)); // restart due at 100
    clock.set(100 + 4999);
    assert.deepEqual(t.onFailure(), restart(2, 200)); // ran 4999 ms < 5000: no reset; due at 5299
    clock.set(5299 + 5000);
    assert.deepEqual(t.onFailure(), restart(1, 100)); // ran exactly 5000 ms: reset
    clock.set(clock.now() + 100);
    assert.deepEqual(t.onFailure(), restart(2, 200));
    clock.set(clock.now() + 200);
    assert.deepEqual(t.onFailure(), restart(3, 400));
    clock.set(clock.now() + 400);
    assert.deepEqual(t.onFailure(), {
      restart: false, delayMs: 0, attempt: 4, reason: 'exponential-delay: 3 attempts used without 5000 ms of failure-free running',
    });
    assert.equal(t.failures, 6);
  });

  test('exponential-delay jitter: ± ⌊base × jitter⌋ from the injected random, clamped to [initial, max]', () => {
    const s = resolveRestartStrategy({ type: 'exponential-delay', initialDelayMs: 1000, maxDelayMs: 5000, multiplier: 2, jitter: 0.1 }, true);
    const delaysWith = (r: number): number[] => {
      const clock = new ManualClock(0);
      const t = new RestartTracker(s, clock, () => r);
      const out: number[] = [];
      for (let i = 0; i < 5; i++) {
        const d = t.onFailure();
        out.push(d.delayMs);
        clock.set(clock.now() + d.delayMs);
      }
      return out;
    };
    // bases 1000, 2000, 4000, 5000, 5000; spread 100, 200, 400, 500, 500
    assert.deepEqual(delaysWith(0.5), [1000, 2000, 4000, 5000, 5000]);
    assert.deepEqual(delaysWith(0), [1000, 1800, 3600, 4500, 4500]); // -spread; the first is clamped up to initial
    assert.deepEqual(delaysWith(0.999999), [1100, 2200, 4400, 5000, 5000]); // +spread; capped at max
    // The jitter never compounds: a sequence of random values only moves each delay around its base.
    const seq = [0, 0.999999, 0.25];
    const clock = new ManualClock(0);
    let i = 0;
    const t = new RestartTracker(s, clock, () => seq[i++ % seq.length]!);
    const got: number[] = [];
    for (let k = 0; k < 3; k++) {
      const d = t.onFailure();
      got.push(d.delayMs);
      clock.set(clock.now() + d.delayMs);
    }
    // base 1000 r=0 → 900 → clamped 1000; base 2000 r≈1 → 2200; base 4000 r=0.25 → ⌊0.25×801⌋-400 = -200 → 3800
    assert.deepEqual(got, [1000, 2200, 3800]);
  });
});
