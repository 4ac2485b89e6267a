import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  DEFAULT_MAX_PARALLELISM,
  decodeKey,
  encodeKey,
  keyGroupFor,
  keyGroupRangeForSubtask,
  keyHash,
  murmurHash,
  operatorIndexForKeyGroup,
} from './index.ts';
import { skipKey } from './key-codec.ts';
import { keyIdentity } from './key-identity.ts';

const keyArb: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  leaf: fc.oneof(
    fc.string(),
    fc.integer(),
    fc.double({ noNaN: true }),
    fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }),
    fc.boolean(),
    fc.constant(null),
    fc.date({ noInvalidDate: true }),
    fc.uint8Array({ maxLength: 8 }),
  ),
  node: fc.oneof({ depthSize: 'small' }, tie('leaf'), fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(fc.string({ maxLength: 4 }), tie('node'), { maxKeys: 4 })),
})).node;

describe('key hashing and key groups', () => {
  test('hashes follow Java hashCode for strings, ints, longs and booleans', () => {
    assert.equal(keyHash('hello'), 99162322);
    assert.equal(keyHash(''), 0);
    assert.equal(keyHash(42), 42);
    assert.equal(keyHash(-7), -7);
    assert.equal(keyHash(2 ** 40 + 3), 2 ** 8 ^ 3); // (int)(v ^ v >>> 32)
    assert.equal(keyHash(true), 1231);
    assert.equal(keyHash(false), 1237);
    assert.equal(keyHash(null), 0);
  });

  test("murmurHash matches Flink's MathUtils.murmurHash", () => {
    // Reference values from a line-by-line simulation of the Java code with 32-bit ints.
    assert.equal(murmurHash(0), 593689054);
    assert.equal(murmurHash(1), 68075478);
    assert.equal(murmurHash(2), 1085422463);
    for (const x of [0, 1, -1, 123456789, -2147483648, 2147483647]) {
      const h = murmurHash(x);
      assert.ok(Number.isInteger(h) && h >= 0 && h <= 2147483647, `murmurHash(${x}) = ${h}`);
    }
  });

  test('equal keys hash equally; 1 and 1.0, -0 and 0, objects in any property order', () => {
    assert.equal(keyHash(1), keyHash(1.0));
    assert.equal(keyHash(-0), keyHash(0));
    assert.equal(keyHash({ a: 1, b: 'x' }), keyHash({ b: 'x', a: 1 }));
    assert.equal(keyHash(new Date(5)), keyHash(new Date(5)));
    assert.equal(keyHash([1, 'a', [true]]), keyHash([1, 'a', [true]]));
    assert.deepEqual(encodeKey({ a: 1, b: 'x' }), encodeKey({ b: 'x', a: 1 }));
    assert.deepEqual(encodeKey(-0), encodeKey(0));
  });

  test('invalid keys are rejected with WEIR_INVALID_KEY', () => {
    class Point {
      x = 1;
    }
    // Lone surrogates: encoded as U+FFFD, '\ud800' and '\udfff' were one key (a user's review).
    for (const bad of [undefined, Number.NaN, () => 1, Symbol('s'), new Point(), new Map(), new Date(Number.NaN), [1, undefined], { a: undefined }, '\ud800', 'a\udfffb', ['ok', '\udc00'], { ['\ud800']: 1 }]) {
      assert.throws(() => keyHash(bad), { code: 'WEIR_INVALID_KEY' });
      assert.throws(() => encodeKey(bad), { code: 'WEIR_INVALID_KEY' });
    }
  });

  test('key group ranges partition 0..maxParallelism-1 and agree with operatorIndexForKeyGroup', () => {
    for (const [maxP, p] of [[128, 1], [128, 3], [128, 7], [128, 128], [10, 4], [32768, 5]] as const) {
      let next = 0;
      for (let s = 0; s < p; s++) {
        const r = keyGroupRangeForSubtask(maxP, p, s);
        assert.equal(r.start, next);
        assert.ok(r.end >= r.start);
        for (const kg of [r.start, r.end]) assert.equal(operatorIndexForKeyGroup(maxP, p, kg), s);
        next = r.end + 1;
      }
      assert.equal(next, maxP);
    }
    assert.deepEqual(keyGroupRangeForSubtask(128, 3, 0), { start: 0, end: 42 });
    assert.deepEqual(keyGroupRangeForSubtask(128, 3, 1), { start: 43, end: 85 });
    assert.deepEqual(keyGroupRangeForSubtask(128, 3, 2), { start: 86, end: 127 });
    assert.throws(() => keyGroupRangeForSubtask(128, 129, 0), { code: 'WEIR_INVALID_PARALLELISM' });
    assert.throws(() => operatorIndexForKeyGroup(128, 2, 128), { code: 'WEIR_INVALID_KEY_GROUP' });
  });

  test('keyGroupFor is murmurHash(keyHash) mod maxParallelism and spreads keys', () => {
    const counts = new Array(DEFAULT_MAX_PARALLELISM).fill(0);
    for (let i = 0; i < 12_800; i++) {
      const kg = keyGroupFor(`key-${i}`, DEFAULT_MAX_PARALLELISM);
      assert.equal(kg, murmurHash(keyHash(`key-${i}`)) % DEFAULT_MAX_PARALLELISM);
      counts[kg]++;
    }
    assert.ok(Math.min(...counts) > 50 && Math.max(...counts) < 160, `${Math.min(...counts)}..${Math.max(...counts)}`);
  });

  test('encodeKey/decodeKey round-trip and are prefix-free (property)', () => {
    fc.assert(
      fc.property(keyArb, keyArb, (a, b) => {
        const ea = encodeKey(a);
        assert.deepEqual(encodeKey(decodeKey(ea)), ea);
        assert.equal(keyHash(decodeKey(ea)), keyHash(a));
        assert.equal(skipKey(ea, 0), ea.length);
        const eb = encodeKey(b);
        const joined = new Uint8Array([...ea, ...eb]);
        assert.equal(skipKey(joined, 0), ea.length);
        const same = Buffer.compare(Buffer.from(ea), Buffer.from(eb)) === 0;
        assert.equal(keyIdentity(a) === keyIdentity(b), same);
      }),
      { numRuns: 400 },
    );
  });

  test('string keys of any length and script decode to the string encoded; one with a lone surrogate is refused (its bytes are another string\'s)', () => {
    const wellFormed = (s: string) => (s as string & { isWellFormed(): boolean }).isWellFormed();
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 90 }), (s) => {
        if (wellFormed(s)) assert.equal(decodeKey(encodeKey(s)), s);
        else assert.throws(() => encodeKey(s), { code: 'WEIR_INVALID_KEY' });
      }),
      { numRuns: 400 },
    );
    for (const s of ['u4711', 'é', '日本語のキー', '😀x', 'a'.repeat(16) + 'é', 'ß'.repeat(40), '\ufeff' + 'x'.repeat(80)]) assert.equal(decodeKey(encodeKey(s)), s, s);
    for (const s of ['\ud800', '\udfff', 'a\ud800b', '😀'.slice(0, 1)]) assert.throws(() => encodeKey(s), { code: 'WEIR_INVALID_KEY', message: /lone UTF-16 surrogate/ }, s);
  });

  test('an own __proto__ field of an object key survives decoding (as a field, not a prototype)', () => {
    const key = JSON.parse('{"__proto__":1,"a":[{"__proto__":"x"}]}') as Record<string, unknown>;
    const decoded = decodeKey(encodeKey(key)) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(decoded), Object.prototype);
    assert.deepEqual(Object.keys(decoded), ['__proto__', 'a']);
    assert.equal(Object.getOwnPropertyDescriptor(decoded, '__proto__')?.value, 1);
    assert.deepEqual(encodeKey(decoded), encodeKey(key));
    assert.notEqual(keyIdentity(decoded), keyIdentity({}));
  });

  test('encoding preserves the order of numbers, strings and bigints', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true }), fc.double({ noNaN: true }), (x, y) => {
        const c = Buffer.compare(Buffer.from(encodeKey(x)), Buffer.from(encodeKey(y)));
        assert.equal(Math.sign(c), x < y ? -1 : x > y ? 1 : 0);
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 100n), max: 2n ** 100n }), fc.bigInt({ min: -(2n ** 100n), max: 2n ** 100n }), (x, y) => {
        const c = Buffer.compare(Buffer.from(encodeKey(x)), Buffer.from(encodeKey(y)));
        assert.equal(Math.sign(c), x < y ? -1 : x > y ? 1 : 0);
      }),
      { numRuns: 300 },
    );
    const words = ['', 'a', 'a\u0000', 'a\u0000b', 'ab', 'b', 'é', '\u0000'];
    const sorted = [...words].sort((p, q) => Buffer.compare(Buffer.from(p, 'utf8'), Buffer.from(q, 'utf8')));
    const byEncoding = [...words].sort((p, q) => Buffer.compare(Buffer.from(encodeKey(p)), Buffer.from(encodeKey(q))));
    assert.deepEqual(byEncoding, sorted);
  });

  test('strings with NUL and composite identities never collide with plain strings', () => {
    const keys = ['\u0000', '\u0000\u0001', '\u0000\u0000x', 'x', [], {}, [''], new Uint8Array([0])];
    const ids = keys.map((k) => keyIdentity(k));
    assert.equal(new Set(ids).size, keys.length);
    assert.deepEqual(decodeKey(encodeKey('a\u0000b')), 'a\u0000b');
    assert.deepEqual(decodeKey(encodeKey(new Uint8Array([0, 255, 0]))), new Uint8Array([0, 255, 0]));
  });
});
