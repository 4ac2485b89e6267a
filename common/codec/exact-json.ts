/**
 * Exact JSON: any data value as a JSON-safe tree that reads back identical.
 *
 * Plain JSON loses values silently — `Infinity`, `-Infinity` and `NaN` become
 * `null`, `-0` becomes `0`, a `bigint` throws, an `undefined` field vanishes,
 * a `Date` becomes a string, a `Uint8Array` an object of indices, a `Map` `{}`.
 * Whatever Weir writes into `_metadata` (source splits with `end: Infinity`,
 * sink transaction handles, statistics) goes through this codec, so a restore
 * sees exactly what the snapshot saw.
 *
 * Plain JSON values (finite numbers other than -0, strings, booleans, null,
 * arrays, plain objects) encode as themselves, so files stay readable.
 * Everything else becomes a tagged object `{ "$weir": <tag>, "v": … }`:
 * ```
 * number     "NaN" | "Infinity" | "-Infinity" | "-0"
 * undefined  (no v)               array holes read back as undefined
 * bigint     decimal string
 * date       epoch ms (encoded as a number, so NaN = invalid date)
 * bytes      base64; "of": "Buffer" | "Uint8Array" | "ArrayBuffer" | a typed array's name
 * map        [[key, value]…]      set   [value…]
 * object     own entries of a plain object that has a "$weir" key itself, or of a
 *            null-prototype object ("nullProto": true)
 * ```
 * Instances of other classes travel as plain objects of their own enumerable
 * properties (as with structured clone and the record codec) — or, with `strict`
 * (for values whose contract is plain data: source splits), throw. Functions,
 * symbols and cycles throw `WEIR_NOT_SERIALIZABLE` naming the path.
 */
import { WeirError, preview } from '../weir-error.ts';

/** The key that marks an encoded non-JSON value. */
export const EXACT_JSON_TAG = '$weir';

/** A value JSON.stringify writes and JSON.parse reads back unchanged. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

type TypedArrayCtor = { new (buffer: ArrayBuffer): ArrayBufferView; readonly name: string; readonly BYTES_PER_ELEMENT: number };
const TYPED_ARRAYS: readonly TypedArrayCtor[] = [
  Int8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array,
];

function notSerializable(path: string, value: unknown, why: string): WeirError {
  return new WeirError('WEIR_NOT_SERIALIZABLE', `${path} cannot be written to a checkpoint: ${why}`, { path, value: preview(value) });
}

function malformed(path: string, why: string): WeirError {
  return new WeirError('WEIR_CHECKPOINT_CORRUPT', `malformed exact-JSON value at ${path}: ${why}`, { path });
}

/**
 * Encode a value to a JSON-safe tree.
 * @param path how to name the value in errors (e.g. `operator state of uid "src"`)
 * @throws WeirError `WEIR_NOT_SERIALIZABLE` for functions, symbols and cycles.
 */
export function toExactJson(value: unknown, path = 'value', opts: { strict?: boolean } = {}): JsonValue {
  return encode(value, path, new Set(), opts.strict === true);
}

function encode(v: unknown, path: string, ancestors: Set<object>, strict: boolean): JsonValue {
  switch (typeof v) {
    case 'number':
      if (Number.isFinite(v) && !Object.is(v, -0)) return v;
      return { [EXACT_JSON_TAG]: 'number', v: Object.is(v, -0) ? '-0' : String(v) };
    case 'string':
    case 'boolean':
      return v;
    case 'undefined':
      return { [EXACT_JSON_TAG]: 'undefined' };
    case 'bigint':
      return { [EXACT_JSON_TAG]: 'bigint', v: v.toString() };
    case 'object':
      if (v === null) return null;
      if (ancestors.has(v)) throw notSerializable(path, v, 'it contains a cycle');
      ancestors.add(v);
      try {
        return encodeObject(v, path, ancestors, strict);
      } finally {
        ancestors.delete(v);
      }
    default:
      throw notSerializable(path, v, `a ${typeof v} is not data`);
  }
}

function encodeObject(v: object, path: string, ancestors: Set<object>, strict: boolean): JsonValue {
  if (Array.isArray(v)) {
    const out: JsonValue[] = new Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = encode(v[i], `${path}[${i}]`, ancestors, strict);
    return out;
  }
  if (v instanceof Date) return { [EXACT_JSON_TAG]: 'date', v: encode(v.getTime(), path, ancestors, strict) };
  if (v instanceof Map) {
    let i = 0;
    return { [EXACT_JSON_TAG]: 'map', v: [...v].map(([k, x]) => { const at = `${path}.<map entry ${i++}>`; return [encode(k, at, ancestors, strict), encode(x, at, ancestors, strict)]; }) };
  }
  if (v instanceof Set) {
    let i = 0;
    return { [EXACT_JSON_TAG]: 'set', v: [...v].map((x) => encode(x, `${path}.<set entry ${i++}>`, ancestors, strict)) };
  }
  if (v instanceof ArrayBuffer) return { [EXACT_JSON_TAG]: 'bytes', of: 'ArrayBuffer', v: Buffer.from(v).toString('base64') };
  if (ArrayBuffer.isView(v)) {
    const of = Buffer.isBuffer(v) ? 'Buffer' : v instanceof Uint8Array ? 'Uint8Array' : TYPED_ARRAYS.find((c) => v instanceof c)?.name;
    if (of === undefined) throw notSerializable(path, v, `a ${v.constructor.name} is not supported`);
    return { [EXACT_JSON_TAG]: 'bytes', of, v: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
  }
  const proto = Object.getPrototypeOf(v);
  const nullProto = proto === null;
  if (strict && !nullProto && proto !== Object.prototype) {
    throw notSerializable(path, v, `a ${(v as { constructor?: { name?: string } }).constructor?.name || 'class instance'} is not plain data (it would come back as a plain object)`);
  }
  const entries: { [key: string]: JsonValue } = {};
  let tagged = nullProto;
  for (const k of Object.keys(v)) {
    if (k === EXACT_JSON_TAG) tagged = true;
    define(entries, k, encode((v as Record<string, unknown>)[k], `${path}.${k}`, ancestors, strict));
  }
  if (!tagged) return entries;
  return nullProto ? { [EXACT_JSON_TAG]: 'object', nullProto: true, v: entries } : { [EXACT_JSON_TAG]: 'object', v: entries };
}

/** Sets an own property, also for the key `__proto__` (plain assignment would change the prototype). */
function define(o: Record<string, unknown>, k: string, x: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: x, enumerable: true, writable: true, configurable: true });
  else o[k] = x;
}

/**
 * Decode a tree made by {@link toExactJson} (after a JSON round trip).
 * @throws WeirError `WEIR_CHECKPOINT_CORRUPT` for a malformed tagged value.
 */
export function fromExactJson(json: unknown, path = 'value'): unknown {
  if (json === null || typeof json !== 'object') return json;
  if (Array.isArray(json)) return json.map((x, i) => fromExactJson(x, `${path}[${i}]`));
  const o = json as Record<string, unknown>;
  if (!Object.prototype.hasOwnProperty.call(o, EXACT_JSON_TAG)) return decodeEntries(o, {}, path);
  return decodeTagged(o, path);
}

function decodeEntries(o: Record<string, unknown>, into: Record<string, unknown>, path: string): Record<string, unknown> {
  for (const k of Object.keys(o)) define(into, k, fromExactJson(o[k], `${path}.${k}`));
  return into;
}

function decodeTagged(o: Record<string, unknown>, path: string): unknown {
  const tag = o[EXACT_JSON_TAG];
  const v = o.v;
  switch (tag) {
    case 'number':
      if (v === 'NaN') return NaN;
      if (v === 'Infinity') return Infinity;
      if (v === '-Infinity') return -Infinity;
      if (v === '-0') return -0;
      throw malformed(path, `unknown number ${preview(v)}`);
    case 'undefined':
      return undefined;
    case 'bigint':
      if (typeof v !== 'string' || !/^-?\d+$/.test(v)) throw malformed(path, `bad bigint ${preview(v)}`);
      return BigInt(v);
    case 'date': {
      const t = fromExactJson(v, path);
      if (typeof t !== 'number') throw malformed(path, 'a date needs a number');
      return new Date(t);
    }
    case 'map':
      if (!Array.isArray(v) || !v.every((e) => Array.isArray(e) && e.length === 2)) throw malformed(path, 'a map needs [key, value] pairs');
      return new Map((v as unknown[][]).map(([k, x]) => [fromExactJson(k, path), fromExactJson(x, path)]));
    case 'set':
      if (!Array.isArray(v)) throw malformed(path, 'a set needs an array');
      return new Set(v.map((x) => fromExactJson(x, path)));
    case 'bytes':
      if (typeof v !== 'string') throw malformed(path, 'bytes need a base64 string');
      return decodeBytes(String(o.of), Buffer.from(v, 'base64'), path);
    case 'object':
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw malformed(path, 'an object needs entries');
      return decodeEntries(v as Record<string, unknown>, o.nullProto === true ? Object.create(null) : {}, path);
    default:
      throw malformed(path, `unknown tag ${preview(tag)}`);
  }
}

function decodeBytes(of: string, b: Buffer, path: string): unknown {
  if (of === 'Buffer') return b;
  const copy = new Uint8Array(b.byteLength);
  copy.set(b);
  if (of === 'Uint8Array') return copy;
  if (of === 'ArrayBuffer') return copy.buffer;
  const ctor = TYPED_ARRAYS.find((c) => c.name === of);
  if (ctor === undefined || copy.byteLength % ctor.BYTES_PER_ELEMENT !== 0) throw malformed(path, `bad typed array ${of}`);
  return new ctor(copy.buffer);
}
