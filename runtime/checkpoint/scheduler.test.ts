import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../common/clock.ts';
import { ManualScheduler, RealScheduler } from './scheduler.ts';

describe('ManualScheduler', () => {
  test('fires due timers in time order, with the clock at each timer time', () => {
    const timers = new ManualScheduler(new ManualClock(100));
    const fired: Array<[string, number]> = [];
    timers.schedule(130, () => fired.push(['b', timers.clock.now()]));
    timers.schedule(120, () => fired.push(['a', timers.clock.now()]));
    timers.schedule(130, () => fired.push(['c', timers.clock.now()]));
    timers.schedule(200, () => fired.push(['d', timers.clock.now()]));
    timers.advance(50);
    assert.deepEqual(fired, [['a', 120], ['b', 130], ['c', 130]]);
    assert.equal(timers.clock.now(), 150);
    assert.equal(timers.pendingCount, 1);
    assert.equal(timers.nextAt(), 200);
  });

  test('cancel is idempotent and prevents firing', () => {
    const timers = new ManualScheduler();
    let n = 0;
    const cancel = timers.schedule(10, () => n++);
    cancel();
    cancel();
    timers.advance(100);
    assert.equal(n, 0);
    assert.equal(timers.pendingCount, 0);
  });

  test('timers scheduled while firing fire in the same advance when due', () => {
    const timers = new ManualScheduler();
    const at: number[] = [];
    const tick = (): void => {
      at.push(timers.clock.now());
      timers.schedule(timers.clock.now() + 10, tick);
    };
    timers.schedule(10, tick);
    timers.advanceTo(45);
    assert.deepEqual(at, [10, 20, 30, 40]);
    assert.equal(timers.nextAt(), 50);
  });

  test('a timer in the past fires on runDue without moving the clock', () => {
    const timers = new ManualScheduler(new ManualClock(500));
    let seen = -1;
    timers.schedule(100, () => (seen = timers.clock.now()));
    timers.runDue();
    assert.equal(seen, 500);
  });

  test('advancing to a time in the past never moves the clock back', () => {
    const timers = new ManualScheduler(new ManualClock(10));
    timers.advanceTo(5);
    assert.equal(timers.clock.now(), 10);
  });
});

describe('RealScheduler', () => {
  test('fires a real timer and honours cancel', async () => {
    const timers = new RealScheduler();
    const order: string[] = [];
    const cancelled = timers.schedule(Date.now() + 1, () => order.push('cancelled'));
    cancelled();
    await new Promise<void>((resolve) => timers.schedule(Date.now() + 5, () => {
      order.push('fired');
      resolve();
    }));
    assert.deepEqual(order, ['fired']);
  });
});
