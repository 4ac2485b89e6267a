/**
 * Key groups — Flink's unit of keyed-state redistribution.
 *
 *   keyGroup = murmurHash(keyHash(key)) % maxParallelism
 *   subtask  = floor(keyGroup * parallelism / maxParallelism)
 *
 * Each subtask owns one contiguous, inclusive {@link KeyGroupRange}; rescaling reassigns whole
 * key groups. `keyHash` follows Java's `hashCode` for the types Java has (String, Integer, Long,
 * Double, Boolean, byte[], List, Date), so string and integer keys land in the same key group
 * as in Flink. It is a pure function of the key's value: stable across threads, processes and runs.
 */
import { WeirError, preview } from '../common/weir-error.ts';
import { isWellFormedString, LONE_SURROGATE_KEY } from '../common/codec/well-formed.ts';

export { encodeKey, decodeKey } from './key-codec.ts';

/** Flink's default maximum parallelism (number of key groups). */
export const DEFAULT_MAX_PARALLELISM = 128;
/** Largest supported maximum parallelism (Flink: 2^15). */
export const UPPER_BOUND_MAX_PARALLELISM = 32768;

/** Inclusive range of key groups; empty when `end < start`. */
export interface KeyGroupRange {
  readonly start: number;
  readonly end: number;
}

/** The empty range. */
export const EMPTY_KEY_GROUP_RANGE: KeyGroupRange = Object.freeze({ start: 0, end: -1 });

const f64 = new DataView(new ArrayBuffer(8));

function hashString(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** Java `Long.hashCode` for a safe integer. */
function hashLong(v: number): number {
  const hi = Math.floor(v / 4294967296);
  const lo = v - hi * 4294967296;
  return (lo ^ hi) | 0;
}

function hashNumber(v: number): number {
  if (Number.isNaN(v)) throw new WeirError('WEIR_INVALID_KEY', 'Invalid key NaN: NaN is not equal to itself and cannot be a key', { why: 'NaN' });
  if (Number.isInteger(v)) {
    if (v >= -2147483648 && v <= 2147483647) return v | 0; // Integer.hashCode (also maps -0 to 0)
    if (Number.isSafeInteger(v)) return hashLong(v);
  }
  f64.setFloat64(0, v); // Double.hashCode
  return (f64.getUint32(0) ^ f64.getUint32(4)) | 0;
}

function hashBigInt(v: bigint): number {
  if (v >= -(2n ** 63n) && v < 2n ** 63n) {
    const u = BigInt.asUintN(64, v);
    return (Number(u >> 32n) ^ Number(u & 0xffffffffn)) | 0;
  }
  return (hashString(v.toString(16)) ^ 0x5bd1e995) | 0;
}

function invalidKey(key: unknown, why: string): WeirError {
  const shown = typeof key === 'function' || typeof key === 'symbol' || key === undefined ? String(key) : preview(key);
  return new WeirError('WEIR_INVALID_KEY', `Invalid key ${shown}: ${why}`, { why });
}

/**
 * Stable 32-bit hash of a key's value. Supported: strings, numbers (`1` and `1.0` are the same
 * number; `-0` equals `0`; NaN is rejected), bigint, boolean, null, Date, Uint8Array, arrays and
 * plain objects (property order does not matter). Throws `WEIR_INVALID_KEY` for undefined,
 * NaN, functions, symbols and other class instances.
 */
export function keyHash(key: unknown, depth = 0): number {
  switch (typeof key) {
    case 'string':
      if (!isWellFormedString(key)) throw invalidKey(key, LONE_SURROGATE_KEY);
      return hashString(key);
    case 'number':
      return hashNumber(key);
    case 'boolean':
      return key ? 1231 : 1237;
    case 'bigint':
      return hashBigInt(key);
    case 'object': {
      if (key === null) return 0;
      if (depth >= 32) throw invalidKey(key, 'nested deeper than 32 levels');
      if (key instanceof Date) {
        const t = key.getTime();
        if (Number.isNaN(t)) throw invalidKey(key, 'invalid Date');
        return Number.isSafeInteger(t) ? hashLong(t) : hashNumber(t);
      }
      if (key instanceof Uint8Array) {
        let h = 1;
        for (let i = 0; i < key.length; i++) h = (Math.imul(h, 31) + ((key[i]! << 24) >> 24)) | 0;
        return h;
      }
      if (Array.isArray(key)) {
        let h = 1;
        for (let i = 0; i < key.length; i++) h = (Math.imul(h, 31) + keyHash(key[i], depth + 1)) | 0;
        return h;
      }
      const proto = Object.getPrototypeOf(key);
      if (proto !== Object.prototype && proto !== null) {
        throw invalidKey(key, `class instances (${(key as object).constructor?.name ?? 'unknown'}) are not keys; use a plain object, array or primitive`);
      }
      const rec = key as Record<string, unknown>;
      let h = 7;
      for (const name of Object.keys(rec).sort()) {
        if (!isWellFormedString(name)) throw invalidKey(key, LONE_SURROGATE_KEY);
        h = (Math.imul(h, 31) + (hashString(name) ^ keyHash(rec[name], depth + 1))) | 0;
      }
      return h;
    }
    case 'undefined':
      throw invalidKey(key, 'undefined is not a key');
    default:
      throw invalidKey(key, `${typeof key} values are not keys`);
  }
}

/** Flink's `MathUtils.murmurHash(int)`: murmur3 mixing of one int, made non-negative. */
export function murmurHash(code: number): number {
  code = Math.imul(code, 0xcc9e2d51);
  code = (code << 15) | (code >>> 17);
  code = Math.imul(code, 0x1b873593);
  code = (code << 13) | (code >>> 19);
  code = (Math.imul(code, 5) + 0xe6546b64) | 0;
  code ^= 4;
  code ^= code >>> 16;
  code = Math.imul(code, 0x85ebca6b);
  code ^= code >>> 13;
  code = Math.imul(code, 0xc2b2ae35);
  code ^= code >>> 16;
  if (code >= 0) return code;
  return code === -2147483648 ? 0 : -code;
}

/** Throws `WEIR_INVALID_PARALLELISM` unless 1 ≤ maxParallelism ≤ 32768. */
export function checkMaxParallelism(maxParallelism: number): void {
  if (!Number.isInteger(maxParallelism) || maxParallelism < 1 || maxParallelism > UPPER_BOUND_MAX_PARALLELISM) {
    throw new WeirError('WEIR_INVALID_PARALLELISM', `maxParallelism must be an integer in 1..${UPPER_BOUND_MAX_PARALLELISM}, got ${maxParallelism}`, { maxParallelism });
  }
}

function checkParallelism(maxParallelism: number, parallelism: number): void {
  checkMaxParallelism(maxParallelism);
  if (!Number.isInteger(parallelism) || parallelism < 1 || parallelism > maxParallelism) {
    throw new WeirError('WEIR_INVALID_PARALLELISM', `parallelism must be an integer in 1..maxParallelism (${maxParallelism}), got ${parallelism}`, { maxParallelism, parallelism });
  }
}

/** Key group of a key hash: `murmurHash(hash) % maxParallelism`. */
export function keyGroupForHash(hash: number, maxParallelism: number): number {
  return murmurHash(hash) % maxParallelism;
}

/** Key group of a key (Flink's `KeyGroupRangeAssignment.assignToKeyGroup`). */
export function keyGroupFor(key: unknown, maxParallelism: number): number {
  return murmurHash(keyHash(key)) % maxParallelism;
}

/** Subtask index that owns a key group: `floor(keyGroup * parallelism / maxParallelism)`. */
export function operatorIndexForKeyGroup(maxParallelism: number, parallelism: number, keyGroup: number): number {
  checkParallelism(maxParallelism, parallelism);
  if (!Number.isInteger(keyGroup) || keyGroup < 0 || keyGroup >= maxParallelism) {
    throw new WeirError('WEIR_INVALID_KEY_GROUP', `key group ${keyGroup} is outside 0..${maxParallelism - 1}`, { keyGroup, maxParallelism });
  }
  return Math.floor((keyGroup * parallelism) / maxParallelism);
}

/** Key groups owned by one subtask (Flink's `computeKeyGroupRangeForOperatorIndex`). */
export function keyGroupRangeForSubtask(maxParallelism: number, parallelism: number, subtask: number): KeyGroupRange {
  checkParallelism(maxParallelism, parallelism);
  if (!Number.isInteger(subtask) || subtask < 0 || subtask >= parallelism) {
    throw new WeirError('WEIR_INVALID_PARALLELISM', `subtask ${subtask} is outside 0..${parallelism - 1}`, { subtask, parallelism });
  }
  const start = Math.floor((subtask * maxParallelism + parallelism - 1) / parallelism);
  const end = Math.floor(((subtask + 1) * maxParallelism - 1) / parallelism);
  return { start, end };
}

/** Number of key groups in a range (0 when empty). */
export function keyGroupRangeSize(r: KeyGroupRange): number {
  return r.end < r.start ? 0 : r.end - r.start + 1;
}

/** Whether `keyGroup` lies in `r`. */
export function keyGroupRangeContains(r: KeyGroupRange, keyGroup: number): boolean {
  return keyGroup >= r.start && keyGroup <= r.end;
}

/** Intersection of two ranges (possibly empty). */
export function intersectKeyGroupRanges(a: KeyGroupRange, b: KeyGroupRange): KeyGroupRange {
  const start = Math.max(a.start, b.start);
  const end = Math.min(a.end, b.end);
  return end < start ? EMPTY_KEY_GROUP_RANGE : { start, end };
}

/** Throws `WEIR_INVALID_KEY_GROUP` unless `r` is a (possibly empty) range inside 0..maxParallelism-1. */
export function checkKeyGroupRange(r: KeyGroupRange, maxParallelism: number): void {
  checkMaxParallelism(maxParallelism);
  const ok = Number.isInteger(r.start) && Number.isInteger(r.end) && (r.end < r.start || (r.start >= 0 && r.end < maxParallelism));
  if (!ok) {
    throw new WeirError('WEIR_INVALID_KEY_GROUP', `key group range ${r.start}..${r.end} is not inside 0..${maxParallelism - 1}`, { range: { ...r }, maxParallelism });
  }
}
