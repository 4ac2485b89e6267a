/**
 * Window function types (Flink's AggregateFunction, ProcessWindowFunction,
 * ProcessAllWindowFunction). Synchronous, like every Weir user function.
 */
import type { Collector, KeyedStateAccess, RuntimeContext } from './functions.ts';
import type { OutputTag } from './output-tag.ts';
import type { ValueState } from '../../state/index.ts';
import type { TimeWindow, Window } from '../operators/windows/windows.ts';

/**
 * Flink's AggregateFunction: an accumulator per window, `add` folds an element in, `getResult`
 * gives the window's result. `merge` combines two accumulators; it is needed by session windows
 * (which merge) and checked when the job is built. `add` and `merge` may return a new
 * accumulator or the updated argument.
 */
export interface WindowAggregateFunction<IN, ACC, OUT> {
  createAccumulator: () => ACC;
  add: (value: IN, accumulator: ACC) => ACC;
  getResult: (accumulator: ACC) => OUT;
  merge?: (a: ACC, b: ACC) => ACC;
}

/** Per-window state of a process window function (not available with merging windows, as in Flink). */
export interface WindowStateAccess {
  /** A value scoped to the current key and window; cleared with the window. */
  getState<T>(name: string): ValueState<T>;
}

/** What a process window function sees at firing. */
export interface ProcessWindowContext<W extends Window = TimeWindow> {
  readonly window: W;
  currentWatermark(): number;
  currentProcessingTime(): number;
  /** State scoped to this key and window (cleared when the window is cleaned up). */
  windowState(): WindowStateAccess;
  /** Keyed state of the current key, across windows. */
  globalState(): KeyedStateAccess;
  /** Emit to a side output, with the window's max timestamp. */
  output<X>(tag: OutputTag<X>, value: X): void;
}

/** Flink's ProcessWindowFunction: all elements of a window (or the pre-aggregated one) at firing. */
export interface ProcessWindowFunction<IN, OUT, KEY, W extends Window = TimeWindow> {
  open?(ctx: RuntimeContext): void;
  process: (key: KEY, context: ProcessWindowContext<W>, elements: IN[], out: Collector<OUT>) => void;
  /** The window is cleaned up (after its allowed lateness): release per-window state here. */
  clear?(context: ProcessWindowContext<W>): void;
  close?(): void;
}

/** Flink's ProcessAllWindowFunction (windowAll): as ProcessWindowFunction, without a key. */
export interface ProcessAllWindowFunction<IN, OUT, W extends Window = TimeWindow> {
  open?(ctx: RuntimeContext): void;
  process: (context: ProcessWindowContext<W>, elements: IN[], out: Collector<OUT>) => void;
  clear?(context: ProcessWindowContext<W>): void;
  close?(): void;
}
