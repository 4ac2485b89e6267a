import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createRingBuffer, frameFootprint, ringCapacity, RING_HEADER_BYTES, RingReader, RingWriter } from './ring-buffer.ts';
import { payloadFor } from './test-support/channel-test-plan.ts';

const code = (c: string) => (e: { code?: string }) => e.code === c;
const bytes = (f: { payload: Uint8Array } | null) => (f === null ? null : [...f.payload]);
const tick = () => new Promise<void>((r) => setImmediate(r));

function ring(capacity: number) {
  const sab = createRingBuffer(capacity);
  return { sab, w: new RingWriter(sab), r: new RingReader(sab) };
}

describe('ring buffer allocation', () => {
  test('capacity is rounded up to a power of two, at least 64', () => {
    assert.equal(ringCapacity(createRingBuffer(1)), 64);
    assert.equal(ringCapacity(createRingBuffer(100)), 128);
    assert.equal(ringCapacity(createRingBuffer(4096)), 4096);
    assert.equal(createRingBuffer(4096).byteLength, 4096 + RING_HEADER_BYTES);
  });

  test('bad capacities and foreign buffers are rejected with codes', () => {
    assert.throws(() => createRingBuffer(0), code('WEIR_RING_CAPACITY'));
    assert.throws(() => createRingBuffer(1.5), code('WEIR_RING_CAPACITY'));
    assert.throws(() => createRingBuffer(2 ** 31), code('WEIR_RING_CAPACITY'));
    assert.throws(() => new RingReader(new SharedArrayBuffer(512)), code('WEIR_RING_INVALID'));
    assert.throws(() => new RingWriter(new ArrayBuffer(512) as unknown as SharedArrayBuffer), code('WEIR_RING_INVALID'));
  });
});

describe('ring buffer in one thread', () => {
  test('frames round-trip with kind, payload and consecutive indices; empty payloads allowed', () => {
    const { w, r } = ring(256);
    assert.equal(w.tryWrite(7, new Uint8Array([1, 2, 3])), true);
    assert.equal(w.tryWrite(255, new Uint8Array(0)), true);
    assert.deepEqual(r.tryRead(), { kind: 7, payload: new Uint8Array([1, 2, 3]), index: 0 });
    assert.deepEqual(r.tryRead(), { kind: 255, payload: new Uint8Array(0), index: 1 });
    assert.equal(r.tryRead(), null);
    assert.deepEqual([w.framesWritten, w.framesRead, r.framesRead, r.framesWritten], [2, 2, 2, 2]);
  });

  test('invalid kinds and payloads are rejected', () => {
    const { w } = ring(64);
    assert.throws(() => w.tryWrite(0, new Uint8Array(1)), code('WEIR_RING_FRAME_KIND'));
    assert.throws(() => w.tryWrite(256, new Uint8Array(1)), code('WEIR_RING_FRAME_KIND'));
    assert.throws(() => w.tryWrite(1, [1] as unknown as Uint8Array), code('WEIR_RING_FRAME_PAYLOAD'));
  });

  test('full rule: a frame fits only when its whole footprint is free', () => {
    const { w, r } = ring(64);
    assert.equal(frameFootprint(24), 32);
    assert.equal(w.tryWrite(1, new Uint8Array(24)), true);
    assert.equal(w.tryWrite(1, new Uint8Array(24)), true);
    assert.equal(w.freeBytes, 0);
    assert.equal(w.tryWrite(1, new Uint8Array(0)), false);
    r.tryRead();
    assert.equal(w.tryWrite(1, new Uint8Array(25)), false); // needs 40 bytes, 32 free
    assert.equal(w.tryWrite(1, new Uint8Array(24)), true);
    assert.equal(w.tryWrite(1, new Uint8Array(57)), false); // larger than the ring: only write() can
  });

  test('a payload wrapping past the end of the data area comes back intact', () => {
    const { w, r } = ring(64);
    const a = payloadFor(1, 40);
    const b = payloadFor(2, 40); // starts at offset 48: header 48..56, payload 56..64 + 0..32
    assert.equal(w.tryWrite(1, a), true);
    assert.deepEqual(bytes(r.tryRead()), [...a]);
    assert.equal(w.tryWrite(2, b), true);
    assert.deepEqual(r.peek().map((f) => [f.index, f.kind, [...f.payload]]), [[1, 2, [...b]]]);
    assert.deepEqual(bytes(r.tryReadView()), [...b]);
  });

  test('peek(fromIndex) leaves out (and does not copy) the frames before fromIndex', () => {
    const { w, r } = ring(256);
    for (let k = 0; k < 5; k++) assert.equal(w.tryWrite(1 + k, new Uint8Array([k, k])), true);
    r.tryRead(); // frame 0 consumed: 1..4 queued
    assert.deepEqual(r.peek(3).map((f) => [f.index, f.kind, [...f.payload]]), [[3, 4, [3, 3]], [4, 5, [4, 4]]]);
    assert.deepEqual(r.peek(0).map((f) => f.index), [1, 2, 3, 4]);
    assert.deepEqual(r.peek(9), []);
    assert.deepEqual(bytes(r.tryRead()), [1, 1], 'peeking consumed nothing');
  });

  test('tryReadView reuses one frame object; tryRead copies', () => {
    const { w, r } = ring(256);
    w.tryWrite(1, new Uint8Array([1]));
    w.tryWrite(2, new Uint8Array([2]));
    w.tryWrite(3, new Uint8Array([3]));
    const a = r.tryReadView();
    assert.deepEqual([a?.kind, a?.index, bytes(a)], [1, 0, [1]]);
    const b = r.tryReadView();
    assert.equal(a, b);
    assert.deepEqual([b?.kind, b?.index, bytes(b)], [2, 1, [2]]);
    const c = r.tryRead();
    assert.notEqual(c, b);
    assert.deepEqual(bytes(c), [3]);
  });

  test('frames larger than the ring are fragmented by write() and reassembled; peek shows them only once complete', async () => {
    const { w, r } = ring(64);
    const big = payloadFor(3, 150);
    const writing = w.write(9, big);
    assert.equal(w.pendingWrites, 1);
    assert.equal(w.tryWrite(1, new Uint8Array(0)), false); // order: queued behind the pending write
    const after = w.write(4, new Uint8Array([4, 4]));
    await tick();
    assert.equal(r.tryRead(), null); // consumed the first fragment, frame not complete
    assert.deepEqual(r.peek(), []);
    let frame = null;
    let sawCompletePeek = false;
    while (frame === null) {
      await tick();
      const peeked = r.peek();
      if (peeked.length > 0) {
        assert.deepEqual([peeked[0]!.index, peeked[0]!.kind, [...peeked[0]!.payload]], [0, 9, [...big]]);
        sawCompletePeek = true;
      }
      frame = r.tryRead();
    }
    assert.deepEqual([frame.index, frame.kind, bytes(frame)], [0, 9, [...big]]);
    await writing;
    await after;
    assert.deepEqual(bytes(r.tryRead()), [4, 4]);
    assert.equal(sawCompletePeek, true);
    assert.deepEqual([w.framesWritten, r.framesRead], [2, 2]);
  });

  test('peek returns copies of exactly the queued frames, which are then read', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 40 }), fc.integer({ min: 0, max: 10 }), (sizes, consumeFirst) => {
        const { w, r } = ring(512);
        const written: number[] = [];
        sizes.forEach((size, i) => {
          if (w.tryWrite(1 + (i % 255), payloadFor(i + 1, size))) written.push(i);
        });
        for (let k = 0; k < consumeFirst; k++) r.tryRead();
        const peeked = r.peek();
        const read = [];
        for (let f = r.tryRead(); f !== null; f = r.tryRead()) read.push(f);
        assert.deepEqual(peeked, read);
        assert.deepEqual(
          read.map((f) => f.index),
          written.slice(written.length - read.length).map((_, i) => written.length - read.length + i),
        );
      }),
    );
  });

  test('byte counters and frame counters survive wrapping past 2^32', () => {
    const sab = createRingBuffer(64);
    const h = new Int32Array(sab, 0, 32);
    const start = 2 ** 32 - 40;
    h[0] = start | 0; // WRITE_POS
    h[16] = start | 0; // READ_POS
    h[1] = (2 ** 32 - 3) | 0; // FRAMES_W
    h[17] = (2 ** 32 - 3) | 0; // FRAMES_R
    const w = new RingWriter(sab);
    const r = new RingReader(sab);
    for (let i = 0; i < 20; i++) {
      assert.equal(w.tryWrite(1, payloadFor(i + 1, 20)), true);
      const f = r.tryRead();
      assert.deepEqual([f?.index, bytes(f)], [2 ** 32 - 3 + i, [...payloadFor(i + 1, 20)]]);
    }
    assert.deepEqual([w.framesWritten, w.framesRead, r.framesWritten, r.framesRead], [2 ** 32 + 17, 2 ** 32 + 17, 2 ** 32 + 17, 2 ** 32 + 17]);
    assert.equal(h[0], (start + 20 * 32) | 0);
  });

  test('a chunk header that makes no sense is reported as corruption', () => {
    const { sab, w, r } = ring(64);
    w.tryWrite(1, new Uint8Array(8));
    new Uint8Array(sab, RING_HEADER_BYTES)[4] = 0; // kind 0
    assert.throws(() => r.tryRead(), code('WEIR_RING_CORRUPT'));
  });

  test('close() wakes a waiting reader (null after draining) and a waiting writer (rejects)', async () => {
    const a = ring(64);
    const reading = a.r.read();
    a.w.tryWrite(1, new Uint8Array([1]));
    assert.deepEqual(bytes(await reading), [1]);
    const waitingRead = a.r.read();
    await tick();
    a.w.tryWrite(1, new Uint8Array([2]));
    a.w.close();
    assert.deepEqual(bytes(await waitingRead), [2]);
    assert.equal(await a.r.read(), null);
    assert.throws(() => a.w.tryWrite(1, new Uint8Array(0)), code('WEIR_RING_CLOSED'));

    const b = ring(64);
    assert.equal(b.w.tryWrite(1, new Uint8Array(56)), true);
    const blocked = b.w.write(1, new Uint8Array(8));
    const queued = b.w.write(1, new Uint8Array(8));
    await tick();
    b.r.close();
    await assert.rejects(blocked, code('WEIR_RING_CLOSED'));
    await assert.rejects(queued, code('WEIR_RING_CLOSED'));
    await assert.rejects(b.w.write(1, new Uint8Array(0)), code('WEIR_RING_CLOSED'));
  });
});
