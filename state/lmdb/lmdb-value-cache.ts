/**
 * A write-back cache in front of LMDB of single-value state (value, reducing, aggregating) per
 * state id and key identity, and of map-state entries per state id, key and user-key identity:
 * read and written without touching LMDB, written to LMDB only when the cache grows past its
 * bound and before anything else reads the database (a snapshot's read transaction, a scan of
 * keys or of a key's map entries, stats, restore, close).
 *
 * Why: a keyed count on LMDB spent ~40 % of its subtask's CPU in lmdb-js per record
 * (bench:throughput click job at parallelism 2, issue #18 profile: getBinaryFast 12 %,
 * writeInstructions 12 %, finishTxn 5 %, resetCursor 4 %, ~1.1 µs per get and per put inside a
 * write transaction); the same key is read and written again and again (10 000 users, 1 M clicks).
 * RocksDB's memtable plays the same role under Flink. Window operators keep each window's contents
 * in a map entry (window-state.ts): one read and one write of the same entry per element.
 *
 * Semantics are LMDB's, not the heap's: entries hold encoded bytes, so every read decodes a fresh
 * copy (mutating a value without `update()` changes nothing, as before). The working copy needs no
 * durability (checkpoints provide it), so dirty entries may stay in memory across batches; what a
 * snapshot must see is flushed at its sync point (lmdb-keyed-state-backend.ts `openSnapshotView`).
 */

/**
 * One cached value key. A primitive value (number, string, boolean, bigint, null) is kept as is —
 * a read of it cannot differ from a freshly decoded copy — and encoded only when written to LMDB;
 * so is any value of a state that shares stored objects (descriptors.ts `shareStoredObjects`: its
 * owner writes back every object it changes); any other value is kept as its stored bytes. The
 * entry itself is the `StoredValue` a read of a value kept as is returns (`v`, `t`).
 */
export interface CacheEntry {
  readonly key: Buffer;
  v: unknown;
  t: number;
  /** The stored bytes (`encodeStored`) of a value that is not primitive; null for primitives. */
  bytes: Buffer | null;
  deleted: boolean;
  /** LMDB does not hold this entry's state yet. */
  dirty: boolean;
}

/** Values a cache entry keeps by reference (immutable, so a shared copy is indistinguishable from a decoded one). */
export function isPrimitiveValue(v: unknown): v is number | string | boolean | bigint | null {
  const t = typeof v;
  return t === 'number' || t === 'string' || t === 'boolean' || t === 'bigint' || v === null;
}

/** Entries kept before everything is written out and the cache starts empty again. */
export const VALUE_CACHE_MAX_ENTRIES = 65_536;

/**
 * Stored bytes (values kept as bytes, and their keys) kept before the same happens: with large
 * values the entry bound alone let one subtask's cache reach ~1 GiB (65 536 × 16 KiB values, a
 * bounds review). Values kept as objects (primitives, `shareStoredObjects` states) are not counted.
 */
export const VALUE_CACHE_MAX_BYTES = 64 * 1024 * 1024;

export class LmdbValueCache {
  /** Per state id: key identity → entry. */
  private readonly bySid: Array<Map<unknown, CacheEntry> | undefined> = [];
  /** Per map state id: key identity → user-key identity → entry. */
  private readonly mapsBySid: Array<Map<unknown, Map<unknown, CacheEntry>> | undefined> = [];
  private size = 0;
  /** Bytes of the entries' stored values and keys (see VALUE_CACHE_MAX_BYTES). */
  private bytesHeld = 0;
  private dirtyCount = 0;

  constructor(
    /** Writes one entry to LMDB (a put or, if `deleted`, a delete); called inside a write transaction. */
    private readonly write: (e: CacheEntry) => void,
    private readonly maxEntries = VALUE_CACHE_MAX_ENTRIES,
    private readonly maxBytes = VALUE_CACHE_MAX_BYTES,
  ) {}

  /** The cached entry of (sid, key identity), if any. */
  get(sid: number, id: unknown): CacheEntry | undefined {
    return this.bySid[sid]?.get(id);
  }

  /** The cached map entry of (sid, key identity, user-key identity), if any. */
  getMapEntry(sid: number, id: unknown, ukId: unknown): CacheEntry | undefined {
    return this.mapsBySid[sid]?.get(id)?.get(ukId);
  }

  /** The cached map entries of one key (the owner writes them out first), forgotten: LMDB's range is about to change underneath. */
  dropKeyMap(sid: number, id: unknown): void {
    const m = this.mapsBySid[sid]?.get(id);
    if (m === undefined) return;
    for (const e of m.values()) {
      if (e.dirty) throw new Error('LmdbValueCache.dropKeyMap: flush first');
      this.bytesHeld -= e.key.length + (e.bytes?.length ?? 0);
    }
    this.size -= m.size;
    this.mapsBySid[sid]!.delete(id);
  }

  /**
   * Caches what LMDB holds for a key (a clean entry: `stored` decoded, `raw` its bytes or undefined
   * when absent), so the next read skips LMDB. `raw` may be lmdb-js's reused read buffer: its
   * `length` is the value's, copied with that explicit end. `keepObject`: keep the decoded value
   * itself, not its bytes (a state sharing stored objects).
   */
  fill(sid: number, id: unknown, key: Uint8Array, stored: { v: unknown; t: number } | undefined, raw: Buffer | undefined, keepObject = false): void {
    this.map(sid).set(id, this.entry(key, stored, raw, keepObject));
    this.size++;
  }

  /** {@link fill} for a map entry (`ukId`: the user key's identity). */
  fillMapEntry(sid: number, id: unknown, ukId: unknown, key: Uint8Array, stored: { v: unknown; t: number } | undefined, raw: Buffer | undefined, keepObject = false): void {
    this.keyMap(sid, id).set(ukId, this.entry(key, stored, raw, keepObject));
    this.size++;
  }

  private entry(key: Uint8Array, stored: { v: unknown; t: number } | undefined, raw: Buffer | undefined, keepObject: boolean): CacheEntry {
    let bytes: Buffer | null = null;
    if (raw !== undefined && !keepObject && !isPrimitiveValue(stored!.v)) {
      bytes = Buffer.allocUnsafe(raw.length);
      bytes.set(new Uint8Array(raw.buffer, raw.byteOffset, raw.length)); // not raw.copy(): it bounds by byteLength
    }
    this.bytesHeld += key.length + (bytes?.length ?? 0);
    return { key: Buffer.from(key), v: stored?.v, t: stored?.t ?? NaN, bytes, deleted: stored === undefined, dirty: false };
  }

  /** Records a write of a key — a primitive `v`, or the stored `bytes` of any other value, or a delete; LMDB gets it at the next flush. */
  set(sid: number, id: unknown, key: Uint8Array, v: unknown, t: number, bytes: Buffer | null, deleted: boolean): void {
    this.setIn(this.map(sid), id, key, v, t, bytes, deleted);
  }

  /** {@link set} for a map entry (`ukId`: the user key's identity). */
  setMapEntry(sid: number, id: unknown, ukId: unknown, key: Uint8Array, v: unknown, t: number, bytes: Buffer | null, deleted: boolean): void {
    this.setIn(this.keyMap(sid, id), ukId, key, v, t, bytes, deleted);
  }

  private setIn(m: Map<unknown, CacheEntry>, id: unknown, key: Uint8Array, v: unknown, t: number, bytes: Buffer | null, deleted: boolean): void {
    const e = m.get(id);
    if (e === undefined) {
      m.set(id, { key: Buffer.from(key), v, t, bytes, deleted, dirty: true });
      this.bytesHeld += key.length + (bytes?.length ?? 0);
      this.size++;
      this.dirtyCount++;
      return;
    }
    this.rewrite(e, v, t, bytes, deleted);
  }

  /** {@link set} of an entry this cache returned (`get`/`getMapEntry`): no key to build or look up. */
  rewrite(e: CacheEntry, v: unknown, t: number, bytes: Buffer | null, deleted: boolean): void {
    this.bytesHeld += (bytes?.length ?? 0) - (e.bytes?.length ?? 0);
    e.v = v;
    e.t = t;
    e.bytes = bytes;
    e.deleted = deleted;
    if (!e.dirty) {
      e.dirty = true;
      this.dirtyCount++;
    }
  }

  /** True when the cache is over its bound (the owner flushes and clears it inside a write transaction). */
  get full(): boolean {
    return this.size > this.maxEntries || this.bytesHeld > this.maxBytes;
  }

  /** Bytes of stored values and keys held (tests, the bound). */
  get heldBytes(): number {
    return this.bytesHeld;
  }

  get hasDirty(): boolean {
    return this.dirtyCount > 0;
  }

  /** Writes every dirty entry (inside a write transaction); with `clear`, forgets every entry. */
  flush(clear: boolean): void {
    if (this.dirtyCount > 0) {
      for (const m of this.bySid) if (m !== undefined) this.flushMap(m);
      for (const byKey of this.mapsBySid) if (byKey !== undefined) for (const m of byKey.values()) this.flushMap(m);
      this.dirtyCount = 0;
    }
    if (clear) this.clear();
  }

  private flushMap(m: Map<unknown, CacheEntry>): void {
    for (const e of m.values()) {
      if (!e.dirty) continue;
      this.write(e);
      e.dirty = false;
    }
  }

  /** Forgets every entry, written or not (a restore rewrites the database underneath). */
  clear(): void {
    this.bySid.length = 0;
    this.mapsBySid.length = 0;
    this.size = 0;
    this.bytesHeld = 0;
    this.dirtyCount = 0;
  }

  private keyMap(sid: number, id: unknown): Map<unknown, CacheEntry> {
    let byKey = this.mapsBySid[sid];
    if (byKey === undefined) byKey = this.mapsBySid[sid] = new Map();
    let m = byKey.get(id);
    if (m === undefined) byKey.set(id, (m = new Map()));
    return m;
  }

  private map(sid: number): Map<unknown, CacheEntry> {
    let m = this.bySid[sid];
    if (m === undefined) m = this.bySid[sid] = new Map();
    return m;
  }
}
