/**
 * Keyed state on LMDB for the current key (layout in lmdb-layout.ts).
 *
 * One scratch {@link KeyWriter} holds `kg | sid | key` for the current key (rebuilt when the key
 * context's version changes); map keys are appended after it per call. Single values and map
 * entries go through a write-back cache (lmdb-value-cache.ts) that reaches LMDB when it is full
 * and before anything reads the database (`flush`: snapshots, scans of keys or of a key's map
 * entries, a map cleared, stats, restore, close); lists are
 * synchronous `putSync`/`removeSync`: inside `batch()` they join its write transaction, outside
 * one each commits on its own (correct, slow). Incremental tracking marks the latin1 string of the
 * prefix (value, list, whole map) or of the full map-entry key.
 *
 * List layout invariant: a list of n elements is stored at sequence numbers 0 … n−1, no gaps.
 * Every writer keeps it — appends continue at the last + 1 (0 for an empty list), `putList`, the
 * renumbering and a restore (lmdb-keyed-state-backend.ts's restore sink) write from 0, and only a
 * whole list is ever removed. So a list is empty iff its element 0 is absent, and a list whose
 * length is known is read and cleared with point operations instead of cursors (cursor set-up was
 * most of Nexmark q4's list cost at parallelism 2, issue #18).
 */
import { WeirError } from '../../common/weir-error.ts';
import { KeyWriter, decodeKeyAt, writeKey } from '../key-codec.ts';
import { keyIdentity } from '../key-identity.ts';
import type { KeyContext } from '../keyed/key-context.ts';
import type { KeyedStateStore, StateKeyRef, StoredMapEntry, StoredValue } from '../keyed/keyed-state-store.ts';
import type { ChangeTracker } from '../snapshot/incremental-chain.ts';
import { packValue } from '../value-codec.ts';
import { checkKeySize, decodeStored, encodeStored, groupSidPrefix, rangeEnd } from './lmdb-layout.ts';
import { deleteRange, type BinaryDb } from './lmdb-db.ts';
import { ListLengths } from './lmdb-list-lengths.ts';
import { LmdbValueCache, isPrimitiveValue } from './lmdb-value-cache.ts';

/** A list element missing below the list's length: the layout invariant (file header) was broken. */
function corruptList(seq: number, length: number): WeirError {
  return new WeirError('WEIR_STATE_CORRUPT', `List state element ${seq} of ${length} is missing from LMDB (list elements are stored at 0 … length−1)`, { seq, length });
}

/** A fresh `prefix | seq` key with the list prefix `p` copied in; the caller writes the u32 seq at `p.length`. */
function elementKeyBuffer(p: Buffer): Buffer {
  checkKeySize(p.length + 4); // the prefix alone was checked: at the limit, the sequence number tips it over
  const k = Buffer.allocUnsafe(p.length + 4);
  p.copy(k, 0);
  return k;
}

const MAP_CHUNK = 256;

/** Lists up to this length (when it is known) are read and cleared element by element; longer ones with one range scan. */
const POINT_OPS_MAX = 64;

/** The LMDB store for the current key. */
export class LmdbStateStore implements KeyedStateStore {
  private readonly kw = new KeyWriter(512);
  private prefixVersion = -1;
  private keyLen = 0;
  /** View of `kw.buf[0, 4 + keyLen)` (the value key), rebuilt when the key or buffer changes. */
  private view: Buffer | undefined;
  private readonly valScratch = { buf: Buffer.allocUnsafe(1024) };
  private readonly cache: LmdbValueCache;
  /** Lengths of the lists seen (lmdb-list-lengths.ts); kept up to date by every list write here. */
  private readonly lengths = new ListLengths();
  /** Per state id: reads may return the cached object itself (`shareObjects`); its bytes are made only when LMDB gets it. */
  private readonly shared: boolean[] = [];

  constructor(
    private readonly db: BinaryDb,
    private readonly ctx: KeyContext,
    private readonly chain: ChangeTracker<Set<string>>,
    private readonly kindOf: (sid: number) => 'value' | 'list' | 'map',
    /** Runs `fn` inside a write transaction (joins the running `batch()`, if any). */
    private readonly inTransaction: (fn: () => void) => void,
  ) {
    this.cache = new LmdbValueCache((e) => {
      if (e.deleted) db.removeSync(e.key);
      else db.putSync(e.key, e.bytes ?? encodeStored(packValue(e.v), e.t, this.valScratch));
    });
  }

  /**
   * Writes the cached single values LMDB does not hold yet (in a write transaction); with
   * `clear`, also forgets the cached ones. Whatever reads the database directly calls this first.
   */
  flush(clear = false): void {
    if (this.cache.hasDirty) this.inTransaction(() => this.cache.flush(clear));
    else if (clear) this.cache.clear();
  }

  /** Before a restore writes LMDB underneath: cached values written out and forgotten, list lengths forgotten. */
  forgetAll(): void {
    this.flush(true);
    this.lengths.forget();
  }

  /** The sequence number the next element appended to list `sid` of the current key gets (`p`: its prefix). */
  private nextSeq(sid: number, p: Buffer): number {
    return this.knownLength(sid) ?? this.lastSeq(p) + 1;
  }

  /** The length of list `sid` of the current key, if remembered. */
  private knownLength(sid: number): number | undefined {
    return this.lengths.get(sid, this.ctx.keyId());
  }

  private setNextSeq(sid: number, next: number): void {
    this.lengths.set(sid, this.ctx.keyId(), next);
  }

  shareObjects(sid: number): void {
    this.shared[sid] = true;
  }

  /** Whether the cache keeps `v` of state `sid` as the object itself (primitives always: a copy of one is indistinguishable). */
  private byReference(sid: number, v: unknown): boolean {
    return this.shared[sid] === true || isPrimitiveValue(v);
  }

  /** Writes `kg | sid | key` into the scratch writer; returns the prefix length. */
  prefix(sid: number): number {
    const ctx = this.ctx;
    const kw = this.kw;
    if (this.prefixVersion !== ctx.version) {
      ctx.require();
      kw.reset();
      kw.ensure(4);
      kw.pos = 4;
      writeKey(kw, ctx.key);
      kw.buf.writeUInt16BE(ctx.kg, 0);
      this.keyLen = kw.pos - 4;
      this.prefixVersion = ctx.version;
      this.view = undefined;
      checkKeySize(kw.pos);
    }
    kw.buf.writeUInt16BE(sid, 2);
    kw.pos = 4 + this.keyLen;
    return kw.pos;
  }

  private key(n: number): Buffer {
    return this.kw.buf.subarray(0, n);
  }

  /** The value key of `sid` for the current key (cached view). */
  private valueKey(sid: number): Buffer {
    const n = this.prefix(sid);
    let v = this.view;
    if (v === undefined || v.buffer !== this.kw.buf.buffer || v.byteOffset !== this.kw.buf.byteOffset) v = this.view = this.kw.buf.subarray(0, n);
    return v;
  }

  /** Prefix plus an encoded user key; returns the total length. */
  private mapKey(sid: number, uk: unknown): number {
    this.prefix(sid);
    writeKey(this.kw, uk);
    checkKeySize(this.kw.pos);
    return this.kw.pos;
  }

  private mark(n: number): void {
    const m = this.chain.marks;
    if (m !== undefined) {
      m.add(this.kw.buf.toString('latin1', 0, n));
      this.chain.counted();
    }
  }

  private markPrefix(p: Buffer): void {
    const m = this.chain.marks;
    if (m !== undefined) {
      m.add(p.toString('latin1'));
      this.chain.counted();
    }
  }

  getValue(sid: number): StoredValue | undefined {
    const id = this.ctx.keyId();
    const e = this.cache.get(sid, id);
    if (e !== undefined) return e.deleted ? undefined : e.bytes === null ? e : decodeStored(e.bytes);
    const key = this.valueKey(sid);
    const b = this.db.getBinaryFast(key);
    const stored = b === undefined ? undefined : decodeStored(b);
    this.cache.fill(sid, id, key, stored, b, this.shared[sid] === true);
    if (this.cache.full) this.flush(true);
    return stored;
  }

  putValue(sid: number, v: unknown, t: number): void {
    const asIs = this.byReference(sid, v);
    const kept = asIs ? v : undefined;
    const bytes = asIs ? null : Buffer.from(encodeStored(packValue(v), t, this.valScratch));
    const id = this.ctx.keyId();
    // A key read or written before (the common read-modify-write): its entry holds the LMDB key,
    // so the key is not encoded again (~10 % of a keyed count's subtask, issue #18 profile).
    const e = this.cache.get(sid, id);
    if (e !== undefined) {
      this.cache.rewrite(e, kept, t, bytes, false);
      this.markPrefix(e.key);
      if (bytes !== null && this.cache.full) this.flush(true); // a value that grew can pass the byte bound
      return;
    }
    const key = this.valueKey(sid);
    this.cache.set(sid, id, key, kept, t, bytes, false);
    this.mark(key.length);
    if (this.cache.full) this.flush(true);
  }

  clearKey(sid: number): void {
    const n = this.prefix(sid);
    const p = Buffer.from(this.key(n));
    const kind = this.kindOf(sid);
    if (kind === 'value') this.cache.set(sid, this.ctx.keyId(), p, undefined, NaN, null, true);
    else {
      if (kind === 'map') {
        this.flush();
        this.cache.dropKeyMap(sid, this.ctx.keyId());
      }
      if (kind === 'list') {
        this.removeList(sid, p);
        this.setNextSeq(sid, 0);
      } else deleteRange(this.db, p, rangeEnd(p));
    }
    this.markPrefix(p);
    if (this.cache.full) this.flush(true);
  }

  getList(sid: number): readonly StoredValue[] | undefined {
    const known = this.knownLength(sid);
    if (known === 0) return undefined;
    const n = this.prefix(sid);
    if (known !== undefined && known <= POINT_OPS_MAX) return this.readElements(n, known);
    const p = Buffer.from(this.key(n));
    // Not known: element 0 says whether there is a list at all (the layout invariant above).
    if (known === undefined && this.db.getBinaryFast(this.elementKey(n, 0)) === undefined) {
      this.setNextSeq(sid, 0);
      return undefined;
    }
    const out: StoredValue[] = [];
    for (const { value } of this.db.getRange({ start: p, end: rangeEnd(p) })) out.push(decodeStored(value));
    this.setNextSeq(sid, out.length);
    return out.length === 0 ? undefined : out;
  }

  /** `prefix | seq` in the scratch writer after the `n`-byte prefix; valid until the writer changes. */
  private elementKey(n: number, seq: number): Buffer {
    checkKeySize(n + 4);
    const kw = this.kw;
    kw.pos = n;
    kw.ensure(4);
    kw.buf.writeUInt32BE(seq, n);
    return kw.buf.subarray(0, n + 4);
  }

  /** Elements 0 … length−1 of the list whose prefix is the scratch writer's first `n` bytes, by point reads. */
  private readElements(n: number, length: number): StoredValue[] {
    const out: StoredValue[] = [];
    for (let seq = 0; seq < length; seq++) {
      const b = this.db.getBinaryFast(this.elementKey(n, seq));
      if (b === undefined) throw corruptList(seq, length);
      out.push(decodeStored(b));
    }
    return out;
  }

  /** Removes every element of list `sid` of the current key (`p`: its prefix). */
  private removeList(sid: number, p: Buffer): void {
    const known = this.knownLength(sid);
    if (known === undefined || known > POINT_OPS_MAX) {
      deleteRange(this.db, p, rangeEnd(p));
      return;
    }
    const k = elementKeyBuffer(p);
    for (let seq = 0; seq < known; seq++) {
      k.writeUInt32BE(seq, p.length);
      this.db.removeSync(k);
    }
  }

  private lastSeq(p: Buffer): number {
    // Empty iff element 0 is absent (the layout invariant above): one point read, no cursor.
    const first = elementKeyBuffer(p);
    first.writeUInt32BE(0, p.length);
    if (this.db.getBinaryFast(first) === undefined) return -1;
    for (const k of this.db.getKeys({ start: rangeEnd(p), end: p, reverse: true, limit: 1 })) {
      return (k as Buffer).readUInt32BE(p.length);
    }
    return -1;
  }

  private writeList(p: Buffer, first: number, items: readonly StoredValue[]): void {
    const k = elementKeyBuffer(p);
    for (let i = 0; i < items.length; i++) {
      k.writeUInt32BE(first + i, p.length);
      this.db.putSync(k, encodeStored(packValue(items[i]!.v), items[i]!.t, this.valScratch));
    }
  }

  appendList(sid: number, items: StoredValue[]): void {
    const n = this.prefix(sid);
    const p = Buffer.from(this.key(n));
    const first = this.nextSeq(sid, p);
    if (first - 1 + items.length >= 0xffffffff) {
      // Sequence space exhausted: renumber the whole list from 0.
      const all = [...(this.getList(sid) ?? []), ...items];
      this.removeList(sid, p);
      this.writeList(p, 0, all);
      this.setNextSeq(sid, all.length);
    } else {
      this.writeList(p, first, items);
      this.setNextSeq(sid, first + items.length);
    }
    this.markPrefix(p);
  }

  putList(sid: number, items: StoredValue[]): void {
    const n = this.prefix(sid);
    const p = Buffer.from(this.key(n));
    this.removeList(sid, p);
    this.writeList(p, 0, items);
    this.setNextSeq(sid, items.length);
    this.markPrefix(p);
  }

  getMapEntry(sid: number, uk: unknown): StoredValue | undefined {
    const id = this.ctx.keyId();
    const ukId = keyIdentity(uk);
    const e = this.cache.getMapEntry(sid, id, ukId);
    if (e !== undefined) return e.deleted ? undefined : e.bytes === null ? e : decodeStored(e.bytes);
    const key = this.key(this.mapKey(sid, uk));
    const b = this.db.getBinaryFast(key);
    const stored = b === undefined ? undefined : decodeStored(b);
    this.cache.fillMapEntry(sid, id, ukId, key, stored, b, this.shared[sid] === true);
    if (this.cache.full) this.flush(true);
    return stored;
  }

  putMapEntry(sid: number, uk: unknown, v: unknown, t: number): void {
    const n = this.mapKey(sid, uk);
    const key = this.key(n);
    const id = this.ctx.keyId();
    const ukId = keyIdentity(uk);
    if (this.byReference(sid, v)) this.cache.setMapEntry(sid, id, ukId, key, v, t, null, false);
    else this.cache.setMapEntry(sid, id, ukId, key, undefined, t, Buffer.from(encodeStored(packValue(v), t, this.valScratch)), false);
    this.mark(n);
    if (this.cache.full) this.flush(true);
  }

  removeMapEntry(sid: number, uk: unknown): void {
    const n = this.mapKey(sid, uk);
    const key = this.key(n);
    const id = this.ctx.keyId();
    const ukId = keyIdentity(uk);
    const e = this.cache.getMapEntry(sid, id, ukId);
    // Marked only when there was an entry to remove, as LMDB's removeSync tells.
    const existed = e !== undefined ? !e.deleted : this.db.getBinaryFast(key) !== undefined;
    this.cache.setMapEntry(sid, id, ukId, key, undefined, NaN, null, true);
    if (existed) this.mark(n);
    if (this.cache.full) this.flush(true);
  }

  keysWithState(sid: number): StateKeyRef[] {
    this.flush();
    const out: StateKeyRef[] = [];
    const { start, end } = this.ctx.range;
    const single = this.kindOf(sid) === 'value';
    for (let kg = start; kg <= end; kg++) {
      const gp = groupSidPrefix(kg, sid);
      const gEnd = rangeEnd(gp);
      if (single) {
        // One record per key: one scan.
        for (const k of this.db.getKeys({ start: gp, end: gEnd })) out.push({ kg, key: decodeKeyAt(k as Buffer, 4).value });
        continue;
      }
      // Lists and maps: one seek per key, past all of its elements / entries.
      let from: Buffer = gp;
      for (;;) {
        let next: Buffer | undefined;
        for (const k of this.db.getKeys({ start: from, end: gEnd, limit: 1 })) {
          const { value, end: keyEnd } = decodeKeyAt(k as Buffer, 4);
          out.push({ kg, key: value });
          next = rangeEnd((k as Buffer).subarray(0, keyEnd));
        }
        if (next === undefined) break;
        from = next;
      }
    }
    return out;
  }

  *mapEntries(sid: number): Iterable<StoredMapEntry> {
    const n = this.prefix(sid);
    const p = Buffer.from(this.key(n));
    const end = rangeEnd(p);
    let start: Buffer = p;
    let exclusiveStart = false;
    for (;;) {
      const chunk: StoredMapEntry[] = [];
      let lastKey: Buffer | undefined;
      this.flush(); // before every chunk: the caller may write entries of this map between chunks
      for (const { key, value } of this.db.getRange({ start, end, exclusiveStart, limit: MAP_CHUNK })) {
        const k = key as Buffer;
        const { v, t } = decodeStored(value);
        chunk.push({ k: decodeKeyAt(k, n).value, v, t });
        lastKey = k;
      }
      yield* chunk;
      if (chunk.length < MAP_CHUNK || !lastKey) return;
      start = lastKey;
      exclusiveStart = true;
    }
  }
}
