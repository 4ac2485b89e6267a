/**
 * The contracts of windowing (Flink's WindowAssigner and Trigger) and the declarative spec of
 * one window operator, as `keyBy(...).window(...)...reduce/aggregate/process` builds it.
 * Types only: the assigners and triggers Weir ships are in assigners.ts and triggers.ts, and a
 * user may write their own against these interfaces.
 */
import type { Window } from './windows.ts';
import type { WindowAggregateFunction, ProcessWindowFunction } from '../../api/window-functions.ts';

/** What a trigger decides (Flink's TriggerResult). */
export type TriggerResult = 'CONTINUE' | 'FIRE' | 'PURGE' | 'FIRE_AND_PURGE';

/** A value a trigger keeps per key and window (Flink's partitioned trigger state). */
export interface WindowValue<S> {
  value(): S | undefined;
  update(v: S): void;
  clear(): void;
}

/** What a trigger sees: time, timers of its window, its per-window state. */
export interface TriggerContext {
  getCurrentProcessingTime(): number;
  getCurrentWatermark(): number;
  registerProcessingTimeTimer(time: number): void;
  registerEventTimeTimer(time: number): void;
  deleteProcessingTimeTimer(time: number): void;
  deleteEventTimeTimer(time: number): void;
  /** A named value of this trigger, scoped to the current key and window. */
  getState<S>(name: string): WindowValue<S>;
}

/** Given to `onMerge` (session windows): the window is the merge result. */
export interface OnMergeContext extends TriggerContext {
  /** Fold the named value of every merged window into the result window's (Flink's mergePartitionedState). */
  mergeState<S>(name: string, merge: (a: S, b: S) => S): void;
}

/** Flink's Trigger: decides when a window fires (emits its result) and purges (drops its contents). */
export interface Trigger<T = any, W extends Window = Window> {
  onElement(element: T, timestamp: number | undefined, window: W, ctx: TriggerContext): TriggerResult;
  onEventTime(time: number, window: W, ctx: TriggerContext): TriggerResult;
  onProcessingTime(time: number, window: W, ctx: TriggerContext): TriggerResult;
  /** Whether the trigger supports merging windows (required with session windows). */
  canMerge?(): boolean;
  onMerge?(window: W, ctx: OnMergeContext): void;
  /** The window is cleaned up: delete its timers and state. */
  clear(window: W, ctx: TriggerContext): void;
  toString(): string;
}

/** Flink's WindowAssigner: the windows an element belongs to. */
export interface WindowAssigner<T = any, W extends Window = Window> {
  /** `timestamp` is the element's event timestamp (undefined if none was assigned). */
  assignWindows(element: T, timestamp: number | undefined, ctx: { currentProcessingTime(): number }): W[];
  defaultTrigger(): Trigger<T, W>;
  /** Event time (windows end by watermark) or processing time. */
  isEventTime(): boolean;
  /** Merging assigners (sessions): merge a key's windows; each result with the windows it covers. */
  mergeWindows?(windows: readonly W[]): Array<{ result: W; merged: W[] }>;
  toString(): string;
}

/** How a window's contents become results. */
export type WindowFunctionSpec =
  /** Incremental: one reduced value per window; optionally handed to a process function at firing. */
  | { type: 'reduce'; reduce: (a: any, b: any) => any; process?: ProcessWindowFunction<any, any, any, any> }
  /** Incremental: one accumulator per window. */
  | { type: 'aggregate'; agg: WindowAggregateFunction<any, any, any>; process?: ProcessWindowFunction<any, any, any, any> }
  /** Every element kept; the process function sees them all at firing. */
  | { type: 'process'; process: ProcessWindowFunction<any, any, any, any> };

/** One window operator. */
export interface WindowOperatorSpec {
  /** Undefined for count windows (the global window; see `count`). */
  readonly assigner: WindowAssigner | undefined;
  /** Replaces the assigner's default trigger. */
  readonly trigger: Trigger | undefined;
  /** Count windows (`countWindow(size[, slide])`): Flink's GlobalWindows + CountTrigger (+ CountEvictor when sliding). */
  readonly count: { readonly size: number; readonly slide?: number } | undefined;
  /** Event-time windows keep their state this long after the watermark passed their end (ms). */
  readonly allowedLateness: number;
  /** Where records too late for every window go (`sideOutputLateData`); dropped (counted) when unset. */
  readonly lateDataTag: string | undefined;
  readonly fn: WindowFunctionSpec;
}
