/**
 * Keyed operators: rolling reduce/aggregates, count, and the keyed process
 * function with state and timers. A keyed operator is always the head of its
 * subtask's chain (its input is a hash edge, which never chains), so it owns
 * the subtask's keyed state backend.
 */
import { ValueStateDescriptor, type KeyedStateBackend, type ValueState } from '../../state/index.ts';
import type { Collector, KeyedProcessFunction, OnTimerContext, RuntimeContext, TaskInfo, TimerContext } from '../api/functions.ts';
import { asyncUserFunction, NO_RECORD, isThenable, lifecycle, userFunctionFailed, type OperatorContext, type Output, type StreamOperator } from './operator.ts';
import { WeirError, preview } from '../../common/weir-error.ts';
import { RuntimeErrorCode } from '../errors.ts';
import { sideOutputId } from './side-output.ts';

export function requireBackend(ctx: OperatorContext): KeyedStateBackend {
  if (!ctx.keyedState) throw new WeirError(RuntimeErrorCode.INVALID_GRAPH, `operator '${ctx.info.operatorName}' needs keyed state but its subtask has no keyed state backend`);
  return ctx.keyedState;
}

export function extractKey(info: TaskInfo, keySelector: (v: any) => unknown, value: unknown): unknown {
  let key: unknown;
  try {
    key = keySelector(value);
  } catch (e) {
    throw userFunctionFailed(info, 'key selector', value, e);
  }
  return key;
}

/** Rolling reduce per key (also sum/min/max): emits the new aggregate for every record. */
export class KeyedReduceOperator implements StreamOperator {
  private backend!: KeyedStateBackend;
  private state!: ValueState<unknown>;
  constructor(private readonly keySelector: (v: any) => unknown, private readonly reduce: (a: any, b: any) => any, private readonly out: Output<unknown>, private readonly info: TaskInfo) {}
  open(ctx: OperatorContext): void {
    this.backend = requireBackend(ctx);
    this.state = this.backend.getState(new ValueStateDescriptor<unknown>('reduce'));
  }
  processElement(value: unknown, ts: number | undefined): void {
    this.backend.setCurrentKey(extractKey(this.info, this.keySelector, value));
    const current = this.state.value();
    let next: unknown;
    if (current === undefined) next = value;
    else {
      try {
        next = this.reduce(current, value);
      } catch (e) {
        throw userFunctionFailed(this.info, 'reduce function', value, e);
      }
      if (isThenable(next)) throw asyncUserFunction(this.info, 'reduce function', value);
    }
    this.state.update(next);
    this.out.collect(next, ts);
  }
  processWatermark(wm: number): void {
    this.out.emitWatermark(wm);
  }
}

/** Rolling count per key: emits `[key, count]`. */
export class KeyedCountOperator implements StreamOperator {
  private backend!: KeyedStateBackend;
  private state!: ValueState<number>;
  constructor(private readonly keySelector: (v: any) => unknown, private readonly out: Output<unknown>, private readonly info: TaskInfo) {}
  open(ctx: OperatorContext): void {
    this.backend = requireBackend(ctx);
    this.state = this.backend.getState(new ValueStateDescriptor<number>('count'));
  }
  processElement(value: unknown, ts: number | undefined): void {
    const key = extractKey(this.info, this.keySelector, value);
    this.backend.setCurrentKey(key);
    const n = (this.state.value() ?? 0) + 1;
    this.state.update(n);
    this.out.collect([key, n], ts);
  }
  processWatermark(wm: number): void {
    this.out.emitWatermark(wm);
  }
}

/** Flink's KeyedProcessOperator: user function with keyed state and timers. */
export class KeyedProcessOperator implements StreamOperator {
  private backend!: KeyedStateBackend;
  private ctx!: OperatorContext;
  private currentTimestamp: number | undefined;
  /** The main output's timestamp: the record's, an event-time timer's, none in a processing-time timer (ctx.timestamp() is the timer's in both, as Flink's). */
  private outputTs: number | undefined;
  private readonly firing: KeyedTimerFiring;
  private readonly collector: Collector<unknown>;
  private readonly processCtx: OnTimerContext<unknown>;
  constructor(private readonly keySelector: (v: any) => unknown, private readonly fn: KeyedProcessFunction<any, any, any>, private readonly out: Output<unknown>, private readonly info: TaskInfo) {
    this.firing = new KeyedTimerFiring(() => this.backend, fn.onTimer ? (ts) => this.fireTimer(ts) : undefined);
    this.collector = { collect: (v) => this.out.collect(v, this.outputTs) };
    this.processCtx = keyedProcessContext({ backend: () => this.backend, ctx: () => this.ctx, timestamp: () => this.currentTimestamp, timeDomain: () => this.firing.timeDomain, out });
  }
  open(ctx: OperatorContext): void {
    this.ctx = ctx;
    this.backend = requireBackend(ctx);
    const runtimeCtx = runtimeContextOf(this.info, this.backend);
    lifecycle(this.info, 'open()', this.fn.open && (() => this.fn.open!(runtimeCtx))); // a Promise from it: WEIR_ASYNC_USER_FUNCTION
  }
  processElement(value: unknown, ts: number | undefined): void {
    this.backend.setCurrentKey(extractKey(this.info, this.keySelector, value));
    this.currentTimestamp = this.outputTs = ts;
    let r: unknown;
    try {
      r = this.fn.processElement(value, this.processCtx, this.collector);
    } catch (e) {
      throw userFunctionFailed(this.info, 'processElement', value, e);
    }
    if (isThenable(r)) throw asyncUserFunction(this.info, 'processElement', value);
  }
  processWatermark(wm: number): void {
    this.firing.onWatermark(wm);
    this.out.emitWatermark(wm);
  }
  onProcessingTime(now: number): number | undefined {
    return this.firing.onProcessingTime(now);
  }
  close(): void {
    if (this.fn.close) {
      try {
        this.fn.close();
      } catch (e) {
        throw userFunctionFailed(this.info, 'close()', NO_RECORD, e);
      }
    }
  }
  private fireTimer(ts: number): void {
    this.currentTimestamp = ts;
    this.outputTs = this.firing.outputTimestamp(ts);
    try {
      this.fn.onTimer!(ts, this.processCtx, this.collector);
    } catch (e) {
      throw userFunctionFailed(this.info, 'onTimer', { timer: ts, key: this.backend.getCurrentKey() }, e);
    }
  }
}

/** `d`, when it is a descriptor of `kind` (JavaScript callers can pass any): WEIR_INVALID_STATE_DESCRIPTOR otherwise. */
function ofKind<D>(accessor: string, kind: string, d: D): D {
  const k = (d as { kind?: unknown } | null)?.kind;
  if (k !== kind) throw new WeirError('WEIR_INVALID_STATE_DESCRIPTOR', `${accessor} needs a ${kind} state descriptor, got ${typeof k === 'string' ? `a ${k} state descriptor '${String((d as { name?: unknown }).name)}'` : preview(d)}`, {});
  return d;
}

/** Keyed state access for a keyed user function's `open()`. */
export function runtimeContextOf(info: TaskInfo, b: KeyedStateBackend): RuntimeContext {
  return {
    taskInfo: info,
    getState: (d) => b.getState(d),
    getListState: (d) => b.getState(ofKind('getListState', 'list', d)),
    getMapState: (d) => b.getState(ofKind('getMapState', 'map', d)),
    getReducingState: (d) => b.getState(ofKind('getReducingState', 'reducing', d)),
    getAggregatingState: (d) => b.getState(ofKind('getAggregatingState', 'aggregating', d)),
  };
}

/** What a keyed function's context reads from its operator (set at open, changing per record). */
export interface KeyedFunctionHost {
  backend(): KeyedStateBackend;
  ctx(): OperatorContext;
  timestamp(): number | undefined;
  timeDomain(): 'event-time' | 'processing-time';
  readonly out: Output<unknown>;
}

/**
 * The context of a keyed user function (KeyedProcessFunction, KeyedCoProcessFunction): the current
 * key and timestamp, keyed timers (processing-time ones also asked of the task), side outputs.
 */
export function keyedProcessContext(h: KeyedFunctionHost): OnTimerContext<unknown> {
  const timerService: TimerContext = {
    currentProcessingTime: () => h.ctx().now(),
    currentWatermark: () => h.ctx().currentWatermark(),
    registerProcessingTimeTimer: (t) => {
      h.backend().timers.registerProcessingTimeTimer(checkTs(t));
      h.ctx().requestProcessingTime(t);
    },
    registerEventTimeTimer: (t) => h.backend().timers.registerEventTimeTimer(checkTs(t)),
    deleteProcessingTimeTimer: (t) => h.backend().timers.deleteProcessingTimeTimer(t),
    deleteEventTimeTimer: (t) => h.backend().timers.deleteEventTimeTimer(t),
  };
  return {
    getCurrentKey: () => h.backend().getCurrentKey(),
    timestamp: () => h.timestamp(),
    timerService: () => timerService,
    timeDomain: () => h.timeDomain(),
    output: (tag, v) => h.out.sideOutput?.(sideOutputId(tag), v, h.timestamp()),
  };
}

/**
 * Firing a keyed function's timers, shared by KeyedProcessOperator, KeyedCoProcessOperator and
 * KeyedBroadcastProcessOperator: event-time timers when a watermark arrives, processing-time
 * timers when the task calls; the domain being fired is what `ctx.timeDomain()` reports, and a
 * timer's output carries its time in event time, no timestamp in processing time (Flink's rule).
 */
export class KeyedTimerFiring {
  timeDomain: 'event-time' | 'processing-time' = 'event-time';
  /** `fire` is undefined when the function has no onTimer: nothing fires (timers still count for the next processing time). */
  constructor(private readonly backend: () => KeyedStateBackend, private readonly fire: ((ts: number) => void) | undefined) {}
  onWatermark(wm: number): void {
    if (!this.fire) return;
    this.timeDomain = 'event-time';
    this.backend().timers.advanceWatermark(wm, this.fire);
  }
  onProcessingTime(now: number): number | undefined {
    if (this.fire) {
      this.timeDomain = 'processing-time';
      this.backend().timers.fireProcessingTimers(now, this.fire);
    }
    return this.backend().timers.nextProcessingTimer();
  }
  /** The timestamp of what a firing timer emits. */
  outputTimestamp(ts: number): number | undefined {
    return this.timeDomain === 'event-time' ? ts : undefined;
  }
}

export function checkTs(t: number): number {
  if (typeof t !== 'number' || Number.isNaN(t)) throw new WeirError('WEIR_INVALID_TIMER', `timer timestamp must be a number (epoch ms), got ${preview(t)}`, { timestamp: preview(t) });
  return t;
}
