/**
 * User-facing keyed-state handles. All calls are synchronous (like Flink's `processElement`) and
 * act on the backend's current key (`setCurrentKey`); calling them with no current key throws
 * `WEIR_NO_CURRENT_KEY`.
 *
 * Values are anything msgpack round-trips (JSON values, Date, Uint8Array, Map, Set, bigint).
 * The LMDB backend returns fresh copies; the heap backend returns the stored object itself
 * (like Flink's heap backend): do not mutate an object after handing it to `update`/`add`/`put`
 * unless you write it back, and never keep it across calls.
 */

/** A single value per key. `update(undefined)` clears it. */
export interface ValueState<T> {
  value(): T | undefined;
  update(v: T): void;
  clear(): void;
}

/** A list per key; `get()` returns a new array (empty when nothing is stored). Elements must not be `undefined`. */
export interface ListState<T> {
  get(): T[];
  add(v: T): void;
  addAll(vs: T[]): void;
  update(vs: T[]): void;
  clear(): void;
}

/**
 * A map per key. Iteration order is unspecified (heap: insertion order, LMDB: encoded key order).
 * Values must not be `undefined`.
 */
export interface MapState<K, V> {
  get(k: K): V | undefined;
  put(k: K, v: V): void;
  putAll(entries: Iterable<[K, V]> | Record<string, V>): void;
  remove(k: K): void;
  contains(k: K): boolean;
  entries(): IterableIterator<[K, V]>;
  keys(): IterableIterator<K>;
  values(): IterableIterator<V>;
  isEmpty(): boolean;
  clear(): void;
}

/** Values folded with the descriptor's reduce function. */
export interface ReducingState<T> {
  get(): T | undefined;
  add(v: T): void;
  clear(): void;
}

/** Values folded into an accumulator; `get()` returns `getResult(acc)`. */
export interface AggregatingState<IN, OUT> {
  get(): OUT | undefined;
  add(v: IN): void;
  clear(): void;
}
