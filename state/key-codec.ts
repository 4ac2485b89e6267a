/**
 * Canonical, self-delimiting, order-preserving binary encoding of keys (and MapState user keys).
 *
 * Byte layout — one tag byte, then a tag-specific body:
 * ```
 *   0x00                       never a tag: terminates arrays / objects, escapes inside strings
 *   0x01 null
 *   0x02 false   0x03 true
 *   0x04 number  8 bytes: IEEE-754 big-endian, sign bit flipped (positives) or all bits inverted
 *                (negatives) so byte order == numeric order; -0 is written as 0; NaN is rejected
 *   0x05 bigint  sign byte (0x00 negative, 0x01 zero, 0x02 positive), then for non-zero a length
 *                byte n and n magnitude bytes big-endian (both inverted for negatives)
 *   0x06 Date    8 bytes like a number (getTime())
 *   0x07 string  UTF-8 with 0x00 escaped as 00 FF, terminated by 00 01
 *   0x08 bytes   Uint8Array contents, escaped and terminated like a string
 *   0x09 array   encoded elements, then 0x00
 *   0x0A object  plain object: (0x01, escaped UTF-8 property name + 00 01, encoded value)* sorted
 *                by property name (JS string order), then 0x00
 * ```
 * The encoding is prefix-free (no encoded key is a prefix of another), so it can be followed by
 * more bytes (a MapState user key, a list sequence number) inside one LMDB key. Equal keys
 * (`1` and `1.0`, objects with the same properties in any order) encode to the same bytes.
 * Rejected with `WEIR_INVALID_KEY`: undefined, NaN, functions, symbols, invalid Dates and class
 * instances other than Date / Uint8Array (Buffer decodes back as a plain Uint8Array).
 */
import { WeirError, preview } from '../common/weir-error.ts';
import { readOrderedFloat64, writeOrderedFloat64 } from './ordered-float64.ts';
import { readUtf8 } from '../common/codec/byte-buffers.ts';
import { isWellFormedString, LONE_SURROGATE_KEY } from '../common/codec/well-formed.ts';

const T_NULL = 0x01;
const T_FALSE = 0x02;
const T_TRUE = 0x03;
const T_NUMBER = 0x04;
const T_BIGINT = 0x05;
const T_DATE = 0x06;
const T_STRING = 0x07;
const T_BYTES = 0x08;
const T_ARRAY = 0x09;
const T_OBJECT = 0x0a;
const MAX_DEPTH = 32;

/** A growable byte buffer used to build keys without allocating per call. */
export class KeyWriter {
  buf: Buffer;
  pos = 0;

  constructor(initial = 256) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  reset(): void {
    this.pos = 0;
  }

  ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  /** Copies the written bytes into a fresh Uint8Array. */
  toBytes(): Uint8Array {
    return Uint8Array.prototype.slice.call(this.buf, 0, this.pos);
  }
}

function invalid(key: unknown, why: string): WeirError {
  return new WeirError('WEIR_INVALID_KEY', `Invalid key ${preview(safePreview(key))}: ${why}`, { why });
}

function safePreview(key: unknown): unknown {
  if (typeof key === 'function') return `[function ${(key as { name?: string }).name ?? ''}]`;
  if (typeof key === 'symbol') return String(key);
  if (key === undefined) return 'undefined';
  return key;
}

function writeOrderedFloat(w: KeyWriter, n: number): void {
  w.ensure(8);
  writeOrderedFloat64(w.buf, w.pos, n);
  w.pos += 8;
}

/** Writes an escaped, terminated byte string (UTF-8 of `s`, or raw bytes). */
function writeEscaped(w: KeyWriter, s: string | Uint8Array): void {
  const start = w.pos;
  let len: number;
  if (typeof s === 'string') {
    if (!isWellFormedString(s)) throw invalid(s, LONE_SURROGATE_KEY); // map keys and field names too
    w.ensure(s.length * 3 + 2);
    len = w.buf.write(s, start, 'utf8');
  } else {
    w.ensure(s.length + 2);
    w.buf.set(s, start);
    len = s.length;
  }
  let zeros = 0;
  for (let i = start; i < start + len; i++) if (w.buf[i] === 0) zeros++;
  if (zeros > 0) {
    // Shift right to make room for the escape bytes, walking backwards.
    w.ensure(len + zeros + 2);
    let dst = start + len + zeros - 1;
    for (let src = start + len - 1; src >= start; src--) {
      const b = w.buf[src]!;
      if (b === 0) {
        w.buf[dst--] = 0xff;
        w.buf[dst--] = 0;
      } else {
        w.buf[dst--] = b;
      }
    }
  }
  w.pos = start + len + zeros;
  w.ensure(2);
  w.buf[w.pos++] = 0;
  w.buf[w.pos++] = 1;
}

/** Reads an escaped, terminated byte string; returns the unescaped bytes and the offset after it. */
function readEscaped(b: Uint8Array, off: number): { bytes: Uint8Array; end: number } {
  let i = off;
  let escaped = false;
  for (;;) {
    if (i + 1 >= b.length) throw corrupt('unterminated string');
    if (b[i] === 0) {
      if (b[i + 1] === 1) break;
      if (b[i + 1] !== 0xff) throw corrupt('bad escape');
      escaped = true;
      i += 2;
    } else {
      i++;
    }
  }
  let bytes = b.subarray(off, i);
  if (escaped) {
    const out = new Uint8Array(bytes.length);
    let n = 0;
    for (let j = 0; j < bytes.length; j++) {
      out[n++] = bytes[j]!;
      if (bytes[j] === 0) j++;
    }
    bytes = out.subarray(0, n);
  }
  return { bytes, end: i + 2 };
}

function skipEscaped(b: Uint8Array, off: number): number {
  let i = off;
  for (;;) {
    if (i + 1 >= b.length) throw corrupt('unterminated string');
    if (b[i] === 0) {
      if (b[i + 1] === 1) return i + 2;
      i += 2;
    } else {
      i++;
    }
  }
}

function corrupt(why: string): WeirError {
  return new WeirError('WEIR_STATE_CORRUPT', `Cannot decode key bytes: ${why}`, { why });
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function writeBigInt(w: KeyWriter, v: bigint): void {
  w.byte(T_BIGINT);
  if (v === 0n) {
    w.byte(0x01);
    return;
  }
  const neg = v < 0n;
  let hex = (neg ? -v : v).toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  const n = hex.length / 2;
  if (n > 255) throw invalid(v, 'bigint keys are limited to 255 bytes of magnitude');
  w.ensure(2 + n);
  w.buf[w.pos++] = neg ? 0x00 : 0x02;
  w.buf[w.pos++] = neg ? 255 - n : n;
  for (let i = 0; i < n; i++) {
    const byte = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
    w.buf[w.pos++] = neg ? 255 - byte : byte;
  }
}

/** Appends the canonical encoding of `key` to `w`. Throws `WEIR_INVALID_KEY`. */
export function writeKey(w: KeyWriter, key: unknown, depth = 0): void {
  switch (typeof key) {
    case 'string':
      w.byte(T_STRING);
      writeEscaped(w, key);
      return;
    case 'number':
      if (Number.isNaN(key)) throw invalid(key, 'NaN is not equal to itself and cannot be a key');
      w.byte(T_NUMBER);
      writeOrderedFloat(w, key);
      return;
    case 'boolean':
      w.byte(key ? T_TRUE : T_FALSE);
      return;
    case 'bigint':
      writeBigInt(w, key);
      return;
    case 'object': {
      if (key === null) {
        w.byte(T_NULL);
        return;
      }
      if (depth >= MAX_DEPTH) throw invalid(key, `nested deeper than ${MAX_DEPTH} levels`);
      if (key instanceof Date) {
        const t = key.getTime();
        if (Number.isNaN(t)) throw invalid(key, 'invalid Date');
        w.byte(T_DATE);
        writeOrderedFloat(w, t);
        return;
      }
      if (key instanceof Uint8Array) {
        w.byte(T_BYTES);
        writeEscaped(w, key);
        return;
      }
      if (Array.isArray(key)) {
        w.byte(T_ARRAY);
        for (let i = 0; i < key.length; i++) writeKey(w, key[i], depth + 1);
        w.byte(0);
        return;
      }
      if (!isPlainObject(key)) {
        const name = (key as object).constructor?.name ?? 'unknown';
        throw invalid(key, `class instances (${name}) are not keys; use a plain object, array or primitive`);
      }
      w.byte(T_OBJECT);
      const rec = key as Record<string, unknown>;
      const names = Object.keys(rec).sort();
      for (const name of names) {
        w.byte(1);
        writeEscaped(w, name);
        writeKey(w, rec[name], depth + 1);
      }
      w.byte(0);
      return;
    }
    case 'undefined':
      throw invalid(key, 'undefined is not a key');
    default:
      throw invalid(key, `${typeof key} values are not keys`);
  }
}

const sharedWriter = new KeyWriter();

/** Canonical bytes of a key (a fresh copy). Throws `WEIR_INVALID_KEY`. */
export function encodeKey(key: unknown): Uint8Array {
  sharedWriter.reset();
  writeKey(sharedWriter, key);
  return sharedWriter.toBytes();
}

/** Offset just after the key encoded at `off`. */
export function skipKey(b: Uint8Array, off: number): number {
  const tag = b[off];
  switch (tag) {
    case T_NULL:
    case T_FALSE:
    case T_TRUE:
      return off + 1;
    case T_NUMBER:
    case T_DATE:
      return off + 9;
    case T_BIGINT:
      return b[off + 1] === 0x01 ? off + 2 : off + 3 + (b[off + 1] === 0 ? 255 - b[off + 2]! : b[off + 2]!);
    case T_STRING:
    case T_BYTES:
      return skipEscaped(b, off + 1);
    case T_ARRAY: {
      let i = off + 1;
      while (b[i] !== 0) {
        if (i >= b.length) throw corrupt('unterminated array');
        i = skipKey(b, i);
      }
      return i + 1;
    }
    case T_OBJECT: {
      let i = off + 1;
      while (b[i] !== 0) {
        if (i >= b.length || b[i] !== 1) throw corrupt('malformed object');
        i = skipKey(b, skipEscaped(b, i + 1));
      }
      return i + 1;
    }
    default:
      throw corrupt(`unknown tag ${tag}`);
  }
}

function readKey(b: Uint8Array, off: number): { value: unknown; end: number } {
  const tag = b[off];
  switch (tag) {
    case T_NULL:
      return { value: null, end: off + 1 };
    case T_FALSE:
      return { value: false, end: off + 1 };
    case T_TRUE:
      return { value: true, end: off + 1 };
    case T_NUMBER:
      return { value: readOrderedFloat64(b, off + 1), end: off + 9 };
    case T_DATE:
      return { value: new Date(readOrderedFloat64(b, off + 1)), end: off + 9 };
    case T_BIGINT: {
      const sign = b[off + 1];
      if (sign === 0x01) return { value: 0n, end: off + 2 };
      const neg = sign === 0x00;
      const n = neg ? 255 - b[off + 2]! : b[off + 2]!;
      let hex = '';
      for (let i = 0; i < n; i++) {
        const byte = neg ? 255 - b[off + 3 + i]! : b[off + 3 + i]!;
        hex += byte.toString(16).padStart(2, '0');
      }
      const mag = BigInt(`0x${hex}`);
      return { value: neg ? -mag : mag, end: off + 3 + n };
    }
    case T_STRING: {
      const { bytes, end } = readEscaped(b, off + 1);
      return { value: readUtf8(bytes, 0, bytes.length), end };
    }
    case T_BYTES: {
      const { bytes, end } = readEscaped(b, off + 1);
      return { value: new Uint8Array(bytes), end };
    }
    case T_ARRAY: {
      const out: unknown[] = [];
      let i = off + 1;
      while (b[i] !== 0) {
        if (i >= b.length) throw corrupt('unterminated array');
        const r = readKey(b, i);
        out.push(r.value);
        i = r.end;
      }
      return { value: out, end: i + 1 };
    }
    case T_OBJECT: {
      const out: Record<string, unknown> = {};
      let i = off + 1;
      while (b[i] !== 0) {
        if (i >= b.length || b[i] !== 1) throw corrupt('malformed object');
        const name = readEscaped(b, i + 1);
        const r = readKey(b, name.end);
        const field = Buffer.from(name.bytes.buffer, name.bytes.byteOffset, name.bytes.length).toString('utf8');
        // An own `__proto__` field (a key { __proto__: 1 }): assignment would set the prototype instead.
        if (field === '__proto__') Object.defineProperty(out, field, { value: r.value, enumerable: true, writable: true, configurable: true });
        else out[field] = r.value;
        i = r.end;
      }
      return { value: out, end: i + 1 };
    }
    default:
      throw corrupt(`unknown tag ${tag}`);
  }
}

/** Decodes bytes produced by {@link encodeKey} (exactly one key, nothing after it). */
export function decodeKey(bytes: Uint8Array): unknown {
  const { value, end } = readKey(bytes, 0);
  if (end !== bytes.length) throw corrupt(`${bytes.length - end} trailing bytes`);
  return value;
}

/** Decodes the key encoded at `off` and returns it with the offset after it. */
export function decodeKeyAt(bytes: Uint8Array, off: number): { value: unknown; end: number } {
  return readKey(bytes, off);
}
