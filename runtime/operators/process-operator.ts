/**
 * Flink's ProcessOperator for a non-keyed `ProcessFunction`: one record at a time, with its
 * timestamp, the current watermark and processing time, and side outputs. No state, no timers.
 */
import type { Collector, TaskInfo } from '../api/functions.ts';
import type { ProcessContext, ProcessFunction } from '../api/process-function.ts';
import { asyncUserFunction, NO_RECORD, isThenable, lifecycle, userFunctionFailed, type OperatorContext, type Output, type StreamOperator } from './operator.ts';
import { sideOutputId } from './side-output.ts';
import { WeirError } from '../../common/weir-error.ts';

/**
 * The time queries of a non-keyed function's context. The timer calls JavaScript callers can still
 * make (they are not in the types) fail with what to do, not "is not a function" (Flink: "Setting
 * timers is only supported on a keyed streams").
 */
export function nonKeyedTimeQueries(ctx: () => OperatorContext): { currentProcessingTime(): number; currentWatermark(): number } {
  const noTimers = (): never => {
    throw new WeirError('WEIR_INVALID_TIMER', 'timers need a keyed stream: call keyBy(...) before process(...) (a non-keyed function has no timers, as in Flink)');
  };
  return {
    currentProcessingTime: () => ctx().now(),
    currentWatermark: () => ctx().currentWatermark(),
    ...{ registerEventTimeTimer: noTimers, registerProcessingTimeTimer: noTimers, deleteEventTimeTimer: noTimers, deleteProcessingTimeTimer: noTimers },
  };
}

export class ProcessOperator implements StreamOperator {
  private ctx: OperatorContext | undefined;
  private currentTimestamp: number | undefined;
  private readonly collector: Collector<unknown>;
  private readonly processCtx: ProcessContext;
  constructor(private readonly fn: ProcessFunction<any, any>, private readonly out: Output<unknown>, private readonly info: TaskInfo) {
    this.collector = { collect: (v) => this.out.collect(v, this.currentTimestamp) };
    const times = nonKeyedTimeQueries(() => this.ctx!);
    this.processCtx = {
      timestamp: () => this.currentTimestamp,
      timerService: () => times,
      output: (tag, v) => this.out.sideOutput?.(sideOutputId(tag), v, this.currentTimestamp),
    };
  }
  open(ctx: OperatorContext): void {
    this.ctx = ctx;
    lifecycle(this.info, 'open()', this.fn.open && (() => this.fn.open!({ taskInfo: this.info })));
  }
  processElement(value: unknown, ts: number | undefined): void {
    this.currentTimestamp = ts;
    let r: unknown;
    try {
      r = this.fn.processElement(value, this.processCtx, this.collector);
    } catch (e) {
      throw userFunctionFailed(this.info, 'processElement', value, e);
    }
    if (isThenable(r)) throw asyncUserFunction(this.info, 'processElement', value);
  }
  close(): void {
    if (!this.fn.close) return;
    try {
      this.fn.close();
    } catch (e) {
      throw userFunctionFailed(this.info, 'close()', NO_RECORD, e);
    }
  }
}
