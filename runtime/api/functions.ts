/**
 * User function types. All user functions are **synchronous**, like Flink's
 * `processElement`: a function returning a Promise fails the job with
 * `WEIR_ASYNC_USER_FUNCTION`. (Asynchronous I/O belongs in sources and sinks.)
 *
 * The members of function interfaces that take records (`processElement`, `onTimer`, `process`,
 * `add`, `asyncInvoke` …, here and in the other *-functions.ts files) are declared as
 * function-typed properties, not methods: TypeScript compares method parameters bivariantly even
 * under `strict`, so a class written for another record type (`KeyedProcessFunction<K, Purchase, O>`
 * on a stream of `Click`) compiled and read undefined fields at run time. A class or an object
 * literal still implements them with ordinary methods.
 */
import type { ValueState, ListState, MapState, ReducingState, AggregatingState } from '../../state/index.ts';
import type {
  ValueStateDescriptor, ListStateDescriptor, MapStateDescriptor, ReducingStateDescriptor, AggregatingStateDescriptor,
} from '../../state/index.ts';
import type { OutputTag } from './output-tag.ts';

export type MapFunction<T, R> = (value: T) => R;
export type FilterFunction<T> = (value: T) => boolean;
/** Returns the records to emit (an array or any iterable; empty for none). */
export type FlatMapFunction<T, R> = (value: T) => Iterable<R>;
export type KeySelector<T, K> = (value: T) => K;
export type ReduceFunction<T> = (accumulated: T, value: T) => T;

/** Receives the records a function emits. */
export interface Collector<T> {
  collect(value: T): void;
}

/** Access to keyed state, scoped to the current key. */
export interface KeyedStateAccess {
  getState<T>(descriptor: ValueStateDescriptor<T>): ValueState<T>;
  getListState<T>(descriptor: ListStateDescriptor<T>): ListState<T>;
  getMapState<K, V>(descriptor: MapStateDescriptor<K, V>): MapState<K, V>;
  getReducingState<T>(descriptor: ReducingStateDescriptor<T>): ReducingState<T>;
  getAggregatingState<IN, ACC, OUT>(descriptor: AggregatingStateDescriptor<IN, ACC, OUT>): AggregatingState<IN, OUT>;
}

/** What an operator learns about where it runs. */
export interface TaskInfo {
  readonly operatorName: string;
  readonly uid: string;
  readonly subtask: number;
  readonly parallelism: number;
  readonly maxParallelism: number;
  readonly attempt: number;
}

/** Given to `open()` of a keyed process function. Get state handles here and keep them. */
export interface RuntimeContext extends KeyedStateAccess {
  readonly taskInfo: TaskInfo;
}

export interface TimerContext {
  /** Processing time of the subtask's clock (epoch ms). */
  currentProcessingTime(): number;
  /** Current event-time watermark (−Infinity before the first). */
  currentWatermark(): number;
  registerProcessingTimeTimer(timestamp: number): void;
  registerEventTimeTimer(timestamp: number): void;
  deleteProcessingTimeTimer(timestamp: number): void;
  deleteEventTimeTimer(timestamp: number): void;
}

export interface KeyedProcessContext<K> {
  /** The key of the element being processed. */
  getCurrentKey(): K;
  /** Event timestamp of the element, if timestamps were assigned. */
  timestamp(): number | undefined;
  timerService(): TimerContext;
  /** Emit `value` to the side output `tag` (with the current timestamp); read it with `getSideOutput(tag)`. */
  output<X>(tag: OutputTag<X>, value: X): void;
}

export interface OnTimerContext<K> extends KeyedProcessContext<K> {
  timeDomain(): 'event-time' | 'processing-time';
}

/**
 * Flink's `KeyedProcessFunction`: one required method, safe defaults for the rest.
 * State handles obtained in `open()` are automatically scoped to the current key.
 */
export interface KeyedProcessFunction<K, I, O> {
  open?(ctx: RuntimeContext): void;
  processElement: (value: I, ctx: KeyedProcessContext<K>, out: Collector<O>) => void;
  onTimer?: (timestamp: number, ctx: OnTimerContext<K>, out: Collector<O>) => void;
  close?(): void;
}

/**
 * Event time: how to read a record's timestamp, how out of order records may be, and when an
 * input counts as idle (Flink's `WatermarkStrategy.forBoundedOutOfOrderness(…).withIdleness(…)`).
 */
export interface WatermarkStrategy<T> {
  timestamp: (value: T) => number;
  /** Bounded out-of-orderness: watermark = max timestamp seen − this − 1. Default 0. */
  maxOutOfOrdernessMs?: number;
  /**
   * How often the watermark is emitted (processing time): at most once per interval, after the
   * records seen meanwhile. Default 200 ms, like Flink's autoWatermarkInterval; 0 = after every record.
   */
  intervalMs?: number;
  /**
   * Flink's `withIdleness`: a subtask of this assigner that sees no record for this long
   * (processing time, checked every `intervalMs` or `idleTimeoutMs`, whichever is shorter)
   * marks its output idle; downstream operators then stop waiting for its watermark. Its next
   * record makes it active again (records it sends after the others' watermark passed them are
   * late). Default: never idle.
   */
  idleTimeoutMs?: number;
}
