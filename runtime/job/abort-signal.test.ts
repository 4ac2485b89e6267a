import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { cancelOnAbort } from './abort-signal.ts';

test('jobs sharing one AbortSignal share one listener; all are cancelled on abort; the listener goes with the last job', () => {
  const controller = new AbortController();
  const cancelled: number[] = [];
  const forgets = Array.from({ length: 20 }, (_, i) => cancelOnAbort(controller.signal, () => cancelled.push(i)));
  assert.equal(getEventListeners(controller.signal, 'abort').length, 1, 'one listener for 20 jobs (Node warns from 11)');
  forgets[3]!();
  controller.abort();
  assert.deepEqual(cancelled, Array.from({ length: 20 }, (_, i) => i).filter((i) => i !== 3), 'every job still running is cancelled, once');
  assert.equal(getEventListeners(controller.signal, 'abort').length, 0);

  const other = new AbortController();
  const forgetA = cancelOnAbort(other.signal, () => assert.fail('ended before the abort'));
  const forgetB = cancelOnAbort(other.signal, () => assert.fail('ended before the abort'));
  forgetA();
  assert.equal(getEventListeners(other.signal, 'abort').length, 1);
  forgetB();
  assert.equal(getEventListeners(other.signal, 'abort').length, 0, 'the last job ended: nothing left on the app signal');
  other.abort();

  let now = 0;
  cancelOnAbort(controller.signal, () => now++); // an aborted signal cancels at once
  assert.equal(now, 1);
});
