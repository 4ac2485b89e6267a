/**
 * `WindowedStream` (Flink's `keyBy(...).window(assigner)` / `countWindow(n)`) and
 * `AllWindowedStream` (`windowAll(assigner)`): configure the trigger, the allowed lateness and
 * the late-data side output, then end with a window function — `reduce`, `aggregate` (each
 * optionally with a process window function) or `process` — which adds the window operator.
 *
 * Value imports: none from operators/ (api/ may not import operator code); the assigners and
 * triggers are the user's objects and are only checked by shape here.
 */
import { invalidArgument } from '../errors.ts';
import type { SingleOutputStream } from './data-stream.ts';
import type { ReduceFunction } from './functions.ts';
import { outputTagId, type OutputTag } from './output-tag.ts';
import type { ProcessAllWindowFunction, ProcessWindowFunction, WindowAggregateFunction } from './window-functions.ts';
import type { Trigger, WindowAssigner, WindowFunctionSpec, WindowOperatorSpec } from '../operators/windows/window-operator-spec.ts';
import type { GlobalWindow, Window } from '../operators/windows/windows.ts';
import { preview } from '../../common/weir-error.ts';

/** Adds the window operator to the graph (supplied by the keyed stream, which owns `append`). */
export type WindowOperatorAppender = (spec: WindowOperatorSpec, name: string) => SingleOutputStream<any>;

export class WindowedStream<T, K, W extends Window> {
  private triggerValue: Trigger | undefined;
  private lateness = 0;
  private lateTag: string | undefined;

  /** @internal */
  constructor(
    private readonly append: WindowOperatorAppender,
    private readonly assigner: WindowAssigner<T, W> | undefined,
    private readonly what: string,
    private readonly count?: { readonly size: number; readonly slide?: number },
  ) {
    if (assigner !== undefined && (!assigner || typeof assigner.assignWindows !== 'function' || typeof assigner.isEventTime !== 'function' || typeof assigner.defaultTrigger !== 'function')) {
      throw invalidArgument(`${what}: expected a window assigner (e.g. TumblingEventTimeWindows.of(60_000)), got ${assigner === null ? 'null' : typeof assigner}`);
    }
  }

  /** @internal `countWindow(size[, slide])` of a keyed stream. */
  static countWindow<T, K>(append: WindowOperatorAppender, size: number, slide?: number): WindowedStream<T, K, GlobalWindow> {
    const check = (name: string, v: unknown) => {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) throw invalidArgument(`countWindow: ${name} must be an integer > 0, got ${preview(v)}`, { [name]: String(v) });
    };
    check('size', size);
    if (slide !== undefined) check('slide', slide);
    return new WindowedStream<T, K, GlobalWindow>(append, undefined, 'countWindow', slide === undefined ? { size } : { size, slide });
  }

  /** Replace the assigner's default trigger (Flink's `trigger(...)`). */
  trigger(trigger: Trigger<T, W>): this {
    if (!trigger || typeof trigger.onElement !== 'function' || typeof trigger.onEventTime !== 'function' || typeof trigger.onProcessingTime !== 'function' || typeof trigger.clear !== 'function') {
      throw invalidArgument(`${this.what}.trigger: expected a trigger (e.g. CountTrigger.of(100)), got ${trigger === null ? 'null' : typeof trigger}`);
    }
    if (typeof this.assigner?.mergeWindows === 'function' && !(trigger.canMerge?.() ?? false)) {
      throw invalidArgument(`${this.what}.trigger: ${String(trigger)} does not support merging, but ${String(this.assigner)} merges windows`);
    }
    this.triggerValue = trigger as Trigger;
    return this;
  }

  /** Keep event-time windows this long after the watermark passed their end; later elements fire them again. */
  allowedLateness(ms: number): this {
    if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || ms < 0) {
      throw invalidArgument(`${this.what}.allowedLateness: expected an integer number of milliseconds >= 0, got ${preview(ms)}`, { allowedLateness: String(ms) });
    }
    this.lateness = ms;
    return this;
  }

  /** Records too late for all their windows go to side output `tag` instead of being dropped. */
  sideOutputLateData(tag: OutputTag<T>): this {
    this.lateTag = outputTagId(tag, `${this.what}.sideOutputLateData`);
    return this;
  }

  /** Incremental: reduce each window's elements; with `process`, it sees the reduced value (one element) at firing. */
  reduce(fn: ReduceFunction<T>): SingleOutputStream<T>;
  reduce<R>(fn: ReduceFunction<T>, process: ProcessWindowFunction<T, R, K, W>): SingleOutputStream<R>;
  reduce<R>(fn: ReduceFunction<T>, process?: ProcessWindowFunction<T, R, K, W>): SingleOutputStream<R | T> {
    if (typeof fn !== 'function') throw invalidArgument(`${this.what}.reduce: expected a function (a, b) => reduced, got ${typeof fn}`);
    if (process !== undefined) checkProcess(this.what, 'reduce', process);
    return this.build({ type: 'reduce', reduce: fn, ...(process ? { process } : {}) }, 'Reduce');
  }

  /** Incremental: an accumulator per window; with `process`, it sees the result (one element) at firing. */
  aggregate<ACC, R>(agg: WindowAggregateFunction<T, ACC, R>): SingleOutputStream<R>;
  aggregate<ACC, V, R>(agg: WindowAggregateFunction<T, ACC, V>, process: ProcessWindowFunction<V, R, K, W>): SingleOutputStream<R>;
  aggregate<ACC, V, R>(agg: WindowAggregateFunction<T, ACC, V>, process?: ProcessWindowFunction<V, R, K, W>): SingleOutputStream<R | V> {
    if (!agg || typeof agg.createAccumulator !== 'function' || typeof agg.add !== 'function' || typeof agg.getResult !== 'function') {
      throw invalidArgument(`${this.what}.aggregate: expected an AggregateFunction with createAccumulator, add and getResult`);
    }
    if (typeof this.assigner?.mergeWindows === 'function' && typeof agg.merge !== 'function') {
      throw invalidArgument(`${this.what}.aggregate: ${String(this.assigner)} merges windows, so the AggregateFunction needs merge(a, b)`);
    }
    if (process !== undefined) checkProcess(this.what, 'aggregate', process);
    return this.build({ type: 'aggregate', agg, ...(process ? { process } : {}) }, 'Aggregate');
  }

  /** Every element of the window is kept; `fn.process(key, context, elements, out)` runs at firing. */
  process<R>(fn: ProcessWindowFunction<T, R, K, W>): SingleOutputStream<R> {
    checkProcess(this.what, 'process', fn);
    return this.build({ type: 'process', process: fn }, 'Process');
  }

  private build(fn: WindowFunctionSpec, fnName: string): SingleOutputStream<any> {
    const spec: WindowOperatorSpec = {
      assigner: this.assigner as WindowAssigner | undefined,
      trigger: this.triggerValue,
      count: this.count,
      allowedLateness: this.lateness,
      lateDataTag: this.lateTag,
      fn,
    };
    const on = this.count ? `CountWindow(${this.count.size}${this.count.slide !== undefined ? `, ${this.count.slide}` : ''})` : String(this.assigner);
    return this.append(spec, `Window(${on}${this.triggerValue ? `, ${String(this.triggerValue)}` : ''}, ${fnName})`);
  }
}

function checkProcess(what: string, method: string, fn: unknown): void {
  if (!fn || typeof (fn as { process?: unknown }).process !== 'function') {
    throw invalidArgument(`${what}.${method}: expected a ProcessWindowFunction (an object with process(key, context, elements, out))`);
  }
}

/** `windowAll(assigner)`: the same configuration, functions without a key; the operator runs with parallelism 1. */
export class AllWindowedStream<T, W extends Window> {
  /** @internal */
  constructor(private readonly inner: WindowedStream<T, number, W>) {}

  trigger(trigger: Trigger<T, W>): this { this.inner.trigger(trigger); return this; }
  allowedLateness(ms: number): this { this.inner.allowedLateness(ms); return this; }
  sideOutputLateData(tag: OutputTag<T>): this { this.inner.sideOutputLateData(tag); return this; }

  reduce(fn: ReduceFunction<T>): SingleOutputStream<T>;
  reduce<R>(fn: ReduceFunction<T>, process: ProcessAllWindowFunction<T, R, W>): SingleOutputStream<R>;
  reduce<R>(fn: ReduceFunction<T>, process?: ProcessAllWindowFunction<T, R, W>): SingleOutputStream<any> {
    return process ? this.inner.reduce(fn, keyless(process)) : this.inner.reduce(fn);
  }

  aggregate<ACC, R>(agg: WindowAggregateFunction<T, ACC, R>): SingleOutputStream<R>;
  aggregate<ACC, V, R>(agg: WindowAggregateFunction<T, ACC, V>, process: ProcessAllWindowFunction<V, R, W>): SingleOutputStream<R>;
  aggregate<ACC, V, R>(agg: WindowAggregateFunction<T, ACC, V>, process?: ProcessAllWindowFunction<V, R, W>): SingleOutputStream<any> {
    return process ? this.inner.aggregate(agg, keyless(process)) : this.inner.aggregate(agg);
  }

  process<R>(fn: ProcessAllWindowFunction<T, R, W>): SingleOutputStream<R> {
    checkProcess('windowAll', 'process', fn);
    return this.inner.process(keyless(fn));
  }
}

/** A ProcessAllWindowFunction as a keyed one (windowAll keys every record by one constant). */
function keyless<IN, OUT, W extends Window>(fn: ProcessAllWindowFunction<IN, OUT, W>): ProcessWindowFunction<IN, OUT, number, W> {
  if (!fn || typeof fn.process !== 'function') throw invalidArgument('windowAll: expected a ProcessAllWindowFunction (an object with process(context, elements, out))');
  return {
    ...(fn.open ? { open: (ctx) => fn.open!(ctx) } : {}),
    process: (_key, ctx, elements, out) => fn.process(ctx, elements, out),
    ...(fn.clear ? { clear: (ctx) => fn.clear!(ctx) } : {}),
    ...(fn.close ? { close: () => fn.close!() } : {}),
  };
}
