/**
 * Flink's `IntervalJoinOperator` (event time): for a left element at t, every right element of the
 * same key at s ∈ [t + lower, t + upper] (bounds inclusive unless made exclusive) is joined, and
 * `ProcessJoinFunction.processElement(left, right)` is called once per pair; results carry
 * max(t, s). Both sides are buffered in keyed state — a MapState per side, timestamp → the
 * elements at that timestamp — and an element is joined on arrival against the other side's
 * buffer. Elements later than the watermark (timestamp < watermark) are dropped, as in Flink.
 *
 * Bounds are compared exactly, whichever side arrives first (`t + lower` and `t + upper` against
 * s): Flink moves an exclusive bound by 1 ms, which is exact only for whole-millisecond bounds and
 * timestamps; Weir's are any finite numbers (a fractional bound or timestamp lost pairs that way).
 *
 * Cleanup, as Flink: a left bucket at t is removed once the watermark passes t + upper (t when
 * upper <= 0), a right bucket at s once it passes s − lower (s when lower >= 0): no future element
 * can match it then. Flink keeps the two sides' timers in two namespaces; Weir's keyed timers have
 * none, so a third MapState maps each cleanup time to the buckets it removes (written when a
 * bucket is created): exact for any number, where inverting t + upper is not. A timer with no such
 * entry was restored from a checkpoint of an earlier version, which derived buckets from the time
 * with Flink's ±1 ms bounds; it is handled that way.
 */
import { MapStateDescriptor, type KeyedStateBackend, type MapState } from '../../state/index.ts';
import type { Collector, TaskInfo } from '../api/functions.ts';
import type { ProcessJoinContext, ProcessJoinFunction } from '../api/two-input-functions.ts';
import { WeirError, preview } from '../../common/weir-error.ts';
import { RuntimeErrorCode } from '../errors.ts';
import type { OperatorContext, Output } from './operator.ts';
import { extractKey, requireBackend } from './keyed-operators.ts';
import { sideOutputId } from './side-output.ts';
import type { TwoInputStreamOperator } from './two-input-operators.ts';
import { callUser, lifecycle } from './operator.ts';
import { runtimeContextOf } from './keyed-operators.ts';

export interface IntervalJoinBounds {
  readonly lowerMs: number;
  readonly upperMs: number;
  readonly lowerInclusive: boolean;
  readonly upperInclusive: boolean;
}

/** A bucket a cleanup time removes: its side (0 left, 1 right) and timestamp. */
type BucketRef = [side: 0 | 1, timestamp: number];

export class IntervalJoinOperator implements TwoInputStreamOperator {
  private readonly lower: number;
  private readonly upper: number;
  private readonly lowerInclusive: boolean;
  private readonly upperInclusive: boolean;
  private backend!: KeyedStateBackend;
  private left!: MapState<number, unknown[]>;
  private right!: MapState<number, unknown[]>;
  /** Cleanup time → the buckets it removes. */
  private cleanup!: MapState<number, BucketRef[]>;
  private leftTs = 0;
  private rightTs = 0;
  private readonly collector: Collector<unknown>;
  private readonly joinCtx: ProcessJoinContext;
  constructor(
    private readonly keySelector1: (v: any) => unknown,
    private readonly keySelector2: (v: any) => unknown,
    bounds: IntervalJoinBounds,
    private readonly fn: ProcessJoinFunction<any, any, any>,
    private readonly out: Output<unknown>,
    private readonly info: TaskInfo,
  ) {
    this.lower = bounds.lowerMs;
    this.upper = bounds.upperMs;
    this.lowerInclusive = bounds.lowerInclusive;
    this.upperInclusive = bounds.upperInclusive;
    this.collector = { collect: (v) => this.out.collect(v, Math.max(this.leftTs, this.rightTs)) };
    this.joinCtx = {
      leftTimestamp: () => this.leftTs,
      rightTimestamp: () => this.rightTs,
      timestamp: () => Math.max(this.leftTs, this.rightTs),
      output: (tag, v) => this.out.sideOutput?.(sideOutputId(tag), v, Math.max(this.leftTs, this.rightTs)),
    };
  }

  open(ctx: OperatorContext): void {
    this.backend = requireBackend(ctx);
    this.left = this.backend.getState(new MapStateDescriptor<number, unknown[]>('interval-join-left'));
    this.right = this.backend.getState(new MapStateDescriptor<number, unknown[]>('interval-join-right'));
    this.cleanup = this.backend.getState(new MapStateDescriptor<number, BucketRef[]>('interval-join-cleanup'));
    const runtimeCtx = runtimeContextOf(this.info, this.backend);
    lifecycle(this.info, 'open()', this.fn.open && (() => this.fn.open!(runtimeCtx)));
  }

  processElement(value: unknown, ts: number | undefined): void {
    this.processElement1(value, ts);
  }

  processElement1(value: unknown, ts: number | undefined): void {
    this.process(value, ts, true);
  }

  processElement2(value: unknown, ts: number | undefined): void {
    this.process(value, ts, false);
  }

  processWatermark(wm: number): void {
    this.backend.timers.advanceWatermark(wm, (time: number) => this.removeBuckets(time));
    this.out.emitWatermark(wm);
  }

  /** A cleanup timer (the key is current): remove the buckets no future element can match. */
  private removeBuckets(time: number): void {
    const buckets = this.cleanup.get(time);
    if (buckets) {
      for (const [side, t] of buckets) (side === 0 ? this.left : this.right).remove(t);
      this.cleanup.remove(time);
      return;
    }
    // A timer of an earlier version's checkpoint (see the header): Flink's whole-ms bounds.
    const lower = this.lowerInclusive ? this.lower : this.lower + 1;
    const upper = this.upperInclusive ? this.upper : this.upper - 1;
    this.left.remove(upper <= 0 ? time : time - upper);
    this.right.remove(lower <= 0 ? time + lower : time);
  }

  close(): void {
    lifecycle(this.info, 'close()', this.fn.close && (() => this.fn.close!()));
  }

  private process(value: unknown, ts: number | undefined, isLeft: boolean): void {
    if (ts === undefined) throw this.noTimestamp(value, isLeft);
    this.backend.setCurrentKey(extractKey(this.info, isLeft ? this.keySelector1 : this.keySelector2, value));
    if (ts < this.backend.timers.currentWatermark()) return; // late: dropped, as Flink does
    const ours = isLeft ? this.left : this.right;
    const other = isLeft ? this.right : this.left;
    const bucket = ours.get(ts);
    ours.put(ts, bucket ? [...bucket, value] : [value]);
    if (!bucket) this.registerCleanup(isLeft, ts);
    for (const [t, entries] of other.entries()) {
      if (!(isLeft ? this.inBounds(ts, t) : this.inBounds(t, ts))) continue;
      for (const e of entries) {
        if (isLeft) this.join(value, e, ts, t);
        else this.join(e, value, t, ts);
      }
    }
  }

  /** Whether a right element at s joins a left element at t: s ∈ [t + lower, t + upper], ends per the flags. */
  private inBounds(t: number, s: number): boolean {
    const lo = t + this.lower;
    const hi = t + this.upper;
    return (s > lo || (this.lowerInclusive && s === lo)) && (s < hi || (this.upperInclusive && s === hi));
  }

  /** A new bucket: its cleanup timer, and the entry that says which bucket the timer removes. */
  private registerCleanup(isLeft: boolean, ts: number): void {
    const time = isLeft ? (this.upper > 0 ? ts + this.upper : ts) : (this.lower < 0 ? ts - this.lower : ts);
    const refs = this.cleanup.get(time);
    const ref: BucketRef = [isLeft ? 0 : 1, ts];
    this.cleanup.put(time, refs ? [...refs, ref] : [ref]);
    this.backend.timers.registerEventTimeTimer(time);
  }

  private join(left: unknown, right: unknown, leftTs: number, rightTs: number): void {
    this.leftTs = leftTs;
    this.rightTs = rightTs;
    callUser(this.info, 'processElement', { left, right }, () => this.fn.processElement(left, right, this.joinCtx, this.collector));
  }

  private noTimestamp(value: unknown, isLeft: boolean): WeirError {
    const side = isLeft ? 'left' : 'right';
    return new WeirError(
      RuntimeErrorCode.INVALID_GRAPH,
      `interval join '${this.info.operatorName}' (uid ${this.info.uid}, subtask ${this.info.subtask + 1}/${this.info.parallelism}) received a record without event timestamp on its ${side} input: ${preview(value)} — assign timestamps with assignTimestampsAndWatermarks() before intervalJoin()`,
      { operator: this.info.operatorName, uid: this.info.uid, subtask: this.info.subtask, input: side, record: preview(value) },
    );
  }
}
