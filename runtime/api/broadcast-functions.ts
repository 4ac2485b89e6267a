/**
 * Broadcast state (Flink's "broadcast state pattern"): user-facing types of
 * `stream.broadcast(descriptor)` and `keyed.connect(broadcastStream).process(fn)`.
 *
 * Every record of the broadcast stream reaches every subtask of the operator, which keeps it in
 * **broadcast state**: map-like state per descriptor, the same on every subtask as long as the
 * function updates it the same way for the same broadcast records (deterministically, from the
 * record alone: not from keyed state, the subtask index or the clock). Only the broadcast side may
 * write it; the other input reads it. The order in which a subtask sees records of the two inputs
 * is not defined (as in Flink): use event time (timers) when a record must see every rule up to
 * its timestamp.
 *
 * Like every Weir user function these are synchronous: returning a Promise fails the job with
 * `WEIR_ASYNC_USER_FUNCTION`.
 */
import type { MapStateDescriptor, ValueStateDescriptor, ListStateDescriptor, ReducingStateDescriptor, AggregatingStateDescriptor } from '../../state/index.ts';
import type { ValueState, ListState, MapState, ReducingState, AggregatingState } from '../../state/index.ts';
import type { Collector, KeyedProcessContext, OnTimerContext, RuntimeContext } from './functions.ts';
import type { CoRuntimeContext } from './two-input-functions.ts';
import type { OutputTag } from './output-tag.ts';

/**
 * Broadcast state as the non-broadcast side sees it (Flink's `ReadOnlyBroadcastState`).
 * Values are the stored objects themselves: do not mutate them (the other subtasks would not see
 * the change, and a restore would not have it). Writing methods throw
 * `WEIR_BROADCAST_STATE_READ_ONLY`.
 */
export interface ReadOnlyBroadcastState<K, V> {
  get(key: K): V | undefined;
  contains(key: K): boolean;
  /** Entries in insertion order. */
  entries(): IterableIterator<[K, V]>;
  keys(): IterableIterator<K>;
  values(): IterableIterator<V>;
  readonly size: number;
  isEmpty(): boolean;
}

/**
 * Broadcast state as the broadcast side sees it (Flink's `BroadcastState`): read and write.
 * Keys follow the rules of stream keys (numbers, strings, bigints, booleans, arrays and plain
 * objects of those; compared by value); values are anything keyed state can store.
 */
export interface BroadcastState<K, V> extends ReadOnlyBroadcastState<K, V> {
  put(key: K, value: V): void;
  putAll(entries: Iterable<[K, V]>): void;
  remove(key: K): void;
  clear(): void;
}

/** What both contexts of a broadcast function offer. */
interface BroadcastBaseContext {
  /** Event timestamp of the element, if timestamps were assigned. */
  timestamp(): number | undefined;
  /** Processing time of the subtask's clock (epoch ms). */
  currentProcessingTime(): number;
  /** Current event-time watermark of the subtask: the minimum over both inputs (−Infinity before the first). */
  currentWatermark(): number;
  /** Emit `value` to the side output `tag` (with the element's timestamp); read it with `getSideOutput(tag)`. */
  output<X>(tag: OutputTag<X>, value: X): void;
}

/** Context of `processElement` (the non-broadcast input): broadcast state is read-only here. */
export interface BroadcastReadOnlyContext extends BroadcastBaseContext {
  getBroadcastState<K, V>(descriptor: MapStateDescriptor<K, V>): ReadOnlyBroadcastState<K, V>;
}

/** Context of `processBroadcastElement`: broadcast state is writable here. */
export interface BroadcastContext extends BroadcastBaseContext {
  getBroadcastState<K, V>(descriptor: MapStateDescriptor<K, V>): BroadcastState<K, V>;
}

/** Keyed state of one key, as `applyToKeyedState` hands it over. */
export type KeyedStateOf<D> =
  D extends ValueStateDescriptor<infer T> ? ValueState<T>
    : D extends ListStateDescriptor<infer T> ? ListState<T>
      : D extends MapStateDescriptor<infer K, infer V> ? MapState<K, V>
        : D extends ReducingStateDescriptor<infer T> ? ReducingState<T>
          : D extends AggregatingStateDescriptor<infer IN, any, infer OUT> ? AggregatingState<IN, OUT>
            : never;

/** Context of `processBroadcastElement` on a keyed stream: also reaches the keyed state of every key of the subtask. */
export interface KeyedBroadcastContext extends BroadcastContext {
  /**
   * Flink's `applyToKeyedState`: calls `fn(key, state)` for every key of this subtask that holds
   * state under `descriptor`; `state` reads and writes that key's state (clearing it is allowed).
   * Subtasks hold different keys, so what this emits differs per subtask.
   */
  applyToKeyedState<D extends ValueStateDescriptor<any> | ListStateDescriptor<any> | MapStateDescriptor<any, any> | ReducingStateDescriptor<any> | AggregatingStateDescriptor<any, any, any>>(
    descriptor: D,
    fn: (key: unknown, state: KeyedStateOf<D>) => void,
  ): void;
}

/** Context of `processElement` on a keyed stream: read-only broadcast state plus the key and keyed timers. */
export interface KeyedBroadcastReadOnlyContext<K> extends KeyedProcessContext<K> {
  getBroadcastState<KB, VB>(descriptor: MapStateDescriptor<KB, VB>): ReadOnlyBroadcastState<KB, VB>;
  currentProcessingTime(): number;
  currentWatermark(): number;
}

/** Context of `onTimer` of a keyed broadcast function. */
export interface KeyedBroadcastOnTimerContext<K> extends OnTimerContext<K> {
  getBroadcastState<KB, VB>(descriptor: MapStateDescriptor<KB, VB>): ReadOnlyBroadcastState<KB, VB>;
  currentProcessingTime(): number;
  currentWatermark(): number;
}

/** Flink's `BroadcastProcessFunction`: a non-keyed stream connected with a broadcast stream. */
export interface BroadcastProcessFunction<IN1, IN2, OUT> {
  open?(ctx: CoRuntimeContext): void;
  processElement: (value: IN1, ctx: BroadcastReadOnlyContext, out: Collector<OUT>) => void;
  processBroadcastElement: (value: IN2, ctx: BroadcastContext, out: Collector<OUT>) => void;
  close?(): void;
}

/**
 * Flink's `KeyedBroadcastProcessFunction`: a keyed stream connected with a broadcast stream.
 * `processElement` has the key, keyed state (get handles in `open`) and timers; `onTimer` too.
 */
export interface KeyedBroadcastProcessFunction<K, IN1, IN2, OUT> {
  open?(ctx: RuntimeContext): void;
  processElement: (value: IN1, ctx: KeyedBroadcastReadOnlyContext<K>, out: Collector<OUT>) => void;
  processBroadcastElement: (value: IN2, ctx: KeyedBroadcastContext, out: Collector<OUT>) => void;
  onTimer?: (timestamp: number, ctx: KeyedBroadcastOnTimerContext<K>, out: Collector<OUT>) => void;
  close?(): void;
}
