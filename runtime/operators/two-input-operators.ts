/**
 * Two-input operators (Flink's `TwoInputStreamOperator`): `processElement1` for records of the
 * first input, `processElement2` for the second. Such an operator heads its subtask's chain; the
 * subtask feeds each input channel's records to the entry of the channel's input
 * (operator-chain.ts `BuiltChain.inputs`). Its watermark is the subtask's: the minimum over all
 * input channels of both inputs (watermark-valve.ts), Flink's rule for two-input operators.
 *
 * Here: the contract, the co-process operator (`connect(b).process`) and the keyed co-process
 * operator (`connect(b).keyBy(k1, k2).process`: keyed state and timers shared by both inputs,
 * exactly as KeyedProcessOperator in keyed-operators.ts). The interval join is in
 * interval-join-operator.ts.
 */
import type { KeyedStateBackend } from '../../state/index.ts';
import type { Collector, OnTimerContext, TaskInfo } from '../api/functions.ts';
import type { CoProcessContext, CoProcessFunction, KeyedCoProcessFunction } from '../api/two-input-functions.ts';
import { callUser, lifecycle, type OperatorContext, type Output, type StreamOperator } from './operator.ts';
import { extractKey, keyedProcessContext, KeyedTimerFiring, requireBackend, runtimeContextOf } from './keyed-operators.ts';
import { sideOutputId } from './side-output.ts';
import { nonKeyedTimeQueries } from './process-operator.ts';

export interface TwoInputStreamOperator extends StreamOperator {
  processElement1(value: unknown, timestamp: number | undefined): void;
  processElement2(value: unknown, timestamp: number | undefined): void;
}

export function isTwoInputOperator(op: StreamOperator): op is TwoInputStreamOperator {
  return typeof (op as Partial<TwoInputStreamOperator>).processElement1 === 'function'
    && typeof (op as Partial<TwoInputStreamOperator>).processElement2 === 'function';
}

/** The per-input entries of a two-input head: records go to processElement1/2; watermarks to the operator. */
export function twoInputEntries(op: TwoInputStreamOperator, next: Output<unknown>): [Output<unknown>, Output<unknown>] {
  const emitWatermark = op.processWatermark ? (wm: number) => op.processWatermark!(wm) : (wm: number) => next.emitWatermark(wm);
  const emitWatermarkStatus = (idle: boolean): void => next.emitWatermarkStatus?.(idle);
  return [
    { collect: (v, ts) => op.processElement1(v, ts), emitWatermark, emitWatermarkStatus },
    { collect: (v, ts) => op.processElement2(v, ts), emitWatermark, emitWatermarkStatus },
  ];
}

/** Flink's `CoProcessOperator`: a non-keyed function with one method per input. */
export class CoProcessOperator implements TwoInputStreamOperator {
  private ctx!: OperatorContext;
  private currentTimestamp: number | undefined;
  private readonly collector: Collector<unknown>;
  private readonly processCtx: CoProcessContext;
  constructor(private readonly fn: CoProcessFunction<any, any, any>, private readonly out: Output<unknown>, private readonly info: TaskInfo) {
    this.collector = { collect: (v) => this.out.collect(v, this.currentTimestamp) };
    const time = nonKeyedTimeQueries(() => this.ctx);
    this.processCtx = {
      timestamp: () => this.currentTimestamp,
      timerService: () => time,
      output: (tag, v) => this.out.sideOutput?.(sideOutputId(tag), v, this.currentTimestamp),
    };
  }
  open(ctx: OperatorContext): void {
    this.ctx = ctx;
    lifecycle(this.info, 'open()', this.fn.open && (() => this.fn.open!({ taskInfo: this.info })));
  }
  processElement(value: unknown, ts: number | undefined): void {
    this.processElement1(value, ts);
  }
  processElement1(value: unknown, ts: number | undefined): void {
    this.currentTimestamp = ts;
    callUser(this.info, 'processElement1', value, () => this.fn.processElement1(value, this.processCtx, this.collector));
  }
  processElement2(value: unknown, ts: number | undefined): void {
    this.currentTimestamp = ts;
    callUser(this.info, 'processElement2', value, () => this.fn.processElement2(value, this.processCtx, this.collector));
  }
  processWatermark(wm: number): void {
    this.out.emitWatermark(wm);
  }
  close(): void {
    lifecycle(this.info, 'close()', this.fn.close && (() => this.fn.close!()));
  }
}

/** Flink's `KeyedCoProcessOperator`: both inputs keyed by the same key; shared keyed state and timers. */
export class KeyedCoProcessOperator implements TwoInputStreamOperator {
  private backend!: KeyedStateBackend;
  private ctx!: OperatorContext;
  private currentTimestamp: number | undefined;
  /** The main output's timestamp: the record's, an event-time timer's, none in a processing-time timer (ctx.timestamp() is the timer's in both, as Flink's). */
  private outputTs: number | undefined;
  private readonly firing: KeyedTimerFiring;
  private readonly collector: Collector<unknown>;
  private readonly processCtx: OnTimerContext<unknown>;
  constructor(
    private readonly keySelector1: (v: any) => unknown,
    private readonly keySelector2: (v: any) => unknown,
    private readonly fn: KeyedCoProcessFunction<any, any, any, any>,
    private readonly out: Output<unknown>,
    private readonly info: TaskInfo,
  ) {
    this.firing = new KeyedTimerFiring(() => this.backend, fn.onTimer ? (ts) => this.fireTimer(ts) : undefined);
    this.collector = { collect: (v) => this.out.collect(v, this.outputTs) };
    this.processCtx = keyedProcessContext({ backend: () => this.backend, ctx: () => this.ctx, timestamp: () => this.currentTimestamp, timeDomain: () => this.firing.timeDomain, out });
  }
  open(ctx: OperatorContext): void {
    this.ctx = ctx;
    this.backend = requireBackend(ctx);
    const runtimeCtx = runtimeContextOf(this.info, this.backend);
    lifecycle(this.info, 'open()', this.fn.open && (() => this.fn.open!(runtimeCtx)));
  }
  processElement(value: unknown, ts: number | undefined): void {
    this.processElement1(value, ts);
  }
  processElement1(value: unknown, ts: number | undefined): void {
    this.backend.setCurrentKey(extractKey(this.info, this.keySelector1, value));
    this.currentTimestamp = this.outputTs = ts;
    callUser(this.info, 'processElement1', value, () => this.fn.processElement1(value, this.processCtx, this.collector));
  }
  processElement2(value: unknown, ts: number | undefined): void {
    this.backend.setCurrentKey(extractKey(this.info, this.keySelector2, value));
    this.currentTimestamp = this.outputTs = ts;
    callUser(this.info, 'processElement2', value, () => this.fn.processElement2(value, this.processCtx, this.collector));
  }
  processWatermark(wm: number): void {
    this.firing.onWatermark(wm);
    this.out.emitWatermark(wm);
  }
  onProcessingTime(now: number): number | undefined {
    return this.firing.onProcessingTime(now);
  }
  close(): void {
    lifecycle(this.info, 'close()', this.fn.close && (() => this.fn.close!()));
  }
  private fireTimer(ts: number): void {
    this.currentTimestamp = ts;
    this.outputTs = this.firing.outputTimestamp(ts);
    callUser(this.info, 'onTimer', { timer: ts, key: this.backend.getCurrentKey() }, () => this.fn.onTimer!(ts, this.processCtx, this.collector));
  }
}
