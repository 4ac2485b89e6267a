import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Doorbell, DOORBELL_BYTES } from './doorbell.ts';
import { startTsWorker } from './test-support/channel-test-plan.ts';

describe('doorbell', () => {
  test('ring() with nobody armed is a no-op; with the owner armed it bumps the sequence', () => {
    const bell = Doorbell.create();
    assert.equal(bell.buffer.byteLength, DOORBELL_BYTES);
    assert.equal(bell.ring(), false);
    assert.equal(bell.sequence, 0);
    const token = bell.prepareWait();
    assert.equal(token, 0);
    assert.equal(bell.isWaiting, true);
    assert.equal(bell.ring(), true);
    assert.equal(bell.sequence, 1);
    bell.cancelWait();
    assert.equal(bell.isWaiting, false);
  });

  test('a ring between prepareWait and wait is not lost: wait returns at once', async () => {
    const bell = Doorbell.create();
    const token = bell.prepareWait();
    bell.ring();
    assert.equal(await bell.wait(token), 'not-equal');
    assert.equal(bell.isWaiting, false);
  });

  test('wait resolves "ok" when rung later, "timed-out" after its timeout, and forceRing always wakes', async () => {
    const bell = Doorbell.create();
    const t1 = bell.prepareWait();
    const w1 = bell.wait(t1);
    setImmediate(() => bell.ring());
    assert.equal(await w1, 'ok');
    assert.equal(await bell.wait(bell.prepareWait(), { timeoutMs: 5 }), 'timed-out');
    const t2 = bell.prepareWait();
    bell.cancelWait();
    const w2 = bell.wait(t2);
    setImmediate(() => bell.forceRing());
    assert.equal(await w2, 'ok');
  });

  test('a bell living in a larger SAB uses the given words; bad layouts are rejected', () => {
    const words = new Int32Array(new SharedArrayBuffer(64));
    const bell = new Doorbell(words, 5, 9);
    bell.prepareWait();
    assert.equal(words[9], 1);
    bell.ring();
    assert.equal(words[5], 1);
    assert.throws(() => new Doorbell(words, 3, 3), (e: { code?: string }) => e.code === 'WEIR_DOORBELL_LAYOUT');
    assert.throws(() => new Doorbell(new Int32Array(4)), (e: { code?: string }) => e.code === 'WEIR_DOORBELL_NOT_SHARED');
  });

  test('another thread wakes the owner; a sleeping worker stays alive until rung', { timeout: 30_000 }, async () => {
    const worker = startTsWorker(new URL('./test-support/doorbell-test-worker.ts', import.meta.url));
    try {
      // 1. The worker rings this thread's bell once we are armed.
      const bell = Doorbell.create();
      const token = bell.prepareWait();
      worker.postMessage({ cmd: 'ring-when-armed', bell: bell.buffer });
      assert.equal(await bell.wait(token), 'ok');
      assert.deepEqual((await once(worker, 'message'))[0], { rang: true });
      // 2. The worker sleeps on a bell with nothing else holding its event loop.
      const other = Doorbell.create();
      worker.postMessage({ cmd: 'sleep', bell: other.buffer });
      assert.deepEqual((await once(worker, 'message'))[0], { armed: true });
      let exited = false;
      worker.once('exit', () => (exited = true));
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(exited, false, 'worker exited while sleeping on the doorbell');
      assert.equal(other.ring(), true);
      assert.deepEqual((await once(worker, 'message'))[0], { woke: 'ok' });
    } finally {
      await worker.terminate();
    }
  });
});
