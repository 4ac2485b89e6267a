/**
 * The record codec's general path: any record value as a self-describing,
 * tagged byte sequence (a tag byte, then the tag's fields; little-endian;
 * strings and lengths as in byte-buffers.ts). Exact round trip — written
 * instead of msgpackr because msgpackr turns -0 into 0 and renames an own
 * `__proto__` key to `__proto_` (measured with msgpackr 2.1.3).
 *
 * ```
 * tag  value                 fields
 *  0   undefined             —
 *  1   null                  —
 *  2   false                 —
 *  3   true                  —
 *  4   int32 (not -0)        i32
 *  5   other number          f64 (-0, NaN, ±Infinity, fractions)
 *  6   string                varint n + n UTF-8 bytes
 *  7   bigint                u8 sign (0 +, 1 −) + varint n + n magnitude bytes (LE)
 *  8   array                 varint n + n values (holes read back as undefined)
 *  9   plain object          varint n + n × (string key, value); own enumerable string keys
 * 10   null-prototype object same as 9
 * 11   Uint8Array            varint n + n bytes
 * 12   Buffer                varint n + n bytes (reads back as a Buffer)
 * 13   Date                  f64 epoch ms (NaN = invalid date)
 * 14   Map                   varint n + n × (key value, value value)
 * 15   Set                   varint n + n values
 * 16   other typed array     u8 type (TYPED_ARRAYS index) + varint byteLength + bytes
 * 17   ArrayBuffer           varint n + n bytes
 * 18   integer 0 … 255       u8
 * ```
 * Instances of other classes travel as plain objects of their own enumerable
 * properties (as with JSON and msgpackr). Functions and symbols, and nesting
 * deeper than 1000 (cycles), throw WEIR_RECORD_NOT_SERIALIZABLE. Typed arrays
 * are copied in host byte order (little-endian on every platform Weir targets).
 */
import { WeirError, preview } from '../weir-error.ts';
import { ByteSink, ByteSource, corrupt } from './byte-buffers.ts';

const T_UNDEFINED = 0, T_NULL = 1, T_FALSE = 2, T_TRUE = 3, T_INT32 = 4, T_F64 = 5, T_STRING = 6, T_BIGINT = 7;
const T_ARRAY = 8, T_OBJECT = 9, T_NULL_PROTO = 10, T_UINT8 = 11, T_BUFFER = 12, T_DATE = 13, T_MAP = 14, T_SET = 15;
const T_TYPED = 16, T_ARRAY_BUFFER = 17, T_BYTE = 18;
const MAX_DEPTH = 1000;

type TypedArrayCtor = { new (buffer: ArrayBuffer): ArrayBufferView; readonly BYTES_PER_ELEMENT: number };
const TYPED_ARRAYS: readonly TypedArrayCtor[] = [
  Int8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array,
];
const hasBuffer = typeof Buffer === 'function';

function notSerializable(value: unknown, why: string): WeirError {
  return new WeirError('WEIR_RECORD_NOT_SERIALIZABLE', `A record cannot be encoded: ${why}`, { value: preview(value) });
}

/** Append one value. */
export function writeValue(sink: ByteSink, v: unknown, depth = 0): void {
  switch (typeof v) {
    case 'number':
      if ((v | 0) === v && !(v === 0 && 1 / v < 0)) {
        if (v >= 0 && v < 256) {
          sink.ensure(2);
          sink.buf[sink.pos++] = T_BYTE;
          sink.buf[sink.pos++] = v;
        } else {
          sink.u8(T_INT32);
          sink.i32(v);
        }
      } else {
        sink.u8(T_F64);
        sink.f64(v);
      }
      return;
    case 'string':
      sink.u8(T_STRING);
      sink.string(v);
      return;
    case 'boolean':
      sink.u8(v ? T_TRUE : T_FALSE);
      return;
    case 'undefined':
      sink.u8(T_UNDEFINED);
      return;
    case 'bigint':
      writeBigInt(sink, v);
      return;
    case 'object':
      if (v === null) sink.u8(T_NULL);
      else writeObject(sink, v, depth);
      return;
    default:
      throw notSerializable(v, `a ${typeof v} is not data`);
  }
}

function writeBigInt(sink: ByteSink, v: bigint): void {
  const negative = v < 0n;
  let m = negative ? -v : v;
  const bytes: number[] = [];
  while (m > 0n) {
    bytes.push(Number(m & 0xffn));
    m >>= 8n;
  }
  sink.u8(T_BIGINT);
  sink.u8(negative ? 1 : 0);
  sink.varint(bytes.length);
  sink.bytes(Uint8Array.from(bytes));
}

function writeObject(sink: ByteSink, v: object, depth: number): void {
  if (depth >= MAX_DEPTH) throw notSerializable(v, `nested deeper than ${MAX_DEPTH} levels (a cycle?)`);
  const d = depth + 1;
  if (Array.isArray(v)) {
    sink.u8(T_ARRAY);
    sink.varint(v.length);
    for (let i = 0; i < v.length; i++) writeValue(sink, v[i], d);
    return;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto === Object.prototype || proto === null) {
    writeEntries(sink, proto === null ? T_NULL_PROTO : T_OBJECT, v as Record<string, unknown>, d);
  } else if (v instanceof Uint8Array) {
    sink.u8(hasBuffer && Buffer.isBuffer(v) ? T_BUFFER : T_UINT8);
    sink.varint(v.length);
    sink.bytes(v);
  } else if (v instanceof Date) {
    sink.u8(T_DATE);
    sink.f64(v.getTime());
  } else if (v instanceof Map) {
    sink.u8(T_MAP);
    sink.varint(v.size);
    for (const [k, x] of v) {
      writeValue(sink, k, d);
      writeValue(sink, x, d);
    }
  } else if (v instanceof Set) {
    sink.u8(T_SET);
    sink.varint(v.size);
    for (const x of v) writeValue(sink, x, d);
  } else if (ArrayBuffer.isView(v) && typedArrayIndex(v) >= 0) {
    sink.u8(T_TYPED);
    sink.u8(typedArrayIndex(v));
    sink.varint(v.byteLength);
    sink.bytes(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  } else if (v instanceof ArrayBuffer) {
    sink.u8(T_ARRAY_BUFFER);
    sink.varint(v.byteLength);
    sink.bytes(new Uint8Array(v));
  } else {
    writeEntries(sink, T_OBJECT, v as Record<string, unknown>, d);
  }
}

function typedArrayIndex(v: object): number {
  for (let i = 0; i < TYPED_ARRAYS.length; i++) if (v instanceof TYPED_ARRAYS[i]!) return i;
  return -1;
}

function writeEntries(sink: ByteSink, tag: number, v: Record<string, unknown>, depth: number): void {
  const keys = Object.keys(v);
  sink.u8(tag);
  sink.varint(keys.length);
  for (const k of keys) {
    sink.string(k);
    writeValue(sink, v[k], depth);
  }
}

/**
 * Why {@link writeValue} would refuse `v` (a function or symbol inside, nesting past the limit), or
 * undefined — without encoding: what the heap state backend checks on every write, so a value that
 * could never be checkpointed fails the record that wrote it, as on LMDB.
 */
export function notDataReason(v: unknown, depth = 0): string | undefined {
  const t = typeof v;
  if (t === 'function' || t === 'symbol') return `a ${t} is not data`;
  if (t !== 'object' || v === null) return undefined;
  if (depth >= MAX_DEPTH) return `nested deeper than ${MAX_DEPTH} levels (a cycle?)`;
  const d = depth + 1;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const why = notDataReason(v[i], d);
      if (why !== undefined) return why;
    }
    return undefined;
  }
  if (v instanceof Map) {
    for (const [k, x] of v) {
      const why = notDataReason(k, d) ?? notDataReason(x, d);
      if (why !== undefined) return why;
    }
    return undefined;
  }
  if (v instanceof Set) {
    for (const x of v) {
      const why = notDataReason(x, d);
      if (why !== undefined) return why;
    }
    return undefined;
  }
  if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof Date) return undefined;
  for (const k of Object.keys(v as object)) {
    const why = notDataReason((v as Record<string, unknown>)[k], d);
    if (why !== undefined) return why;
  }
  return undefined;
}

/** Read one value. */
export function readValue(src: ByteSource, depth = 0): unknown {
  const tag = src.u8at();
  switch (tag) {
    case T_BYTE:
      return src.u8at();
    case T_INT32:
      return src.i32();
    case T_F64:
      return src.f64();
    case T_STRING:
      return src.string();
    case T_TRUE:
      return true;
    case T_FALSE:
      return false;
    case T_NULL:
      return null;
    case T_UNDEFINED:
      return undefined;
    case T_BIGINT: {
      const negative = src.u8at() === 1;
      const bytes = src.bytes(src.varint());
      let m = 0n;
      for (let i = bytes.length - 1; i >= 0; i--) m = (m << 8n) | BigInt(bytes[i]!);
      return negative ? -m : m;
    }
    default:
      if (depth >= MAX_DEPTH) throw corrupt('values nested too deep');
      return readComposite(src, tag, depth + 1);
  }
}

function readComposite(src: ByteSource, tag: number, d: number): unknown {
  switch (tag) {
    case T_ARRAY: {
      const n = src.varint();
      if (n > src.u8.length - src.pos) throw corrupt('array longer than the batch');
      const a = new Array<unknown>(n);
      for (let i = 0; i < n; i++) a[i] = readValue(src, d);
      return a;
    }
    case T_OBJECT:
    case T_NULL_PROTO: {
      const o: Record<string, unknown> = tag === T_OBJECT ? {} : Object.create(null);
      for (let n = src.varint(); n > 0; n--) {
        const k = src.string();
        const x = readValue(src, d);
        if (k === '__proto__') Object.defineProperty(o, k, { value: x, enumerable: true, writable: true, configurable: true });
        else o[k] = x;
      }
      return o;
    }
    case T_UINT8:
      return src.bytes(src.varint());
    case T_BUFFER: {
      const b = src.bytes(src.varint());
      return hasBuffer ? Buffer.from(b.buffer, b.byteOffset, b.byteLength) : b;
    }
    case T_DATE:
      return new Date(src.f64());
    case T_MAP: {
      const m = new Map<unknown, unknown>();
      for (let n = src.varint(); n > 0; n--) {
        const k = readValue(src, d);
        m.set(k, readValue(src, d));
      }
      return m;
    }
    case T_SET: {
      const s = new Set<unknown>();
      for (let n = src.varint(); n > 0; n--) s.add(readValue(src, d));
      return s;
    }
    case T_TYPED: {
      const ctor = TYPED_ARRAYS[src.u8at()];
      const b = src.bytes(src.varint());
      if (ctor === undefined || b.byteLength % ctor.BYTES_PER_ELEMENT !== 0) throw corrupt('bad typed array');
      return new ctor(b.buffer as ArrayBuffer);
    }
    case T_ARRAY_BUFFER:
      return src.bytes(src.varint()).buffer;
    default:
      throw corrupt(`unknown value tag ${tag}`);
  }
}
