/**
 * The storage contract under the state handles: raw reads and writes for the current key, with
 * TTL timestamps (`t`, NaN when the state has no TTL). Implemented by the heap and LMDB stores;
 * `state-handles.ts` builds the user-facing semantics (TTL, defaults, reduce, aggregate) on it,
 * so both backends behave identically.
 */

/** A stored value with its TTL timestamp. */
export interface StoredValue {
  v: unknown;
  t: number;
}

/** A stored map entry (user key, value, TTL timestamp). */
export interface StoredMapEntry {
  k: unknown;
  v: unknown;
  t: number;
}

/** A key holding records of some state: its key group and the key (decoded from canonical bytes). */
export interface StateKeyRef {
  kg: number;
  key: unknown;
}

/** Raw per-key storage; every method but `keysWithState` acts on the backend's current key. */
export interface KeyedStateStore {
  getValue(sid: number): StoredValue | undefined;
  putValue(sid: number, v: unknown, t: number): void;
  /** Removes whatever the key holds in this state (value, list or map). */
  clearKey(sid: number): void;
  /** The stored list (callers must not mutate it) or undefined when empty. */
  getList(sid: number): readonly StoredValue[] | undefined;
  appendList(sid: number, items: StoredValue[]): void;
  /** Replaces the list; an empty array clears it. */
  putList(sid: number, items: StoredValue[]): void;
  getMapEntry(sid: number, uk: unknown): StoredValue | undefined;
  putMapEntry(sid: number, uk: unknown, v: unknown, t: number): void;
  removeMapEntry(sid: number, uk: unknown): void;
  /** Entries of the key's map; tolerant of writes to the same map while iterating. */
  mapEntries(sid: number): Iterable<StoredMapEntry>;
  /**
   * Every key of the store's key-group range holding at least one record of `sid` (TTL not
   * checked), once each: key group ascending, then the store's key order (heap: insertion order
   * of the key-group map, LMDB: canonical key bytes). A fresh array, so callers may write while
   * walking it. Keys are primitives as stored (`-0` as `0`) or composites freshly decoded from
   * their canonical bytes. Never lists timers.
   */
  keysWithState(sid: number): StateKeyRef[];
  /**
   * Reads of `sid` may return the stored object itself (callers write back every object they
   * change; see descriptors.ts `shareStoredObjects`). The heap store always does; optional.
   */
  shareObjects?(sid: number): void;
}
