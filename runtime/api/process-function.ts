/**
 * Flink's (non-keyed) `ProcessFunction`: `stream.process(fn)` calls `processElement(value, ctx,
 * out)` for each record, with the record's timestamp and side outputs. A non-keyed stream has no
 * keyed state and no timers (as in Flink, where registering a timer there fails): key the stream
 * (`keyBy(...).process(...)`, a KeyedProcessFunction) for those.
 */
import type { Collector, TaskInfo } from './functions.ts';
import type { OutputTag } from './output-tag.ts';

/** Time queries (a non-keyed stream has no timers to register). */
export interface TimeQueries {
  /** Processing time of the subtask's clock (epoch ms). */
  currentProcessingTime(): number;
  /** Current event-time watermark of the subtask (−Infinity before the first). */
  currentWatermark(): number;
}

/** Flink's `ProcessFunction.Context` (a keyed context is one too, so `KeyedStream.process` overrides `DataStream.process`). */
export interface ProcessContext {
  /** Event timestamp of the element, if timestamps were assigned. */
  timestamp(): number | undefined;
  timerService(): TimeQueries;
  /** Emit `value` to the side output `tag` (with the element's timestamp); read it with `getSideOutput(tag)`. */
  output<X>(tag: OutputTag<X>, value: X): void;
}

export interface ProcessFunction<I, O> {
  open?(ctx: { readonly taskInfo: TaskInfo }): void;
  processElement: (value: I, ctx: ProcessContext, out: Collector<O>) => void;
  close?(): void;
}
