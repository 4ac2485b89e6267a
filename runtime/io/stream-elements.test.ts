import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeElement, ElementKind, encodeElement, isElementKind, isRecordBatch, RECORD_BATCH_KIND, type CheckpointBarrier, type StreamElement } from './stream-elements.ts';

const code = (c: string) => (e: { code?: string }) => e.code === c;

const barrierArb: fc.Arbitrary<CheckpointBarrier> = fc.record({
  checkpointId: fc.maxSafeNat(),
  timestamp: fc.double({ noNaN: true, noDefaultInfinity: true }),
  kind: fc.constantFrom('checkpoint' as const, 'savepoint' as const),
  alignment: fc.constantFrom('aligned' as const, 'unaligned' as const, 'aligned-with-timeout' as const),
  alignedTimeoutMs: fc.double({ min: 0, noNaN: true }),
  position: fc.maxSafeNat(),
}).map((b) => ({ ...b })); // fc.record may build null-prototype objects

const elementArb: fc.Arbitrary<StreamElement> = fc.oneof(
  fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ type: 'record-batch' as const, bytes })),
  barrierArb.map((barrier) => ({ type: 'barrier' as const, barrier })),
  barrierArb.map((barrier) => ({ type: 'priority-barrier' as const, barrier })),
  fc.double({ noNaN: true }).map((timestamp) => ({ type: 'watermark' as const, timestamp })),
  fc.constant({ type: 'end-of-partition' as const }),
  fc.constant({ type: 'end-of-data' as const }),
  fc.boolean().map((idle) => ({ type: 'watermark-status' as const, idle })),
  fc.maxSafeNat().map((checkpointId) => ({ type: 'cancel-checkpoint' as const, checkpointId })),
);

describe('stream elements', () => {
  test('every element round-trips exactly through its frame (property)', () => {
    fc.assert(
      fc.property(elementArb, (el) => {
        const { kind, payload } = encodeElement(el);
        assert.equal(isElementKind(kind), true);
        assert.equal(isRecordBatch(kind), el.type === 'record-batch');
        // Decode from a copy at an odd offset: layouts must not depend on alignment.
        const shifted = new Uint8Array(payload.length + 3);
        shifted.set(payload, 3);
        assert.deepEqual(decodeElement(kind, shifted.subarray(3)), el);
      }),
      { numRuns: 500 },
    );
  });

  test('fixed layouts: kinds and little-endian fields at documented offsets', () => {
    const b: CheckpointBarrier = { checkpointId: 2 ** 53 - 1, timestamp: 1700000000123.5, kind: 'savepoint', alignment: 'aligned-with-timeout', alignedTimeoutMs: 250, position: 42 };
    const { kind, payload } = encodeElement({ type: 'priority-barrier', barrier: b });
    assert.equal(kind, ElementKind.PriorityBarrier);
    assert.equal(kind, 3);
    assert.equal(payload.length, 40);
    const dv = new DataView(payload.buffer, payload.byteOffset);
    assert.deepEqual([dv.getFloat64(0, true), dv.getFloat64(8, true), dv.getFloat64(16, true), dv.getFloat64(24, true), payload[32], payload[33]], [2 ** 53 - 1, 1700000000123.5, 250, 42, 1, 2]);
    assert.deepEqual(encodeElement({ type: 'watermark', timestamp: -Infinity }).payload, new Uint8Array([0, 0, 0, 0, 0, 0, 0xf0, 0xff]));
    assert.deepEqual(encodeElement({ type: 'end-of-partition' }), { kind: 5, payload: new Uint8Array(0) });
    assert.equal(encodeElement({ type: 'cancel-checkpoint', checkpointId: 7 }).kind, 6);
    assert.deepEqual(encodeElement({ type: 'watermark-status', idle: true }), { kind: 8, payload: new Uint8Array([1]) });
    assert.deepEqual(encodeElement({ type: 'watermark-status', idle: false }), { kind: 8, payload: new Uint8Array([0]) });
    assert.equal(RECORD_BATCH_KIND, 1);
    const bytes = new Uint8Array([1, 2, 3]);
    assert.equal(encodeElement({ type: 'record-batch', bytes }).payload, bytes); // passed through
  });

  test('invalid elements are refused when encoding', () => {
    const ok: CheckpointBarrier = { checkpointId: 1, timestamp: 0, kind: 'checkpoint', alignment: 'aligned', alignedTimeoutMs: 0, position: 0 };
    const bad = (barrier: Partial<CheckpointBarrier>) => () => encodeElement({ type: 'barrier', barrier: { ...ok, ...barrier } as CheckpointBarrier });
    assert.throws(bad({ checkpointId: -1 }), code('WEIR_INVALID_ELEMENT'));
    assert.throws(bad({ checkpointId: 1.5 }), code('WEIR_INVALID_ELEMENT'));
    assert.throws(bad({ position: 2 ** 53 }), code('WEIR_INVALID_ELEMENT'));
    assert.throws(bad({ timestamp: NaN }), code('WEIR_INVALID_ELEMENT'));
    assert.throws(bad({ alignedTimeoutMs: -1 }), code('WEIR_INVALID_ELEMENT'));
    assert.throws(bad({ kind: 'snapshot' as never }), code('WEIR_INVALID_ELEMENT'));
    assert.throws(bad({ alignment: 'sometimes' as never }), code('WEIR_INVALID_ELEMENT'));
    assert.throws(() => encodeElement({ type: 'watermark', timestamp: NaN }), code('WEIR_INVALID_ELEMENT'));
    assert.throws(() => encodeElement({ type: 'watermark-status', idle: 1 } as never), code('WEIR_INVALID_ELEMENT'));
    assert.throws(() => encodeElement({ type: 'nope' } as never), code('WEIR_INVALID_ELEMENT'));
  });

  test('unknown kinds and wrong sizes are refused when decoding', () => {
    assert.throws(() => decodeElement(99, new Uint8Array(0)), code('WEIR_UNKNOWN_ELEMENT_KIND'));
    assert.throws(() => decodeElement(ElementKind.Barrier, new Uint8Array(39)), code('WEIR_CORRUPT_ELEMENT'));
    const b = encodeElement({ type: 'barrier', barrier: { checkpointId: 1, timestamp: 0, kind: 'checkpoint', alignment: 'aligned', alignedTimeoutMs: 0, position: 0 } }).payload;
    b[33] = 9;
    assert.throws(() => decodeElement(ElementKind.Barrier, b), code('WEIR_CORRUPT_ELEMENT'));
    assert.throws(() => decodeElement(ElementKind.Watermark, new Uint8Array(4)), code('WEIR_CORRUPT_ELEMENT'));
    assert.throws(() => decodeElement(ElementKind.EndOfPartition, new Uint8Array(1)), code('WEIR_CORRUPT_ELEMENT'));
    assert.throws(() => decodeElement(ElementKind.CancelCheckpoint, new Uint8Array(9)), code('WEIR_CORRUPT_ELEMENT'));
    assert.throws(() => decodeElement(ElementKind.WatermarkStatus, new Uint8Array(0)), code('WEIR_CORRUPT_ELEMENT'));
    assert.throws(() => decodeElement(ElementKind.WatermarkStatus, new Uint8Array([2])), code('WEIR_CORRUPT_ELEMENT'));
  });
});
