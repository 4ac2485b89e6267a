import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TaskTimes } from './task-metrics.ts';

test('busy / idle / back-pressured time counts the wait in progress, so busy never goes back', async () => {
  let now = 1000; // performance.now() of a loop that started (0 reads as not started)
  const times = new TaskTimes(() => now);
  times.start();
  now = 1010;
  let release!: () => void;
  const idle = times.idle(new Promise<void>((r) => (release = r)));
  now = 1050;
  assert.deepEqual(times.split(), { busyMs: 10, idleMs: 40, backPressuredMs: 0 }, 'an idle wait in progress is idle, not busy');
  now = 1060;
  release();
  await idle;
  now = 1070;
  assert.deepEqual(times.split(), { busyMs: 20, idleMs: 50, backPressuredMs: 0 });

  let unblock!: () => void;
  const blocked = times.backPressure(() => new Promise<void>((r) => (unblock = r)));
  assert.equal(times.backPressured, true);
  now = 1100;
  // A wait inside the back-pressured one (mails run meanwhile) is part of it, counted once.
  const inner = times.idle(Promise.resolve());
  await inner;
  assert.deepEqual(times.split(), { busyMs: 20, idleMs: 50, backPressuredMs: 30 });
  now = 1130;
  unblock();
  await blocked;
  assert.equal(times.backPressured, false);
  now = 1140;
  assert.deepEqual(times.split(), { busyMs: 30, idleMs: 50, backPressuredMs: 60 });
});
