/**
 * Keys (numbers, dates) and LMDB timer keys (timestamps) order as LMDB compares bytes: the ordered
 * float64 encoding must round-trip every number exactly and sort its bytes as the numbers sort.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readOrderedFloat64, writeOrderedFloat64 } from './ordered-float64.ts';

const values = [
  Number.NEGATIVE_INFINITY, -Number.MAX_VALUE, Number.MIN_SAFE_INTEGER, -1.5e12, -1, -Number.MIN_VALUE,
  0, Number.MIN_VALUE, 1, 1.5, 1_700_000_000_000, 2 ** 53 - 2, Number.MAX_SAFE_INTEGER, Number.MAX_VALUE, Number.POSITIVE_INFINITY,
];

function encode(ts: number, off = 0): Uint8Array {
  const b = new Uint8Array(off + 8 + 3).fill(0xaa);
  writeOrderedFloat64(b, off, ts);
  return b;
}

test('ordered timestamps round-trip exactly, at any offset, without touching neighbouring bytes', () => {
  for (const v of values) {
    for (const off of [0, 4, 5]) {
      const b = encode(v, off);
      assert.equal(readOrderedFloat64(b, off), v, `${v} at offset ${off}`);
      assert.ok(b.subarray(0, off).every((x) => x === 0xaa) && b.subarray(off + 8).every((x) => x === 0xaa), `${v}: bytes outside the 8 written`);
    }
  }
  assert.equal(Object.is(readOrderedFloat64(encode(-0), 0), 0), true, '-0 is stored as 0');
  assert.equal(readOrderedFloat64(Buffer.from(encode(1234.5)).subarray(0), 0), 1234.5, 'a Buffer reads the same');
});

test('the bytes of ordered timestamps sort as the numbers do', () => {
  const encoded = values.map((v) => Buffer.from(encode(v).subarray(0, 8)));
  const shuffled = [...encoded].reverse();
  shuffled.sort(Buffer.compare);
  assert.deepEqual(shuffled.map((b) => readOrderedFloat64(b, 0)), values);
});
