import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { BatchBuilder, decodeBatch, encodeBatch } from './record-codec.ts';

const code = (c: string) => (e: { code?: string }) => e.code === c;

/** Invalid dates are never deep-equal in node:assert (NaN time); compare dates by time string instead. */
class DateTime {
  constructor(readonly t: string) {}
}
function comparable(v: unknown): unknown {
  if (v instanceof Date) return new DateTime(String(v.getTime()));
  if (Array.isArray(v)) return v.map(comparable);
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [comparable(k), comparable(x)]));
  if (v instanceof Set) return new Set([...v].map(comparable));
  if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v) && !(v instanceof ArrayBuffer)) {
    const out = Object.create(Object.getPrototypeOf(v)) as Record<string, unknown>;
    for (const k of Object.keys(v)) Object.defineProperty(out, k, { value: comparable((v as Record<string, unknown>)[k]), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return v;
}

const anyRecord = fc.anything({
  withBigInt: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withTypedArray: true,
  stringUnit: 'grapheme',
  maxDepth: 3,
});

/** Records of common shapes, with every awkward number. */
const num = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(-0, NaN, Infinity, -Infinity, 2 ** 31, -(2 ** 31), 2 ** 53));
const str = fc.string({ unit: 'grapheme', maxLength: 80 });
const shapedRecord = fc.oneof(
  fc.record({ id: fc.integer(), key: str, value: num, ok: fc.boolean() }).map((r) => ({ ...r })),
  fc.tuple(str, num),
  num,
  str,
  fc.boolean(),
);

function roundTrip(records: unknown[], timestamps?: number[]): void {
  const bytes = encodeBatch(records, timestamps);
  const decoded = decodeBatch(bytes);
  assert.deepStrictEqual(comparable(decoded.records), comparable(records));
  if (timestamps === undefined || timestamps.length === 0) assert.equal(decoded.timestamps, null);
  else assert.deepStrictEqual([...decoded.timestamps!], timestamps);
}

describe('record codec', () => {
  test('arbitrary values round-trip exactly (property)', () => {
    fc.assert(fc.property(fc.array(anyRecord, { maxLength: 30 }), (records) => roundTrip(records)), { numRuns: 300 });
  });

  test('common shapes, mixed within batches, round-trip exactly with timestamps (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(shapedRecord, shapedRecord, anyRecord), { maxLength: 200 }).chain((records) =>
          fc.tuple(fc.constant(records), fc.option(fc.array(fc.double(), { minLength: records.length, maxLength: records.length }), { nil: undefined })),
        ),
        ([records, timestamps]) => roundTrip(records, timestamps),
      ),
      { numRuns: 300 },
    );
  });

  test('the awkward values, one by one and together', () => {
    const proto = JSON.parse('{"__proto__": {"x": 1}, "y": 2}');
    const nullProto = Object.assign(Object.create(null), { a: 1 });
    const values: unknown[] = [
      -0, NaN, Infinity, -Infinity, 0.1, 2 ** 31, -(2 ** 31) - 1, Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53 + 2,
      '', 'héllo wörld 😀', 'x'.repeat(70), 'ü'.repeat(5000), true, false, null, undefined,
      0n, -1n, 2n ** 64n, -(2n ** 200n),
      [1, undefined, [null, [-0]]], { a: undefined, b: { c: [1n] } }, proto, nullProto,
      new Uint8Array([0, 255]), Buffer.from('abc'), new Date(0), new Date(-1.5), new Date(8.64e15), new Date(NaN),
      new Map<unknown, unknown>([[{ k: 1 }, new Set([1, 'a'])]]), new Float64Array([-0, NaN]), new BigUint64Array([2n ** 64n - 1n]), new ArrayBuffer(3),
    ];
    roundTrip(values);
    for (const v of values) roundTrip([v]);
    const decodedProto = decodeBatch(encodeBatch([proto])).records[0] as object;
    assert.equal(Object.getPrototypeOf(decodedProto), Object.prototype);
    assert.deepEqual(Object.keys(decodedProto), ['__proto__', 'y']);
    assert.equal(Object.getPrototypeOf(decodeBatch(encodeBatch([nullProto])).records[0]), null);
    assert.ok(Buffer.isBuffer(decodeBatch(encodeBatch([Buffer.from('a')])).records[0]));
    assert.ok(!Buffer.isBuffer(decodeBatch(encodeBatch([new Uint8Array(1)])).records[0]));
  });

  test('shaped objects decode as plain objects (Object.prototype, own keys in order), also after literals of the same keys held doubles', () => {
    // The decoder builds them with a constructor whose prototype is Object.prototype (record-shapes.ts), not a literal.
    const local = Array.from({ length: 50 }, (_, i) => ({ key: (i * 7919 * 1e6) % 10_000, value: i / 3 }));
    const records = Array.from({ length: 50 }, (_, i) => ({ key: i, value: i + 1 }));
    const out = decodeBatch(encodeBatch(records)).records as Array<Record<string, unknown>>;
    assert.deepStrictEqual(out, records);
    for (const r of out) {
      assert.equal(Object.getPrototypeOf(r), Object.prototype);
      assert.deepEqual(Reflect.ownKeys(r), ['key', 'value']);
      assert.equal(r.constructor, Object);
      assert.ok(Object.getOwnPropertyDescriptor(r, 'key')!.writable && Object.getOwnPropertyDescriptor(r, 'key')!.enumerable);
    }
    assert.equal(JSON.stringify(out[3]), '{"key":3,"value":4}');
    assert.deepStrictEqual(decodeBatch(encodeBatch(local)).records, local);
  });

  test('every string reads back exactly: lone surrogates (WTF-8, not U+FFFD) and a leading U+FEFF, short and long, on both paths', () => {
    const strings = ['a\ud800b', '\udc00', 'x\ud800', 'long\ud800'.repeat(20), '\udfff'.repeat(3000), '\ud83d\ude00\ud800', '\ufeffBOM', '\ufeff' + 'é'.repeat(80), '\ufffd'];
    const records = [...strings, { s: '\udc00', t: 'long\ud800'.repeat(20) }, strings];
    assert.deepStrictEqual(decodeBatch(encodeBatch(records)).records, records);
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 200 }), { maxLength: 8 }), (xs) => {
        assert.deepStrictEqual(decodeBatch(encodeBatch(xs)).records, xs);
        assert.deepStrictEqual(decodeBatch(encodeBatch(xs.map((s) => ({ s })))).records, xs.map((s) => ({ s })));
      }),
      { numRuns: 300 },
    );
  });

  test('classes travel as plain objects; functions, symbols and cycles are refused and leave the builder usable', () => {
    class Point {
      constructor(readonly x: number, readonly y: number) {}
    }
    assert.deepStrictEqual(decodeBatch(encodeBatch([new Point(1, 2)])).records, [{ x: 1, y: 2 }]);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const b = new BatchBuilder();
    b.add({ id: 1, key: 'a', value: 1, ok: true }, 10);
    const before = b.byteLength;
    assert.throws(() => b.add({ f: () => 1 }, 20), code('WEIR_RECORD_NOT_SERIALIZABLE'));
    assert.throws(() => b.add([Symbol('s')]), code('WEIR_RECORD_NOT_SERIALIZABLE'));
    assert.throws(() => b.add(cyclic), code('WEIR_RECORD_NOT_SERIALIZABLE'));
    b.add('next', 30);
    assert.ok(b.byteLength > before);
    assert.deepStrictEqual(decodeBatch(b.finish()), { records: [{ id: 1, key: 'a', value: 1, ok: true }, 'next'], timestamps: new Float64Array([10, 30]) });
    assert.throws(() => encodeBatch([1, () => 2]), code('WEIR_RECORD_NOT_SERIALIZABLE'));
    assert.deepStrictEqual(decodeBatch(encodeBatch([1, 2])).records, [1, 2]); // shared builder was reset
  });

  test('builder: byteLength is exact, missing timestamps are NaN, batches are independent', () => {
    const b = new BatchBuilder({ initialBytes: 16 });
    assert.equal(b.byteLength, 8);
    b.add({ id: 1, v: 1 });
    b.add({ id: 2, v: 2.5 }, 1000); // widens v to f64: a second shaped segment
    b.add([1, 'x']);
    b.add({ id: 3, v: 3 });
    assert.equal(b.count, 4);
    const n = b.byteLength;
    const first = b.finish();
    assert.equal(first.length, n);
    assert.equal(b.count, 0);
    b.add({ id: 4, v: 4 });
    const second = b.finishView();
    const d1 = decodeBatch(first);
    assert.deepStrictEqual(d1.records, [{ id: 1, v: 1 }, { id: 2, v: 2.5 }, [1, 'x'], { id: 3, v: 3 }]);
    assert.deepStrictEqual([...d1.timestamps!], [NaN, 1000, NaN, NaN]);
    assert.deepStrictEqual(decodeBatch(second), { records: [{ id: 4, v: 4 }], timestamps: null });
    assert.deepStrictEqual(decodeBatch(encodeBatch([])), { records: [], timestamps: null });
    // The timestamp array is reused by the next batch with timestamps: nothing of the previous one shows.
    for (let i = 0; i < 100; i++) b.add(i, 5000 + i);
    assert.deepStrictEqual([...decodeBatch(b.finish()).timestamps!], Array.from({ length: 100 }, (_, i) => 5000 + i));
    b.add('a');
    b.add('b');
    b.add('c', 7);
    b.add('d');
    assert.deepStrictEqual([...decodeBatch(b.finish()).timestamps!], [NaN, NaN, 7, NaN]);
    for (let i = 0; i < 150; i++) b.add(i, i % 3 === 0 ? undefined : i); // longer than the reused array
    assert.deepStrictEqual([...decodeBatch(b.finish()).timestamps!], Array.from({ length: 150 }, (_, i) => (i % 3 === 0 ? NaN : i)));
  });

  test('a builder keeps working after a batch larger than its shrink threshold', () => {
    const b = new BatchBuilder({ initialBytes: 64 });
    const big = 'z'.repeat(5 << 20);
    b.add({ s: big });
    const first = b.finishView();
    assert.equal((decodeBatch(first).records[0] as { s: string }).s.length, 5 << 20);
    b.add({ s: 'small' });
    assert.deepStrictEqual(decodeBatch(b.finish()).records, [{ s: 'small' }]);
  });

  test('many shape switches in one batch fall back to the tagged path without losing order', () => {
    const records = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? { a: i } : { b: String(i) }));
    assert.deepStrictEqual(decodeBatch(encodeBatch(records)).records, records);
    const alternating = encodeBatch(records).length;
    const uniform = encodeBatch(records.map((_, i) => ({ a: i }))).length;
    assert.ok(alternating < uniform * 3, `${alternating} bytes for 200 alternating records`);
  });

  test('corrupt or truncated bytes are refused with a code, never misread', () => {
    const bytes = encodeBatch([{ id: 1, key: 'k', value: 2.5, ok: true }, 'x', [1n, null]], [1, 2, 3]);
    for (let len = 0; len < bytes.length; len++) assert.throws(() => decodeBatch(bytes.subarray(0, len)), code('WEIR_CORRUPT_RECORD_BATCH'));
    const bad = bytes.slice();
    bad[1] = 9;
    assert.throws(() => decodeBatch(bad), code('WEIR_CORRUPT_RECORD_BATCH'));
    assert.throws(() => decodeBatch(new Uint8Array([0xb7, 1, 0, 0, 1, 0, 0, 0, 7, 1, 0, 0, 0, 0, 0, 0, 0])), code('WEIR_CORRUPT_RECORD_BATCH'));
    assert.throws(() => encodeBatch([1, 2], [1]), code('WEIR_INVALID_TIMESTAMP'));
  });

  test('a batch decodes on its own in another thread (empty caches, no shared state)', { timeout: 30_000 }, async () => {
    const api = JSON.stringify(import.meta.resolve('tsx/esm/api'));
    const codec = JSON.stringify(new URL('./record-codec.ts', import.meta.url).href);
    const worker = new Worker(
      `const { parentPort } = require('node:worker_threads');
       import(${api}).then((t) => { t.register(); return import(${codec}); }).then((m) => {
         parentPort.on('message', (bytes) => {
           const { records, timestamps } = m.decodeBatch(bytes);
           const b = new m.BatchBuilder();
           records.forEach((r, i) => b.add(r, timestamps ? timestamps[i] : undefined));
           parentPort.postMessage(b.finish());
         });
         parentPort.postMessage('ready');
       });`,
      { eval: true },
    );
    try {
      await once(worker, 'message');
      const samples = fc.sample(fc.array(fc.oneof(shapedRecord, anyRecord), { minLength: 1, maxLength: 50 }), 30);
      for (const records of samples) {
        const b = new BatchBuilder(); // fresh: the same encoding decisions as the worker's fresh builder
        records.forEach((r, i) => b.add(r, i));
        const bytes = b.finish();
        worker.postMessage(bytes);
        const [again] = (await once(worker, 'message')) as [Uint8Array];
        assert.deepStrictEqual(new Uint8Array(again), bytes);
      }
    } finally {
      await worker.terminate();
    }
  });
});
