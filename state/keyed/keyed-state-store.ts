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

/** Raw per-key storage; every method acts on the backend's current key. */
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
}
