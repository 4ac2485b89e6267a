/**
 * Byte layout of the LMDB keyed-state environment (one root database, binary keys and values).
 *
 * Keys (big-endian integers; `key` and `uk` are canonical, prefix-free key bytes):
 * ```
 *   value / reducing / aggregating   kg u16 | sid u16 | key
 *   list element                     kg u16 | sid u16 | key | seq u32
 *   map entry                        kg u16 | sid u16 | key | uk
 *   event-time timer                 kg u16 | 0xFFFE  | ts (8-byte order-preserving float) | key
 *   processing-time timer            kg u16 | 0xFFFD  | ts | key
 *   state metadata                   0xFFFF | UTF-8 state name   → msgpack {sid, kind, ttlMs?, updateType?}
 * ```
 * Key groups are < 32768, so 0xFFFF never starts a key-group key; one key group's state and
 * timers are one contiguous key range, and a key-group range is one range scan. The prefix
 * `kg|sid|key` is followed only by a seq (u32) or a canonical key (first byte a tag < 0xFF), so
 * `[prefix, prefix ++ FF FF FF FF FF)` covers exactly one key's records.
 *
 * Values: `flags u8` (bit 0: a TTL timestamp follows) `| t f64 (if flag) | msgpack value`.
 * Timers store an empty value.
 */
import { WeirError } from '../../common/weir-error.ts';
import { unpackValueRange } from '../value-codec.ts';
import { writeOrderedFloat64 } from '../ordered-float64.ts';

/** State id of the event-time timer space. */
export const SID_EVENT_TIMERS = 0xfffe;
/** State id of the processing-time timer space. */
export const SID_PROCESSING_TIMERS = 0xfffd;
/** First two bytes of metadata keys. */
export const META_PREFIX = Buffer.from([0xff, 0xff]);
/** Exclusive end of the metadata range. */
export const META_END = Buffer.from([0xff, 0xff, 0xff]);
/** Appended to a prefix to form the exclusive end of its range. */
export const RANGE_END_SUFFIX = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff]);
/** LMDB's maximum key size in lmdb-js builds. */
export const MAX_LMDB_KEY = 1978;
/** Empty timer value. */
export const EMPTY = Buffer.alloc(0);

/** Timer-space sid of a snapshot-records domain (0 event, 1 processing). */
export function timerSid(domain: number): number {
  return domain === 0 ? SID_EVENT_TIMERS : SID_PROCESSING_TIMERS;
}

/** Record-codec domain of a timer-space sid, or -1 for state sids. */
export function timerDomain(sid: number): number {
  return sid === SID_EVENT_TIMERS ? 0 : sid === SID_PROCESSING_TIMERS ? 1 : -1;
}

/** Exclusive end of a prefix's range: `prefix ++ FF×5`. */
export function rangeEnd(prefix: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(prefix.length + RANGE_END_SUFFIX.length);
  out.set(prefix, 0);
  out.set(RANGE_END_SUFFIX, prefix.length);
  return out;
}

/** `kg u16 | sid u16` as a fresh buffer. */
export function groupSidPrefix(kg: number, sid: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt16BE(kg, 0);
  b.writeUInt16BE(sid, 2);
  return b;
}

/** Start of key group `kg` (inclusive). */
export function groupStart(kg: number): Buffer {
  const b = Buffer.allocUnsafe(2);
  b.writeUInt16BE(kg, 0);
  return b;
}

/** Timer key `kg | space | ts | key`. */
export function timerKey(kg: number, domain: number, ts: number, key: Uint8Array): Buffer {
  const b = Buffer.allocUnsafe(12 + key.length);
  b.writeUInt16BE(kg, 0);
  b.writeUInt16BE(timerSid(domain), 2);
  writeOrderedFloat64(b, 4, ts);
  b.set(key, 12);
  checkKeySize(b.length);
  return b;
}

/** Throws `WEIR_KEY_TOO_LARGE` when a composite key exceeds LMDB's limit. */
export function checkKeySize(n: number): void {
  if (n > MAX_LMDB_KEY) {
    throw new WeirError('WEIR_KEY_TOO_LARGE', `An encoded state key of ${n} bytes exceeds LMDB's ${MAX_LMDB_KEY}-byte limit (key + map key must stay below ~1970 bytes)`, { bytes: n });
  }
}

/** Encodes a stored value into `scratch` (grown when needed); returns the bytes to put. */
export function encodeStored(packed: Uint8Array, t: number, scratch: { buf: Buffer }): Buffer {
  const hasT = !Number.isNaN(t);
  const head = hasT ? 9 : 1;
  const n = head + packed.length;
  if (scratch.buf.length < n) scratch.buf = Buffer.allocUnsafe(Math.max(n, scratch.buf.length * 2));
  const b = scratch.buf;
  b[0] = hasT ? 1 : 0;
  if (hasT) b.writeDoubleBE(t, 1);
  b.set(packed, head);
  return b.subarray(0, n);
}

/** TTL timestamp of a stored value (NaN when none). */
export function storedTs(b: Buffer): number {
  return b[0]! & 1 ? b.readDoubleBE(1) : Number.NaN;
}

/** Offset of the msgpack part of a stored value. */
export function payloadStart(b: Uint8Array): number {
  return b[0]! & 1 ? 9 : 1;
}

/** The msgpack part of a stored value (`b.length` is honoured: lmdb's fast reads fake it). */
export function storedPayload(b: Buffer): Uint8Array {
  return b.subarray(payloadStart(b), b.length);
}

/** Decodes a stored value without allocating views. */
export function decodeStored(b: Buffer): { v: unknown; t: number } {
  return { v: unpackValueRange(b, payloadStart(b), b.length), t: storedTs(b) };
}
