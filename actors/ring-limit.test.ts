/**
 * The ring's limit (buffer debloating): the reader publishes in the header how many bytes the
 * writer may keep on the ring; the writer honours it in `tryWrite` and `write`, a frame larger
 * than the limit still passes an empty ring, and a writer waiting for space wakes when the limit
 * is raised or space is freed — also across threads, with the limit changing all the time.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Worker } from 'node:worker_threads';
import { createRingBuffer, frameFootprint, ringUsableBytes, RingReader, RingWriter } from './ring-buffer.ts';
import { createChannel, ChannelReader } from './channel.ts';
import { Doorbell } from './doorbell.ts';
import { digest, payloadFor, request, startChannelTestWorker, type PlanOp } from './test-support/channel-test-plan.ts';

const tick = () => new Promise<void>((r) => setImmediate(r));

function ring(capacity: number) {
  const sab = createRingBuffer(capacity);
  return { sab, w: new RingWriter(sab), r: new RingReader(sab) };
}

/** Whether `p` settled after a few turns of the event loop (a doorbell wake-up is asynchronous). */
async function settles(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(() => (done = true), () => (done = true));
  for (let i = 0; i < 20 && !done; i++) await tick();
  return done;
}

describe('ring limit (buffer debloating) in one thread', () => {
  test('no limit by default; the usable capacity is the limit rounded down to 8, at least 64, 0 or ≥ capacity = none', () => {
    const { sab, w, r } = ring(1024);
    assert.equal(ringUsableBytes(sab), 1024);
    assert.equal(w.usableBytes, 1024);
    r.setLimit(300);
    assert.deepEqual([ringUsableBytes(sab), w.usableBytes, r.usableBytes], [296, 296, 296]);
    r.setLimit(10);
    assert.equal(ringUsableBytes(sab), 64);
    r.setLimit(4096);
    assert.equal(ringUsableBytes(sab), 1024);
    r.setLimit(0);
    assert.equal(ringUsableBytes(sab), 1024);
  });

  test('tryWrite refuses a frame that would take the ring above its limit', () => {
    const { w, r } = ring(1024);
    r.setLimit(256);
    assert.equal(frameFootprint(120), 128);
    assert.equal(w.tryWrite(1, new Uint8Array(120)), true);
    assert.equal(w.tryWrite(1, new Uint8Array(120)), true); // 256 used = the limit
    assert.equal(w.freeBytes, 0);
    assert.equal(w.tryWrite(1, new Uint8Array(0)), false, 'the ring has 768 bytes free, but not within the limit');
    r.tryRead();
    assert.equal(w.tryWrite(1, new Uint8Array(121)), false); // needs 136, 128 within the limit
    assert.equal(w.tryWrite(1, new Uint8Array(120)), true);
    r.setLimit(0);
    assert.equal(w.tryWrite(1, new Uint8Array(500)), true, 'no limit: the whole ring again');
  });

  test('a frame larger than the limit (but not than the ring) passes an empty ring, whole', () => {
    const { w, r } = ring(1024);
    r.setLimit(64);
    const big = payloadFor(5, 600);
    assert.equal(w.tryWrite(1, big), true);
    assert.equal(w.tryWrite(1, new Uint8Array(1)), false);
    assert.deepEqual([...r.tryRead()!.payload], [...big]);
    assert.equal(w.tryWrite(1, new Uint8Array(1)), true);
  });

  test('a cut limit below what is queued refuses writes until the reader drained below it', () => {
    const { w, r } = ring(1024);
    for (let i = 0; i < 4; i++) assert.equal(w.tryWrite(1, new Uint8Array(120)), true); // 512 used
    r.setLimit(256);
    assert.equal(w.tryWrite(1, new Uint8Array(0)), false);
    r.tryRead();
    r.tryRead(); // 256 used
    assert.equal(w.tryWrite(1, new Uint8Array(0)), false);
    r.tryRead(); // 128 used
    assert.equal(w.tryWrite(1, new Uint8Array(120)), true);
  });

  test('write() waits for space within the limit and wakes when the reader frees it', async () => {
    const { w, r } = ring(1024);
    r.setLimit(256);
    w.tryWrite(1, new Uint8Array(120));
    w.tryWrite(2, new Uint8Array(120));
    const third = w.write(3, new Uint8Array(120));
    assert.equal(await settles(third), false, 'waits while the ring is at its limit');
    assert.equal(r.tryRead()?.kind, 1);
    assert.equal(await settles(third), true, 'freed space within the limit wakes the writer');
    assert.deepEqual([r.tryRead()?.kind, r.tryRead()?.kind], [2, 3]);
  });

  test('write() wakes when the limit is raised while it sleeps, and waits again when it is cut', async () => {
    const { w, r } = ring(1024);
    r.setLimit(128);
    w.tryWrite(1, new Uint8Array(120));
    const second = w.write(2, new Uint8Array(120));
    assert.equal(await settles(second), false);
    r.setLimit(100); // a cut: a wake-up (if any) finds no room and sleeps again
    assert.equal(await settles(second), false);
    r.setLimit(512); // a raise: room now
    assert.equal(await settles(second), true, 'raising the limit wakes the sleeping writer');
    assert.equal(w.framesWritten, 2);
    assert.equal(r.tryRead()?.kind, 1);
    assert.equal(r.tryRead()?.kind, 2);
  });

  test('write() of a frame larger than the limit waits for the ring to empty, then passes whole', async () => {
    const { w, r } = ring(1024);
    r.setLimit(128);
    w.tryWrite(1, new Uint8Array(56));
    const big = payloadFor(7, 700);
    const writing = w.write(2, big);
    assert.equal(await settles(writing), false, 'not while the ring holds anything');
    assert.equal(r.tryRead()?.kind, 1); // the ring is empty now: the reader's release rings the writer
    assert.equal(await settles(writing), true);
    const f = r.tryRead();
    assert.deepEqual([f?.kind, f && digest(f.payload)], [2, digest(big)]);
  });

  test('frames larger than the ring are fragmented within the limit, and reassembled', async () => {
    const { w, r } = ring(256);
    r.setLimit(128);
    const huge = payloadFor(9, 2000);
    const writing = w.write(4, huge);
    let frame = null;
    for (let i = 0; i < 10_000 && frame === null; i++) {
      assert.ok(w.freeBytes >= 0);
      await tick();
      frame = r.tryRead();
      if (i % 7 === 3) r.setLimit(i % 2 === 0 ? 64 : 200); // the limit changes while fragments are written
    }
    await writing;
    assert.deepEqual([frame?.kind, frame && digest(frame.payload)], [4, digest(huge)]);
  });
});

describe('ring limit across threads', () => {
  test('a producer thread under a limit that keeps changing (down to below one frame) delivers every frame once, in order; the queue stays within max(limit, one frame)', { timeout: 60_000 }, async () => {
    const producer: Worker = startChannelTestWorker();
    try {
      const spec = createChannel({ capacityBytes: 16 * 1024 });
      const bell = Doorbell.create();
      const reader = new ChannelReader(spec);
      const plan: PlanOp[] = Array.from({ length: 3000 }, (_, i) => ({
        lane: 'data', kind: 1 + (i % 200), size: (i * 7919) % 3000, seed: i + 1, tryFirst: i % 2 === 0, awaitIt: i % 3 === 0, pause: i % 50 === 0,
      }));
      const produced = request<{ framesWritten: number }>(producer, { cmd: 'produce', spec, bell: bell.buffer, plan });
      const limits = [0, 64, 512, 2048, 100, 8192, 300];
      const largestFrame = frameFootprint(3000);
      let next = 0;
      let worst = 0;
      // The limits in force: a write decided just before a change may still land under the previous one.
      let limit = 0;
      let previous = 0;
      for (;;) {
        const f = reader.tryRead();
        if (f === null) {
          if (reader.isFinished()) break;
          const token = bell.prepareWait();
          if (reader.hasAny() || reader.isClosed) {
            bell.cancelWait();
            continue;
          }
          await bell.wait(token);
          continue;
        }
        const op = plan[next]!;
        assert.deepEqual([f.index, f.kind, f.payload.length, digest(f.payload)], [next, op.kind, op.size, digest(payloadFor(op.seed, op.size))]);
        next++;
        // Queued bytes never exceed the limit, except by the one frame an empty ring takes.
        if (limit > 0 && previous > 0) worst = Math.max(worst, reader.queuedDataBytes - Math.max(limit, previous, largestFrame));
        if (next % 97 === 0) {
          previous = limit;
          const l = limits[(next / 97) % limits.length]!;
          reader.setDataLimit(l);
          limit = l > 0 ? Math.max(64, l) : 0; // the lane's floor
        }
        if (next % 13 === 0) await tick(); // let the producer catch up: the ring fills to the limit
      }
      const { framesWritten } = await produced;
      assert.equal(next, plan.length);
      assert.equal(framesWritten, plan.length);
      assert.ok(worst <= 0, `queued bytes exceeded the limits in force by ${worst} B`);
    } finally {
      await producer.terminate();
    }
  });
});
