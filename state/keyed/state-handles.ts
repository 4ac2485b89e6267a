/**
 * The five keyed-state handles, written once over {@link KeyedStateStore} so heap and LMDB share
 * every semantic: TTL (expired values are never returned and are deleted when seen), TTL update
 * types, ValueState defaults, ReducingState folding and AggregatingState accumulators.
 */
import { WeirError, preview } from '../../common/weir-error.ts';
import type { Clock } from '../../common/clock.ts';
import type {
  AggregateFunction,
  AnyStateDescriptor,
  StateTtlConfig,
} from '../descriptors.ts';
import type { AggregatingState, ListState, MapState, ReducingState, ValueState } from '../state-types.ts';
import type { KeyedStateStore, StoredValue } from './keyed-state-store.ts';

/** TTL decisions for one state. */
class Ttl {
  readonly enabled: boolean;
  readonly ttlMs: number;
  readonly refreshOnRead: boolean;

  constructor(cfg: StateTtlConfig | undefined, private readonly clock: Clock) {
    this.enabled = cfg !== undefined;
    this.ttlMs = cfg?.ttlMs ?? 0;
    this.refreshOnRead = cfg?.updateType === 'on-read-and-write';
  }

  /** Timestamp to store with a write. */
  stamp(): number {
    return this.enabled ? this.clock.now() : Number.NaN;
  }

  now(): number {
    return this.enabled ? this.clock.now() : Number.NaN;
  }

  expired(t: number, now: number): boolean {
    return this.enabled && t + this.ttlMs <= now;
  }
}

/** `what` reads before the state's name: 'A value added to' → 'A value added to state "x" …'. */
function rejectUndefined(what: string, name: string, v: unknown): void {
  if (v === undefined) throw new WeirError('WEIR_INVALID_STATE_VALUE', `${what} state "${name}" must not be undefined`, { name });
}

/** A reduce / aggregate function of a state that returned a Promise: state functions are synchronous. */
function rejectThenable<V>(what: string, name: string, v: V): V {
  if (v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function') {
    throw new WeirError('WEIR_ASYNC_USER_FUNCTION', `The ${what} function of state "${name}" returned a Promise: state functions must be synchronous (its result would be stored as a Promise)`, { name });
  }
  return v;
}

class ValueStateHandle<T> implements ValueState<T> {
  constructor(
    private readonly store: KeyedStateStore,
    private readonly sid: number,
    private readonly ttl: Ttl,
    private readonly defaultValue: T | undefined,
  ) {}

  value(): T | undefined {
    const e = this.store.getValue(this.sid);
    if (e === undefined) return this.defaultValue;
    if (this.ttl.enabled) {
      const now = this.ttl.now();
      if (this.ttl.expired(e.t, now)) {
        this.store.clearKey(this.sid);
        return this.defaultValue;
      }
      if (this.ttl.refreshOnRead) this.store.putValue(this.sid, e.v, now);
    }
    return e.v as T;
  }

  update(v: T): void {
    if (v === undefined) this.store.clearKey(this.sid);
    else this.store.putValue(this.sid, v, this.ttl.stamp());
  }

  clear(): void {
    this.store.clearKey(this.sid);
  }
}

/** Reads a live (unexpired) single value, refreshing / deleting as TTL demands. */
function readLive(store: KeyedStateStore, sid: number, ttl: Ttl, refresh: boolean): StoredValue | undefined {
  const e = store.getValue(sid);
  if (e === undefined || !ttl.enabled) return e;
  const now = ttl.now();
  if (ttl.expired(e.t, now)) {
    store.clearKey(sid);
    return undefined;
  }
  if (refresh && ttl.refreshOnRead) store.putValue(sid, e.v, now);
  return e;
}

class ReducingStateHandle<T> implements ReducingState<T> {
  constructor(
    private readonly store: KeyedStateStore,
    private readonly sid: number,
    private readonly ttl: Ttl,
    private readonly reduce: (a: T, b: T) => T,
    private readonly name: string,
  ) {}

  get(): T | undefined {
    return readLive(this.store, this.sid, this.ttl, true)?.v as T | undefined;
  }

  add(v: T): void {
    rejectUndefined('A value added to', this.name, v);
    const cur = readLive(this.store, this.sid, this.ttl, false);
    this.store.putValue(this.sid, cur === undefined ? v : rejectThenable('reduce', this.name, this.reduce(cur.v as T, v)), this.ttl.stamp());
  }

  clear(): void {
    this.store.clearKey(this.sid);
  }
}

class AggregatingStateHandle<IN, ACC, OUT> implements AggregatingState<IN, OUT> {
  constructor(
    private readonly store: KeyedStateStore,
    private readonly sid: number,
    private readonly ttl: Ttl,
    private readonly agg: AggregateFunction<IN, ACC, OUT>,
    private readonly name: string,
  ) {}

  get(): OUT | undefined {
    const e = readLive(this.store, this.sid, this.ttl, true);
    return e === undefined ? undefined : this.agg.getResult(e.v as ACC);
  }

  add(v: IN): void {
    const cur = readLive(this.store, this.sid, this.ttl, false);
    const acc = cur === undefined ? rejectThenable('createAccumulator', this.name, this.agg.createAccumulator()) : (cur.v as ACC);
    this.store.putValue(this.sid, rejectThenable('add', this.name, this.agg.add(v, acc)), this.ttl.stamp());
  }

  clear(): void {
    this.store.clearKey(this.sid);
  }
}

class ListStateHandle<T> implements ListState<T> {
  constructor(
    private readonly store: KeyedStateStore,
    private readonly sid: number,
    private readonly ttl: Ttl,
    private readonly name: string,
  ) {}

  get(): T[] {
    const items = this.store.getList(this.sid);
    if (items === undefined) return [];
    if (!this.ttl.enabled) return items.map((e) => e.v as T);
    const now = this.ttl.now();
    const alive = items.filter((e) => !this.ttl.expired(e.t, now));
    if (this.ttl.refreshOnRead) {
      this.store.putList(this.sid, alive.map((e) => ({ v: e.v, t: now })));
    } else if (alive.length !== items.length) {
      this.store.putList(this.sid, alive.slice());
    }
    return alive.map((e) => e.v as T);
  }

  private items(vs: readonly T[]): StoredValue[] {
    if (!Array.isArray(vs)) throw new WeirError('WEIR_INVALID_STATE_VALUE', `ListState "${this.name}" expects an array, got ${preview(vs)}`, { name: this.name });
    const t = this.ttl.stamp();
    return vs.map((v) => {
      rejectUndefined('An element of list', this.name, v);
      return { v, t };
    });
  }

  add(v: T): void {
    rejectUndefined('An element of list', this.name, v);
    this.store.appendList(this.sid, [{ v, t: this.ttl.stamp() }]);
  }

  addAll(vs: T[]): void {
    const items = this.items(vs);
    if (items.length > 0) this.store.appendList(this.sid, items);
  }

  update(vs: T[]): void {
    this.store.putList(this.sid, this.items(vs));
  }

  clear(): void {
    this.store.clearKey(this.sid);
  }
}

class MapStateHandle<K, V> implements MapState<K, V> {
  constructor(
    private readonly store: KeyedStateStore,
    private readonly sid: number,
    private readonly ttl: Ttl,
    private readonly name: string,
  ) {}

  get(k: K): V | undefined {
    const e = this.store.getMapEntry(this.sid, k);
    if (e === undefined) return undefined;
    if (this.ttl.enabled) {
      const now = this.ttl.now();
      if (this.ttl.expired(e.t, now)) {
        this.store.removeMapEntry(this.sid, k);
        return undefined;
      }
      if (this.ttl.refreshOnRead) this.store.putMapEntry(this.sid, k, e.v, now);
    }
    return e.v as V;
  }

  put(k: K, v: V): void {
    rejectUndefined('A map value of', this.name, v);
    this.store.putMapEntry(this.sid, k, v, this.ttl.stamp());
  }

  putAll(entries: Iterable<[K, V]> | Record<string, V>): void {
    if (entries === null || typeof entries !== 'object') {
      throw new WeirError('WEIR_INVALID_STATE_VALUE', `putAll of map state "${this.name}" needs an iterable of [key, value] pairs or an object, got ${preview(entries)}`, { name: this.name });
    }
    const it: Iterable<[K, V]> =
      entries != null && typeof (entries as Iterable<[K, V]>)[Symbol.iterator] === 'function'
        ? (entries as Iterable<[K, V]>)
        : (Object.entries(entries as Record<string, V>) as unknown as Iterable<[K, V]>);
    for (const [k, v] of it) this.put(k, v);
  }

  remove(k: K): void {
    this.store.removeMapEntry(this.sid, k);
  }

  contains(k: K): boolean {
    return this.get(k) !== undefined;
  }

  *entries(): IterableIterator<[K, V]> {
    const now = this.ttl.now();
    for (const e of this.store.mapEntries(this.sid)) {
      if (this.ttl.enabled) {
        if (this.ttl.expired(e.t, now)) {
          this.store.removeMapEntry(this.sid, e.k);
          continue;
        }
        if (this.ttl.refreshOnRead) this.store.putMapEntry(this.sid, e.k, e.v, now);
      }
      yield [e.k as K, e.v as V];
    }
  }

  *keys(): IterableIterator<K> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): IterableIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  isEmpty(): boolean {
    for (const _ of this.entries()) return false;
    return true;
  }

  clear(): void {
    this.store.clearKey(this.sid);
  }
}

/** Builds the handle for a registered descriptor. */
export function createStateHandle(store: KeyedStateStore, sid: number, d: AnyStateDescriptor, clock: Clock): unknown {
  const ttl = new Ttl(d.ttl, clock);
  switch (d.kind) {
    case 'value':
      return new ValueStateHandle(store, sid, ttl, d.defaultValue);
    case 'list':
      return new ListStateHandle(store, sid, ttl, d.name);
    case 'map':
      return new MapStateHandle(store, sid, ttl, d.name);
    case 'reducing':
      return new ReducingStateHandle(store, sid, ttl, d.reduce, d.name);
    case 'aggregating':
      return new AggregatingStateHandle(store, sid, ttl, d.agg, d.name);
  }
}
