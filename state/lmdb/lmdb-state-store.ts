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
 */
import type { Database } from 'lmdb';
import { KeyWriter, decodeKeyAt, writeKey } from '../key-codec.ts';
import { keyIdentity } from '../key-identity.ts';
import type { KeyContext } from '../keyed/key-context.ts';
import type { KeyedStateStore, StateKeyRef, StoredMapEntry, StoredValue } from '../keyed/keyed-state-store.ts';
import type { ChangeTracker } from '../snapshot/incremental-chain.ts';
import { packValue } from '../value-codec.ts';
import { checkKeySize, decodeStored, encodeStored, groupSidPrefix, rangeEnd } from './lmdb-layout.ts';
import { LmdbValueCache, isPrimitiveValue } from './lmdb-value-cache.ts';

/** LMDB database with binary keys and values. */
export type BinaryDb = Database<Buffer, Buffer>;

/**
 * Reads a value into lmdb's reused buffer, valid until the next read. Its `length` property is
 * the value's size but `byteLength` is the whole buffer: index with explicit ends, never
 * `subarray(start)` without an end.
 */
export function fastGet(db: BinaryDb, key: Buffer, txn?: unknown): Buffer | undefined {
  // lmdb's typings omit getBinaryFast's options argument; the implementation honours `transaction`.
  return txn ? (getBinaryFast.call(db, key, { transaction: txn }) as Buffer | undefined) : db.getBinaryFast(key);
}

type GetBinaryFast = (this: BinaryDb, k: Buffer, o?: { transaction: unknown }) => Buffer | undefined;
let getBinaryFast: GetBinaryFast;

/** Deletes every record in `[start, end)`; returns how many. */
export function deleteRange(db: BinaryDb, start: Buffer, end: Buffer): number {
  const keys = [...db.getKeys({ start, end })] as Buffer[];
  for (const k of keys) db.removeSync(k);
  return keys.length;
}

const MAP_CHUNK = 256;

/** Lists whose next sequence number is remembered before the memory is dropped and read again from LMDB. */
const LIST_NEXT_MAX = 65_536;

/** The LMDB store for the current key. */
export class LmdbStateStore implements KeyedStateStore {
  private readonly kw = new KeyWriter(512);
  private prefixVersion = -1;
  private keyLen = 0;
  /** View of `kw.buf[0, 4 + keyLen)` (the value key), rebuilt when the key or buffer changes. */
  private view: Buffer | undefined;
  private readonly valScratch = { buf: Buffer.allocUnsafe(1024) };
  private readonly cache: LmdbValueCache;
  /**
   * Per list state id: key identity → the sequence number its next appended element gets (what a
   * reverse range read for the last one would give, plus one; 0: the list is empty). Appending
   * read it from LMDB every time: ~13 % of Nexmark q4's join subtask in cursor work (issue #18
   * profile), and an empty list's `get` needs no range read either. Kept up to date by every list
   * write here; forgotten on restore (`forgetAll`) and past {@link LIST_NEXT_MAX} lists.
   */
  private readonly listNext: Array<Map<unknown, number> | undefined> = [];
  private listNextCount = 0;
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
    getBinaryFast ??= db.getBinaryFast as unknown as GetBinaryFast;
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
    this.forgetListLengths();
  }

  private forgetListLengths(): void {
    this.listNext.length = 0;
    this.listNextCount = 0;
  }

  /** The sequence number the next element appended to list `sid` of the current key gets (`p`: its prefix). */
  private nextSeq(sid: number, p: Buffer): number {
    return this.listNext[sid]?.get(this.ctx.keyId()) ?? this.lastSeq(p) + 1;
  }

  private setNextSeq(sid: number, next: number): void {
    const id = this.ctx.keyId();
    let m = this.listNext[sid];
    if (m === undefined) m = this.listNext[sid] = new Map();
    if (!m.has(id) && ++this.listNextCount > LIST_NEXT_MAX) {
      this.forgetListLengths();
      m = this.listNext[sid] = new Map();
      this.listNextCount = 1;
    }
    m.set(id, next);
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
      deleteRange(this.db, p, rangeEnd(p));
      if (kind === 'list') this.setNextSeq(sid, 0);
    }
    this.markPrefix(p);
    if (this.cache.full) this.flush(true);
  }

  getList(sid: number): readonly StoredValue[] | undefined {
    if (this.listNext[sid]?.get(this.ctx.keyId()) === 0) return undefined; // known empty
    const n = this.prefix(sid);
    const p = Buffer.from(this.key(n));
    const out: StoredValue[] = [];
    for (const { value } of this.db.getRange({ start: p, end: rangeEnd(p) })) out.push(decodeStored(value));
    return out.length === 0 ? undefined : out;
  }

  private lastSeq(p: Buffer): number {
    for (const k of this.db.getKeys({ start: rangeEnd(p), end: p, reverse: true, limit: 1 })) {
      return (k as Buffer).readUInt32BE(p.length);
    }
    return -1;
  }

  private writeList(p: Buffer, first: number, items: readonly StoredValue[]): void {
    const k = Buffer.allocUnsafe(p.length + 4);
    p.copy(k, 0);
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
      deleteRange(this.db, p, rangeEnd(p));
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
    deleteRange(this.db, p, rangeEnd(p));
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
