/**
 * User function types of two-input operators (Flink's `CoProcessFunction`,
 * `KeyedCoProcessFunction` and `ProcessJoinFunction`). Like every Weir user
 * function they are synchronous: returning a Promise fails the job with
 * `WEIR_ASYNC_USER_FUNCTION`.
 */
import type { Collector, KeyedProcessContext, OnTimerContext, RuntimeContext, TaskInfo } from './functions.ts';
import type { OutputTag } from './output-tag.ts';

/** What a non-keyed two-input function learns about where it runs (no keyed state). */
export interface CoRuntimeContext {
  readonly taskInfo: TaskInfo;
}

/** Time as a non-keyed function sees it (timers need a keyed stream, as in Flink). */
export interface CoTimeContext {
  /** Processing time of the subtask's clock (epoch ms). */
  currentProcessingTime(): number;
  /** Current event-time watermark of the subtask: the minimum over both inputs (−Infinity before the first). */
  currentWatermark(): number;
}

export interface CoProcessContext {
  /** Event timestamp of the element, if timestamps were assigned. */
  timestamp(): number | undefined;
  timerService(): CoTimeContext;
  /** Emit `value` to the side output `tag` (with the element's timestamp); read it with `getSideOutput(tag)`. */
  output<X>(tag: OutputTag<X>, value: X): void;
}

/**
 * Flink's `CoProcessFunction`: one method per input of `a.connect(b)`. Elements of both inputs
 * arrive interleaved in the order the subtask reads them; only the order within one input
 * channel is defined.
 */
export interface CoProcessFunction<IN1, IN2, OUT> {
  open?(ctx: CoRuntimeContext): void;
  processElement1: (value: IN1, ctx: CoProcessContext, out: Collector<OUT>) => void;
  processElement2: (value: IN2, ctx: CoProcessContext, out: Collector<OUT>) => void;
  close?(): void;
}

/**
 * Flink's `KeyedCoProcessFunction`: both inputs keyed by the same key (`connect(b).keyBy(k1, k2)`);
 * keyed state and timers are shared by the two inputs (state read in `processElement2` is what
 * `processElement1` wrote for the same key). `ctx.getCurrentKey()`, `ctx.timerService()` and
 * `onTimer` are exactly those of `KeyedProcessFunction`.
 */
export interface KeyedCoProcessFunction<K, IN1, IN2, OUT> {
  open?(ctx: RuntimeContext): void;
  processElement1: (value: IN1, ctx: KeyedProcessContext<K>, out: Collector<OUT>) => void;
  processElement2: (value: IN2, ctx: KeyedProcessContext<K>, out: Collector<OUT>) => void;
  onTimer?: (timestamp: number, ctx: OnTimerContext<K>, out: Collector<OUT>) => void;
  close?(): void;
}

/** Given with each joined pair of an interval join. */
export interface ProcessJoinContext {
  /** Event timestamp of the left element. */
  leftTimestamp(): number;
  /** Event timestamp of the right element. */
  rightTimestamp(): number;
  /** Timestamp of the joined result: the larger of the two (what emitted records carry). */
  timestamp(): number;
  /** Emit `value` to the side output `tag` (with the joined result's timestamp); read it with `getSideOutput(tag)`. */
  output<X>(tag: OutputTag<X>, value: X): void;
}

/** Flink's `ProcessJoinFunction`: called once per joined pair (left, right) of an interval join. */
export interface ProcessJoinFunction<IN1, IN2, OUT> {
  open?(ctx: RuntimeContext): void;
  processElement: (left: IN1, right: IN2, ctx: ProcessJoinContext, out: Collector<OUT>) => void;
  close?(): void;
}
