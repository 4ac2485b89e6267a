/**
 * The operators of the broadcast state pattern (Flink's `CoBroadcastWithNonKeyedOperator` and
 * `CoBroadcastWithKeyedOperator`): input 1 is the (keyed or non-keyed) stream, input 2 the
 * broadcast stream, whose every record reaches every subtask (a `broadcast` edge). Broadcast state
 * (broadcast-state.ts) is written by `processBroadcastElement` only and read by the rest; it is
 * this operator's operator state in checkpoints. The keyed variant also has keyed state and
 * timers, exactly as KeyedProcessOperator (keyed-operators.ts), and reaches the keyed state of
 * every key from the broadcast side (`applyToKeyedState`).
 */
import type { AnyStateDescriptor, KeyedStateBackend } from '../../state/index.ts';
import type { Collector, OnTimerContext, TaskInfo } from '../api/functions.ts';
import type {
  BroadcastContext, BroadcastProcessFunction, BroadcastReadOnlyContext, KeyedBroadcastContext, KeyedBroadcastOnTimerContext, KeyedBroadcastProcessFunction,
} from '../api/broadcast-functions.ts';
import { WeirError } from '../../common/weir-error.ts';
import type { OperatorContext, Output } from './operator.ts';
import type { TwoInputStreamOperator } from './two-input-operators.ts';
import { callUser, lifecycle } from './operator.ts';
import { extractKey, keyedProcessContext, KeyedTimerFiring, requireBackend, runtimeContextOf } from './keyed-operators.ts';
import { sideOutputId } from './side-output.ts';
import { BroadcastStateStore } from './broadcast-state.ts';

/** What both broadcast operators are configured with (from the graph spec). */
export interface BroadcastOperatorConfig {
  /** Names of the MapStateDescriptors given to `broadcast(...)`. */
  readonly descriptors: readonly string[];
  readonly maxStateBytes: number;
}

const BROADCAST_STATE_CODES: ReadonlySet<string> = new Set(['WEIR_BROADCAST_STATE_UNKNOWN', 'WEIR_BROADCAST_STATE_READ_ONLY', 'WEIR_BROADCAST_STATE_TOO_LARGE']);

/** Errors of broadcast state keep their own code (not restartable) instead of becoming a user-function failure. */
function callKeepingStateErrors(info: TaskInfo, what: string, record: unknown, call: () => unknown): void {
  try {
    callUser(info, what, record, call);
  } catch (e) {
    const cause = (e as { cause?: unknown }).cause;
    if (cause instanceof WeirError && BROADCAST_STATE_CODES.has(cause.code)) throw cause;
    throw e;
  }
}

function where(info: TaskInfo): string {
  return `operator '${info.operatorName}' (uid ${info.uid}, subtask ${info.subtask + 1}/${info.parallelism})`;
}

/** Shared by both: the broadcast state, the element's timestamp, the collector and the side-output route. */
abstract class BroadcastOperatorBase implements TwoInputStreamOperator {
  protected ctx!: OperatorContext;
  protected currentTimestamp: number | undefined;
  /** The main output's timestamp: the record's, an event-time timer's, none in a processing-time timer (ctx.timestamp() is the timer's in both, as Flink's). */
  protected outputTs: number | undefined;
  protected readonly state: BroadcastStateStore;
  protected readonly collector: Collector<unknown>;
  constructor(config: BroadcastOperatorConfig, protected readonly out: Output<unknown>, protected readonly info: TaskInfo) {
    this.state = new BroadcastStateStore(config.descriptors, config.maxStateBytes, where(info));
    this.collector = { collect: (v) => this.out.collect(v, this.outputTs) };
  }
  initializeState(restored: readonly unknown[] | undefined): void {
    if (restored) this.state.restore(restored);
  }
  snapshotState(): unknown {
    return this.state.snapshot();
  }
  processElement(value: unknown, ts: number | undefined): void {
    this.processElement1(value, ts);
  }
  abstract processElement1(value: unknown, ts: number | undefined): void;
  abstract processElement2(value: unknown, ts: number | undefined): void;
  /** The context parts both sides share. */
  protected baseContext() {
    return {
      timestamp: () => this.currentTimestamp,
      currentProcessingTime: () => this.ctx.now(),
      currentWatermark: () => this.ctx.currentWatermark(),
      output: (tag: Parameters<typeof sideOutputId>[0], v: unknown) => this.out.sideOutput?.(sideOutputId(tag), v, this.currentTimestamp),
    };
  }
}

/** `dataStream.connect(broadcastStream).process(BroadcastProcessFunction)`. */
export class BroadcastProcessOperator extends BroadcastOperatorBase {
  private readonly readOnlyCtx: BroadcastReadOnlyContext;
  private readonly broadcastCtx: BroadcastContext;
  constructor(private readonly fn: BroadcastProcessFunction<any, any, any>, config: BroadcastOperatorConfig, out: Output<unknown>, info: TaskInfo) {
    super(config, out, info);
    this.readOnlyCtx = { ...this.baseContext(), getBroadcastState: (d) => this.state.readOnly(d) } as BroadcastReadOnlyContext;
    this.broadcastCtx = { ...this.baseContext(), getBroadcastState: (d) => this.state.writable(d) } as BroadcastContext;
  }
  open(ctx: OperatorContext): void {
    this.ctx = ctx;
    lifecycle(this.info, 'open()', this.fn.open && (() => this.fn.open!({ taskInfo: this.info })));
  }
  processElement1(value: unknown, ts: number | undefined): void {
    this.currentTimestamp = this.outputTs = ts;
    callKeepingStateErrors(this.info, 'processElement', value, () => this.fn.processElement(value, this.readOnlyCtx, this.collector));
  }
  processElement2(value: unknown, ts: number | undefined): void {
    this.currentTimestamp = this.outputTs = ts;
    callKeepingStateErrors(this.info, 'processBroadcastElement', value, () => this.fn.processBroadcastElement(value, this.broadcastCtx, this.collector));
  }
  processWatermark(wm: number): void {
    this.out.emitWatermark(wm);
  }
  close(): void {
    lifecycle(this.info, 'close()', this.fn.close && (() => this.fn.close!()));
  }
}

/** `keyedStream.connect(broadcastStream).process(KeyedBroadcastProcessFunction)`. */
export class KeyedBroadcastProcessOperator extends BroadcastOperatorBase {
  private backend!: KeyedStateBackend;
  private readonly firing: KeyedTimerFiring;
  private readonly keyedCtx: KeyedBroadcastOnTimerContext<unknown>;
  private readonly broadcastCtx: KeyedBroadcastContext;
  constructor(
    private readonly keySelector: (v: any) => unknown,
    private readonly fn: KeyedBroadcastProcessFunction<any, any, any, any>,
    config: BroadcastOperatorConfig,
    out: Output<unknown>,
    info: TaskInfo,
  ) {
    super(config, out, info);
    this.firing = new KeyedTimerFiring(() => this.backend, fn.onTimer ? (ts) => this.fireTimer(ts) : undefined);
    const keyed: OnTimerContext<unknown> = keyedProcessContext({ backend: () => this.backend, ctx: () => this.ctx, timestamp: () => this.currentTimestamp, timeDomain: () => this.firing.timeDomain, out });
    const base = this.baseContext();
    this.keyedCtx = {
      ...keyed,
      currentProcessingTime: base.currentProcessingTime,
      currentWatermark: base.currentWatermark,
      getBroadcastState: (d) => this.state.readOnly(d),
    };
    this.broadcastCtx = {
      ...base,
      getBroadcastState: (d) => this.state.writable(d),
      applyToKeyedState: (d, fn) => this.backend.applyToAllKeys(d as AnyStateDescriptor, fn as (key: unknown, state: unknown) => void),
    } as KeyedBroadcastContext;
  }
  open(ctx: OperatorContext): void {
    this.ctx = ctx;
    this.backend = requireBackend(ctx);
    const runtimeCtx = runtimeContextOf(this.info, this.backend);
    lifecycle(this.info, 'open()', this.fn.open && (() => this.fn.open!(runtimeCtx)));
  }
  processElement1(value: unknown, ts: number | undefined): void {
    this.backend.setCurrentKey(extractKey(this.info, this.keySelector, value));
    this.currentTimestamp = this.outputTs = ts;
    callKeepingStateErrors(this.info, 'processElement', value, () => this.fn.processElement(value, this.keyedCtx, this.collector));
  }
  processElement2(value: unknown, ts: number | undefined): void {
    this.currentTimestamp = this.outputTs = ts;
    callKeepingStateErrors(this.info, 'processBroadcastElement', value, () => this.fn.processBroadcastElement(value, this.broadcastCtx, this.collector));
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
    callKeepingStateErrors(this.info, 'onTimer', { timer: ts, key: this.backend.getCurrentKey() }, () => this.fn.onTimer!(ts, this.keyedCtx, this.collector));
  }
}
