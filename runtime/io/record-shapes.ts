/**
 * The record codec's fast path: records of one common SHAPE — a scalar
 * (number | string | boolean), a tuple (array) or a plain object with the
 * same keys in the same order — whose fields are numbers, strings or
 * booleans. A shape is described once per batch segment; rows then carry
 * only the field values, and an encoder/decoder pair is generated per shape
 * (`new Function`, keys embedded as JSON string literals) so V8 compiles
 * straight-line property reads and one constructor call per decoded record
 * (a plain object: the constructor's prototype is Object.prototype).
 *
 * ```
 * shape header   u8 form (0 scalar, 1 tuple, 2 object) · u8 field count n (≤ 32)
 *                n × u8 field type · object only: n × key (varint n + UTF-8)
 * field types    1 f64 (8 B) · 2 i32 (4 B, an int32 that is not -0)
 *                3 string (varint byteLength + UTF-8) · 4 boolean (1 B: 0/1)
 * row            the n field values, in header order, no padding
 * ```
 * A record "has" a shape only if the round trip is exact: same form, same
 * own keys in the same `for…in` order, a plain prototype (Object.prototype),
 * no `__proto__` key, and every value of its field's type (any number fits
 * f64; i32 needs an int32 that is not -0). Anything else takes the tagged
 * path (tagged-values.ts). Shapes are cached by signature (≤ 512).
 */
import { readUtf8, readVarint, varintEnd, writeString, type ByteSink, type ByteSource, corrupt } from '../../common/codec/byte-buffers.ts';

const F64 = 1, I32 = 2, STR = 3, BOOL = 4;
const SCALAR = 0, TUPLE = 1, OBJECT = 2;
/** Records with more fields take the tagged path. */
export const MAX_SHAPE_FIELDS = 32;
const FIXED_BYTES = [0, 8, 4, 5, 1]; // per type; strings: 5-byte length reserve + 3 × length
const MAX_CACHED = 512;

/** A record shape with its generated codec. */
export interface RecordShape {
  readonly signature: string;
  readonly form: number;
  readonly keys: readonly string[];
  readonly types: readonly number[];
  /** Append the record's row if it has this shape; otherwise write nothing and return false. */
  readonly encode: (record: unknown, sink: ByteSink) => boolean;
  /** True if `encode` would accept the record. */
  readonly test: (record: unknown) => boolean;
  /** Decode `n` rows at `src.pos` into `out[at …]`. */
  readonly decode: (src: ByteSource, n: number, out: unknown[], at: number) => void;
}

const cache = new Map<string, RecordShape>();
const OP = Object.prototype;
const getProto = Object.getPrototypeOf;

function isI32(v: number): boolean {
  return (v | 0) === v && !(v === 0 && 1 / v < 0);
}

function fieldType(v: unknown): number {
  switch (typeof v) {
    case 'number':
      return isI32(v) ? I32 : F64;
    case 'string':
      return STR;
    case 'boolean':
      return BOOL;
    default:
      return 0;
  }
}

/**
 * The shape of `record`, or null if it has none. Numeric fields that were f64
 * in `previous` (same form and keys) stay f64, so a batch does not flip
 * between i32 and f64 for a field holding both kinds of numbers.
 */
export function inferShape(record: unknown, previous: RecordShape | null): RecordShape | null {
  let form: number;
  let keys: string[] = [];
  let values: unknown[];
  if (typeof record !== 'object') {
    form = SCALAR;
    values = [record];
  } else if (record === null) {
    return null;
  } else if (Array.isArray(record)) {
    if (record.length > MAX_SHAPE_FIELDS) return null;
    form = TUPLE;
    values = [];
    for (let i = 0; i < record.length; i++) values.push(record[i]);
  } else if (getProto(record) === OP) {
    form = OBJECT;
    values = [];
    for (const k in record) {
      if (k === '__proto__' || keys.length === MAX_SHAPE_FIELDS) return null;
      keys.push(k);
      values.push((record as Record<string, unknown>)[k]);
    }
  } else {
    return null;
  }
  const types = values.map(fieldType);
  if (types.includes(0)) return null;
  if (previous !== null && previous.form === form && previous.types.length === types.length && previous.keys.every((k, i) => k === keys[i])) {
    for (let i = 0; i < types.length; i++) if (types[i] === I32 && previous.types[i] === F64) types[i] = F64;
  }
  return shapeOf(form, keys, types);
}

/** Write a shape header (see the file header). */
export function writeShapeHeader(shape: RecordShape, sink: ByteSink): void {
  sink.u8(shape.form);
  sink.u8(shape.types.length);
  for (const t of shape.types) sink.u8(t);
  for (const k of shape.keys) sink.string(k);
}

/** Read a shape header and return the (cached) shape. */
export function readShapeHeader(src: ByteSource): RecordShape {
  const form = src.u8at();
  const n = src.u8at();
  if (form > OBJECT || n > MAX_SHAPE_FIELDS || (form === SCALAR && n !== 1)) throw corrupt('bad shape header');
  const types: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = src.u8at();
    if (t < F64 || t > BOOL) throw corrupt(`bad field type ${t}`);
    types.push(t);
  }
  const keys: string[] = [];
  if (form === OBJECT) for (let i = 0; i < n; i++) keys.push(src.string());
  if (keys.includes('__proto__')) throw corrupt('bad shape key');
  return shapeOf(form, keys, types);
}

/**
 * The same string as V8's internalized copy (the one property names are): a shape compiled from a
 * header read off a channel is also the cached shape this worker's encoder checks records against,
 * `k !== K[n]` over the keys of each record, and against a string decoded from bytes that
 * comparison is a full string compare instead of a pointer compare. Done once, when a shape is compiled.
 */
function internalized(key: string): string {
  return Object.keys({ [key]: 0 })[0]!;
}

function shapeOf(form: number, keys: string[], types: number[]): RecordShape {
  const signature = `${form}:${types.join('')}:${JSON.stringify(keys)}`;
  let shape = cache.get(signature);
  if (shape === undefined) {
    if (cache.size >= MAX_CACHED) cache.clear();
    shape = compile(signature, form, keys.map(internalized), types);
    cache.set(signature, shape);
  }
  return shape;
}

/** Generated source: checks that bind v0…vn-1 or `return false`. */
function checks(form: number, keys: string[], types: number[]): string {
  const lines: string[] = [];
  const n = types.length;
  if (form === SCALAR) {
    lines.push('const v0 = r;');
  } else if (form === TUPLE) {
    lines.push(`if (!Array.isArray(r) || r.length !== ${n}) return false;`);
    for (let i = 0; i < n; i++) lines.push(`const v${i} = r[${i}];`);
  } else {
    lines.push('if (typeof r !== "object" || r === null || getProto(r) !== OP) return false;');
    lines.push(`let n = 0; for (const k in r) { if (n === ${n} || k !== K[n]) return false; n++; } if (n !== ${n}) return false;`);
    keys.forEach((k, i) => lines.push(`const v${i} = r[${JSON.stringify(k)}];`));
  }
  types.forEach((t, i) => {
    const v = `v${i}`;
    if (t === F64) lines.push(`if (typeof ${v} !== "number") return false;`);
    else if (t === I32) lines.push(`if (typeof ${v} !== "number" || (${v} | 0) !== ${v} || (${v} === 0 && 1 / ${v} < 0)) return false;`);
    else if (t === STR) lines.push(`if (typeof ${v} !== "string") return false;`);
    else lines.push(`if (typeof ${v} !== "boolean") return false;`);
  });
  return lines.join('\n');
}

function compile(signature: string, form: number, keys: string[], types: number[]): RecordShape {
  const fixed = types.reduce((s, t) => s + FIXED_BYTES[t]!, 0);
  const strSizes = types.map((t, i) => (t === STR ? ` + v${i}.length * 3` : '')).join('');
  const writes = types
    .map((t, i) => {
      if (t === F64) return `dv.setFloat64(p, v${i}, true); p += 8;`;
      if (t === I32) return `dv.setInt32(p, v${i}, true); p += 4;`;
      if (t === STR) return `p = writeString(u8, p, v${i});`;
      return `u8[p++] = v${i} ? 1 : 0;`;
    })
    .join('\n');
  const encodeSrc = `return function encode(r, sink) {
${checks(form, keys, types)}
const need = ${fixed}${strSizes};
if (sink.pos + need > sink.buf.length) sink.ensure(need);
const u8 = sink.buf, dv = sink.dv; let p = sink.pos;
${writes}
sink.pos = p;
return true;
}`;
  const testSrc = `return function test(r) {\n${checks(form, keys, types)}\nreturn true;\n}`;
  const reads = types
    .map((t, i) => {
      if (t === F64) return `const v${i} = dv.getFloat64(p, true); p += 8;`;
      if (t === I32) return `const v${i} = dv.getInt32(p, true); p += 4;`;
      if (t === STR) return `let l${i} = u8[p++]; if (l${i} >= 128) { l${i} = readVarint(u8, p - 1); p = varintAt(); } const v${i} = readUtf8(u8, p, l${i}); p += l${i};`;
      return `const v${i} = u8[p++] === 1;`;
    })
    .join('\n');
  const vs = types.map((_, i) => `v${i}`);
  // Objects are built by a constructor whose prototype is Object.prototype, not by an object
  // literal: what they are is the same (a plain object, its keys in order), but a literal shares its
  // hidden class with every literal of the same keys in the worker — the user's own records — and
  // once user code stores a non-integer number in one of its fields (keys computed as
  // `(i * 7919) % 10_000` are doubles past 2³¹), copying the literal's boilerplate left V8's fast
  // path: a runtime call per record (issue #18, keyed count at parallelism 2: +12–18 % CPU).
  const record = form === OBJECT ? `function Record(${vs.join(', ')}) {\n${keys.map((k, i) => `this[${JSON.stringify(k)}] = v${i};`).join('\n')}\n}\nRecord.prototype = OP;\n` : '';
  const value = form === SCALAR ? 'v0' : form === TUPLE ? `[${vs.join(', ')}]` : `new Record(${vs.join(', ')})`;
  const decodeSrc = `${record}return function decode(src, n, out, at) {
const u8 = src.u8, dv = src.dv; let p = src.pos;
for (let i = 0; i < n; i++) {
${reads}
out[at + i] = ${value};
}
src.pos = p;
}`;
  const deps = { K: keys, OP, getProto, writeString, readUtf8, readVarint, varintAt: () => varintEnd };
  const make = (src: string): never => new Function(...Object.keys(deps), src)(...Object.values(deps)) as never;
  return { signature, form, keys, types, encode: make(encodeSrc), test: make(testSrc), decode: make(decodeSrc) };
}

/** Field type codes of the shape header. */
export const FieldType = { F64, I32, STRING: STR, BOOLEAN: BOOL } as const;
