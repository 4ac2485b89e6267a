/**
 * Canonical keyed-state records — the backend-independent unit of full and delta snapshots.
 *
 * Every record starts with an op byte; integers are big-endian; `key` and `uk` are canonical key
 * bytes (`key-codec.ts`), `v` is a msgpack-encoded value (`value-codec.ts`), `t` is the TTL
 * timestamp as float64 (NaN = none):
 * ```
 *   1 PUT_VALUE  op u8 | sid u16 | keyLen u16 | key | t f64 | vLen u32 | v
 *   2 PUT_LIST   op u8 | sid u16 | keyLen u16 | key | n u32 | n × (t f64 | vLen u32 | v)   (replaces the list)
 *   3 PUT_MAP    op u8 | sid u16 | keyLen u16 | key | ukLen u16 | uk | t f64 | vLen u32 | v
 *   4 DEL_KEY    op u8 | sid u16 | keyLen u16 | key          (value, whole list or whole map of the key)
 *   5 DEL_MAP    op u8 | sid u16 | keyLen u16 | key | ukLen u16 | uk
 *   6 PUT_TIMER  op u8 | domain u8 (0 event, 1 processing) | ts f64 | keyLen u16 | key
 *   7 DEL_TIMER  op u8 | domain u8 | ts f64 | keyLen u16 | key
 * ```
 * `sid` indexes the state table stored in the file footer. Records are applied in file order;
 * delta files put all deletions of a key group before its puts.
 */
import { WeirError } from '../../common/weir-error.ts';
import { KeyWriter, writeKey } from '../key-codec.ts';

export const OP_PUT_VALUE = 1;
export const OP_PUT_LIST = 2;
export const OP_PUT_MAP = 3;
export const OP_DEL_KEY = 4;
export const OP_DEL_MAP = 5;
export const OP_PUT_TIMER = 6;
export const OP_DEL_TIMER = 7;

/** Timer domains as stored. */
export const DOMAIN_EVENT = 0;
export const DOMAIN_PROCESSING = 1;

/**
 * Copies `src[start, end)` to `dst[at…]`. Small copies use a loop: creating the typed-array view
 * that `set(subarray)` / `Buffer.copy` need costs more than copying a few dozen bytes.
 */
export function copyBytes(src: Uint8Array, start: number, end: number, dst: Uint8Array, at: number): void {
  const n = end - start;
  if (n <= 96) {
    for (let i = 0; i < n; i++) dst[at + i] = src[start + i]!;
  } else {
    dst.set(start === 0 && end === src.length ? src : src.subarray(start, end), at);
  }
}

/** One element of a list record. */
export interface ListItemBytes {
  t: number;
  v: Uint8Array;
}

/**
 * Appends records to a growable buffer. Extends {@link KeyWriter} so keys held as values (heap
 * backend) are encoded straight into the record (`…Of` methods) without an intermediate array.
 */
export class RecordBuffer extends KeyWriter {
  /** Records appended since the last `take()`. */
  count = 0;

  constructor(initial = 1 << 16) {
    super(initial);
  }

  /** Writes a u16 length prefix followed by the canonical encoding of `key`. */
  private key16(key: unknown): void {
    this.ensure(2);
    const at = this.pos;
    this.pos += 2;
    writeKey(this, key);
    this.buf.writeUInt16BE(this.pos - at - 2, at);
  }

  private headOf(op: number, sid: number, key: unknown): void {
    this.ensure(3);
    this.buf[this.pos] = op;
    this.buf.writeUInt16BE(sid, this.pos + 1);
    this.pos += 3;
    this.key16(key);
    this.count++;
  }

  /** PUT_VALUE for a key given as a value. */
  putValueOf(sid: number, key: unknown, t: number, v: Uint8Array): void {
    this.headOf(OP_PUT_VALUE, sid, key);
    this.ensure(12 + v.length);
    this.tv(t, v);
  }

  /** PUT_LIST for a key given as a value. */
  putListOf(sid: number, key: unknown, items: readonly ListItemBytes[]): void {
    this.headOf(OP_PUT_LIST, sid, key);
    let size = 4;
    for (const it of items) size += 12 + it.v.length;
    this.ensure(size);
    this.buf.writeUInt32BE(items.length, this.pos);
    this.pos += 4;
    for (const it of items) this.tv(it.t, it.v);
  }

  /** PUT_MAP for key and user key given as values. */
  putMapEntryOf(sid: number, key: unknown, uk: unknown, t: number, v: Uint8Array): void {
    this.headOf(OP_PUT_MAP, sid, key);
    this.key16(uk);
    this.ensure(12 + v.length);
    this.tv(t, v);
  }

  /** DEL_KEY for a key given as a value. */
  deleteKeyOf(sid: number, key: unknown): void {
    this.headOf(OP_DEL_KEY, sid, key);
  }

  /** PUT_TIMER / DEL_TIMER for a key given as a value. */
  timerOf(put: boolean, domain: number, ts: number, key: unknown): void {
    this.ensure(10);
    this.buf[this.pos] = put ? OP_PUT_TIMER : OP_DEL_TIMER;
    this.buf[this.pos + 1] = domain;
    this.buf.writeDoubleBE(ts, this.pos + 2);
    this.pos += 10;
    this.key16(key);
    this.count++;
  }

  private head(op: number, sid: number, key: Uint8Array, extra: number): void {
    this.ensure(5 + key.length + extra);
    const b = this.buf;
    b[this.pos] = op;
    b.writeUInt16BE(sid, this.pos + 1);
    b.writeUInt16BE(key.length, this.pos + 3);
    copyBytes(key, 0, key.length, b, this.pos + 5);
    this.pos += 5 + key.length;
    this.count++;
  }

  private bytes16(x: Uint8Array): void {
    this.buf.writeUInt16BE(x.length, this.pos);
    copyBytes(x, 0, x.length, this.buf, this.pos + 2);
    this.pos += 2 + x.length;
  }

  private tv(t: number, v: Uint8Array): void {
    this.buf.writeDoubleBE(t, this.pos);
    this.buf.writeUInt32BE(v.length, this.pos + 8);
    copyBytes(v, 0, v.length, this.buf, this.pos + 12);
    this.pos += 12 + v.length;
  }

  putValue(sid: number, key: Uint8Array, t: number, v: Uint8Array): void {
    this.head(OP_PUT_VALUE, sid, key, 12 + v.length);
    this.tv(t, v);
  }

  putList(sid: number, key: Uint8Array, items: readonly ListItemBytes[]): void {
    let size = 4;
    for (const it of items) size += 12 + it.v.length;
    this.head(OP_PUT_LIST, sid, key, size);
    this.buf.writeUInt32BE(items.length, this.pos);
    this.pos += 4;
    for (const it of items) this.tv(it.t, it.v);
  }

  putMapEntry(sid: number, key: Uint8Array, uk: Uint8Array, t: number, v: Uint8Array): void {
    this.head(OP_PUT_MAP, sid, key, 2 + uk.length + 12 + v.length);
    this.bytes16(uk);
    this.tv(t, v);
  }

  deleteKey(sid: number, key: Uint8Array): void {
    this.head(OP_DEL_KEY, sid, key, 0);
  }

  deleteMapEntry(sid: number, key: Uint8Array, uk: Uint8Array): void {
    this.head(OP_DEL_MAP, sid, key, 2 + uk.length);
    this.bytes16(uk);
  }

  private timer(op: number, domain: number, ts: number, key: Uint8Array): void {
    this.ensure(12 + key.length);
    const b = this.buf;
    b[this.pos] = op;
    b[this.pos + 1] = domain;
    b.writeDoubleBE(ts, this.pos + 2);
    this.pos += 10;
    this.bytes16(key);
    this.count++;
  }

  putTimer(domain: number, ts: number, key: Uint8Array): void {
    this.timer(OP_PUT_TIMER, domain, ts, key);
  }

  deleteTimer(domain: number, ts: number, key: Uint8Array): void {
    this.timer(OP_DEL_TIMER, domain, ts, key);
  }

  // ---- variants copying from (buffer, start, end) without creating views (hot snapshot paths) ----

  private headFrom(op: number, sid: number, src: Buffer, start: number, end: number, extra: number): void {
    const len = end - start;
    this.ensure(5 + len + extra);
    const b = this.buf;
    b[this.pos] = op;
    b.writeUInt16BE(sid, this.pos + 1);
    b.writeUInt16BE(len, this.pos + 3);
    copyBytes(src, start, end, b, this.pos + 5);
    this.pos += 5 + len;
    this.count++;
  }

  private tvFrom(t: number, src: Buffer, start: number, end: number): void {
    this.buf.writeDoubleBE(t, this.pos);
    this.buf.writeUInt32BE(end - start, this.pos + 8);
    copyBytes(src, start, end, this.buf, this.pos + 12);
    this.pos += 12 + end - start;
  }

  /** PUT_VALUE with key = `key[ks, ke)` and value = `v[vs, ve)`. */
  putValueFrom(sid: number, key: Buffer, ks: number, ke: number, t: number, v: Buffer, vs: number, ve: number): void {
    this.headFrom(OP_PUT_VALUE, sid, key, ks, ke, 12 + ve - vs);
    this.tvFrom(t, v, vs, ve);
  }

  /** PUT_MAP with key = `key[ks, ke)`, user key = `key[ke, ue)` and value = `v[vs, ve)`. */
  putMapEntryFrom(sid: number, key: Buffer, ks: number, ke: number, ue: number, t: number, v: Buffer, vs: number, ve: number): void {
    this.headFrom(OP_PUT_MAP, sid, key, ks, ke, 2 + ue - ke + 12 + ve - vs);
    this.buf.writeUInt16BE(ue - ke, this.pos);
    copyBytes(key, ke, ue, this.buf, this.pos + 2);
    this.pos += 2 + ue - ke;
    this.tvFrom(t, v, vs, ve);
  }

  /** Appends already-encoded records. */
  append(bytes: Uint8Array, records: number): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    this.count += records;
  }

  /** Returns an owned copy of the contents and empties the buffer. */
  take(): Buffer {
    const out = Buffer.from(this.buf.subarray(0, this.pos));
    this.pos = 0;
    this.count = 0;
    return out;
  }

  /** Empties the buffer (contents become invalid). */
  clear(): void {
    this.pos = 0;
    this.count = 0;
  }
}

/** Receives decoded records (restore). Byte arrays are views valid only during the call. */
export interface RecordVisitor {
  putValue(sid: number, key: Uint8Array, t: number, v: Uint8Array): void;
  putList(sid: number, key: Uint8Array, items: ListItemBytes[]): void;
  putMapEntry(sid: number, key: Uint8Array, uk: Uint8Array, t: number, v: Uint8Array): void;
  deleteKey(sid: number, key: Uint8Array): void;
  deleteMapEntry(sid: number, key: Uint8Array, uk: Uint8Array): void;
  putTimer(domain: number, ts: number, key: Uint8Array): void;
  deleteTimer(domain: number, ts: number, key: Uint8Array): void;
}

function truncated(where: string): WeirError {
  return new WeirError('WEIR_STATE_CORRUPT', `Snapshot block is truncated or malformed (${where})`, { where });
}

/** Decodes every record of `block` in order. Throws `WEIR_STATE_CORRUPT` on malformed input. */
export function readRecords(block: Buffer, visitor: RecordVisitor): number {
  let p = 0;
  let n = 0;
  const end = block.length;
  const need = (k: number, where: string): void => {
    if (p + k > end) throw truncated(where);
  };
  const slice16 = (where: string): Uint8Array => {
    need(2, where);
    const len = block.readUInt16BE(p);
    need(2 + len, where);
    const out = block.subarray(p + 2, p + 2 + len);
    p += 2 + len;
    return out;
  };
  const readTv = (where: string): { t: number; v: Uint8Array } => {
    need(12, where);
    const t = block.readDoubleBE(p);
    const len = block.readUInt32BE(p + 8);
    need(12 + len, where);
    const v = block.subarray(p + 12, p + 12 + len);
    p += 12 + len;
    return { t, v };
  };
  while (p < end) {
    const op = block[p]!;
    if (op === OP_PUT_TIMER || op === OP_DEL_TIMER) {
      need(10, 'timer');
      const domain = block[p + 1]!;
      const ts = block.readDoubleBE(p + 2);
      p += 10;
      const key = slice16('timer key');
      if (op === OP_PUT_TIMER) visitor.putTimer(domain, ts, key);
      else visitor.deleteTimer(domain, ts, key);
      n++;
      continue;
    }
    need(3, 'record head');
    const sid = block.readUInt16BE(p + 1);
    p += 3;
    const key = slice16('key');
    switch (op) {
      case OP_PUT_VALUE: {
        const { t, v } = readTv('value');
        visitor.putValue(sid, key, t, v);
        break;
      }
      case OP_PUT_LIST: {
        need(4, 'list length');
        const count = block.readUInt32BE(p);
        p += 4;
        const items: ListItemBytes[] = [];
        for (let i = 0; i < count; i++) items.push(readTv('list element'));
        visitor.putList(sid, key, items);
        break;
      }
      case OP_PUT_MAP: {
        const uk = slice16('map key');
        const { t, v } = readTv('map value');
        visitor.putMapEntry(sid, key, uk, t, v);
        break;
      }
      case OP_DEL_KEY:
        visitor.deleteKey(sid, key);
        break;
      case OP_DEL_MAP:
        visitor.deleteMapEntry(sid, key, slice16('map key'));
        break;
      default:
        throw truncated(`unknown op ${op}`);
    }
    n++;
  }
  return n;
}
