import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TaskWaits } from './task-waits.ts';

test('waits end with their promise, a mail (interruptible only) or the stop; a settled wait leaves no waker behind', async () => {
  let stopping = false;
  let mail = false;
  const waits = new TaskWaits(() => stopping, () => mail);
  const internal = waits as unknown as { onMailOrStop: Set<unknown>; onStop: Set<unknown> };

  for (let i = 0; i < 1000; i++) assert.equal(await waits.untilStopped(Promise.resolve(i)), i);
  assert.equal(await waits.interruptible(Promise.resolve('x')), 'x');
  assert.equal(internal.onStop.size + internal.onMailOrStop.size, 0, 'settled waits are forgotten (a race on one long-lived stop promise kept each)');

  const forever = new Promise<number>(() => {});
  const blocked = waits.untilStopped(forever);
  const interrupted = waits.interruptible(forever);
  mail = true;
  waits.mailArrived();
  assert.equal(await interrupted, undefined, 'a mail ends an interruptible wait');
  assert.equal(internal.onStop.size, 1, 'but not a wait only the stop ends');
  stopping = true;
  waits.stopped();
  assert.equal(await blocked, undefined);
  assert.equal(await waits.untilStopped(forever), undefined, 'stopped: at once');
  assert.equal(internal.onStop.size + internal.onMailOrStop.size, 0);
});
