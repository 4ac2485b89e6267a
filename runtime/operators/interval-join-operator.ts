/**
 * Flink's `IntervalJoinOperator` (event time): for a left element at t, every right element of the
 * same key at s ∈ [t + lower, t + upper] (bounds inclusive unless made exclusive) is joined, and
 * `ProcessJoinFunction.processElement(left, right)` is called once per pair; results carry
 * max(t, s). Both sides are buffered in keyed state — a MapState per side, timestamp → the
 * elements at that timestamp — and an element is joined on arrival against the other side's
 * buffer. Elements later than the watermark (timestamp < watermark) are dropped, as in Flink.
 *
 * Cleanup, as Flink: a left element at t registers an event-time timer at t + upper (t when
 * upper <= 0), a right element at s one at s − lower (s when lower >= 0); when the watermark
 * passes it, no future element can match and the bucket is removed. Flink keeps the two sides'
 * timers in two namespaces; Weir's keyed timers have none, so one timer at T removes the left
 * bucket whose cleanup time is T and the right bucket whose cleanup time is T. The cleanup
 * time is a bijection of the bucket's timestamp on each side, so a bucket is removed exactly when
 * Flink removes it.
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

export class IntervalJoinOperator implements TwoInputStreamOperator {
  /** Inclusive bounds (an exclusive bound moved by 1 ms, as Flink does). */
  private readonly lower: number;
  private readonly upper: number;
  private backend!: KeyedStateBackend;
  private left!: MapState<number, unknown[]>;
  private right!: MapState<number, unknown[]>;
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
    this.lower = bounds.lowerInclusive ? bounds.lowerMs : bounds.lowerMs + 1;
    this.upper = bounds.upperInclusive ? bounds.upperMs : bounds.upperMs - 1;
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
    const { lower, upper } = this;
    this.backend.timers.advanceWatermark(wm, (t: number) => {
      this.left.remove(upper <= 0 ? t : t - upper);
      this.right.remove(lower <= 0 ? t + lower : t);
    });
    this.out.emitWatermark(wm);
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
    const relLower = isLeft ? this.lower : -this.upper;
    const relUpper = isLeft ? this.upper : -this.lower;
    const bucket = ours.get(ts);
    ours.put(ts, bucket ? [...bucket, value] : [value]);
    for (const [t, entries] of other.entries()) {
      if (t < ts + relLower || t > ts + relUpper) continue;
      for (const e of entries) {
        if (isLeft) this.join(value, e, ts, t);
        else this.join(e, value, t, ts);
      }
    }
    this.backend.timers.registerEventTimeTimer(relUpper > 0 ? ts + relUpper : ts);
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
