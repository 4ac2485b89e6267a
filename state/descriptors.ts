/**
 * State descriptors: a name (unique per operator), the kind of state and its options.
 *
 * Handing a descriptor to `KeyedStateBackend.getState` returns the matching handle. Registering
 * one name with two kinds (or two TTL configurations) fails with `WEIR_STATE_DESCRIPTOR_CONFLICT`.
 */
import { WeirError } from '../common/weir-error.ts';

/**
 * Time-to-live of keyed state (processing time, from the backend's clock). Expired values are
 * never returned; they are deleted lazily and dropped from snapshots and restores.
 * List state expires per element, map state per entry, the other kinds per key.
 */
export interface StateTtlConfig {
  /** Lifetime in milliseconds after the last refresh; must be > 0. */
  ttlMs: number;
  /** What refreshes the timestamp: writes only (default, Flink's OnCreateAndWrite) or reads too. */
  updateType?: 'on-create-and-write' | 'on-read-and-write';
}

/** The kinds of keyed state. */
export type StateKind = 'value' | 'list' | 'map' | 'reducing' | 'aggregating';

/** The reduce/aggregate contract of {@link AggregatingStateDescriptor}. */
export interface AggregateFunction<IN, ACC, OUT> {
  createAccumulator(): ACC;
  add(value: IN, acc: ACC): ACC;
  getResult(acc: ACC): OUT;
}

function checkName(name: string): void {
  if (typeof name !== 'string' || name.length === 0 || name.length > 512) {
    throw new WeirError('WEIR_INVALID_STATE_DESCRIPTOR', `State name must be a non-empty string of at most 512 characters, got ${JSON.stringify(name)}`, { name });
  }
}

function checkTtl(name: string, ttl: StateTtlConfig | undefined): StateTtlConfig | undefined {
  if (ttl === undefined) return undefined;
  if (!(typeof ttl.ttlMs === 'number' && ttl.ttlMs > 0 && Number.isFinite(ttl.ttlMs))) {
    throw new WeirError('WEIR_INVALID_STATE_DESCRIPTOR', `State "${name}": ttl.ttlMs must be a positive finite number of milliseconds, got ${ttl.ttlMs}`, { name, ttl });
  }
  const updateType = ttl.updateType ?? 'on-create-and-write';
  if (updateType !== 'on-create-and-write' && updateType !== 'on-read-and-write') {
    throw new WeirError('WEIR_INVALID_STATE_DESCRIPTOR', `State "${name}": unknown ttl.updateType ${JSON.stringify(updateType)}`, { name, ttl });
  }
  return Object.freeze({ ttlMs: ttl.ttlMs, updateType });
}

/** Describes a {@link ValueState}. `defaultValue` is returned (as is, not copied) when the key has no value. */
export class ValueStateDescriptor<T> {
  readonly kind = 'value' as const;
  readonly defaultValue: T | undefined;
  readonly ttl: StateTtlConfig | undefined;
  constructor(readonly name: string, opts: { defaultValue?: T; ttl?: StateTtlConfig } = {}) {
    checkName(name);
    this.defaultValue = opts.defaultValue;
    this.ttl = checkTtl(name, opts.ttl);
  }
}

/** Describes a {@link ListState}. */
export class ListStateDescriptor<T> {
  readonly kind = 'list' as const;
  readonly ttl: StateTtlConfig | undefined;
  declare readonly __element?: T;
  constructor(readonly name: string, opts: { ttl?: StateTtlConfig } = {}) {
    checkName(name);
    this.ttl = checkTtl(name, opts.ttl);
  }
}

/** Describes a {@link MapState}; user keys follow the same rules as stream keys (see `keyHash`). */
export class MapStateDescriptor<K, V> {
  readonly kind = 'map' as const;
  readonly ttl: StateTtlConfig | undefined;
  declare readonly __entry?: [K, V];
  constructor(readonly name: string, opts: { ttl?: StateTtlConfig } = {}) {
    checkName(name);
    this.ttl = checkTtl(name, opts.ttl);
  }
}

/** Describes a {@link ReducingState}: `reduce(previous, added)` folds added values. */
export class ReducingStateDescriptor<T> {
  readonly kind = 'reducing' as const;
  readonly ttl: StateTtlConfig | undefined;
  constructor(readonly name: string, readonly reduce: (a: T, b: T) => T, opts: { ttl?: StateTtlConfig } = {}) {
    checkName(name);
    if (typeof reduce !== 'function') {
      throw new WeirError('WEIR_INVALID_STATE_DESCRIPTOR', `State "${name}": reduce must be a function`, { name });
    }
    this.ttl = checkTtl(name, opts.ttl);
  }
}

/** Describes an {@link AggregatingState}: the accumulator is stored, `getResult` is applied on read. */
export class AggregatingStateDescriptor<IN, ACC, OUT> {
  readonly kind = 'aggregating' as const;
  readonly ttl: StateTtlConfig | undefined;
  constructor(readonly name: string, readonly agg: AggregateFunction<IN, ACC, OUT>, opts: { ttl?: StateTtlConfig } = {}) {
    checkName(name);
    if (!agg || typeof agg.createAccumulator !== 'function' || typeof agg.add !== 'function' || typeof agg.getResult !== 'function') {
      throw new WeirError('WEIR_INVALID_STATE_DESCRIPTOR', `State "${name}": agg must have createAccumulator, add and getResult functions`, { name });
    }
    this.ttl = checkTtl(name, opts.ttl);
  }
}

/** Any keyed-state descriptor. */
export type AnyStateDescriptor =
  | ValueStateDescriptor<any>
  | ListStateDescriptor<any>
  | MapStateDescriptor<any, any>
  | ReducingStateDescriptor<any>
  | AggregatingStateDescriptor<any, any, any>;

/**
 * Descriptors whose reads may return the stored object itself on every backend (the heap
 * backend's semantics; LMDB keeps the object in its write-back cache instead of its bytes).
 * Runtime-internal, not exported from the package: for state the runtime owns, whose objects it
 * never changes without writing them back and never hands out while they stay in state — the
 * window operator's contents (window-state.ts). Why: on LMDB a process window's element list was
 * decoded and encoded whole for every element added, O(n²) per window (4 keys × 10 000 elements
 * in one window took 149 s on LMDB, 1.0 s on the heap).
 */
const sharedObjectStates = new WeakSet<AnyStateDescriptor>();

/** Marks `d` as a state whose reads may share the stored object (see {@link sharesStoredObjects}). */
export function shareStoredObjects<D extends AnyStateDescriptor>(d: D): D {
  sharedObjectStates.add(d);
  return d;
}

/** Whether reads of `d` may return the stored object itself on every backend. */
export function sharesStoredObjects(d: AnyStateDescriptor): boolean {
  return sharedObjectStates.has(d);
}
