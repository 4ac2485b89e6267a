/**
 * The operator contract inside a subtask. Operators of a chain call each other
 * directly through `Output`; the tail's output is the subtask's record writers.
 *
 * Call order: open → (processElement | processWatermark | onProcessingTime)* →
 * finish (end of input: flush buffered results) → close. `snapshotState` may be
 * called between any two elements (never inside one).
 */
import type { KeyedStateBackend, OperatorStateStore } from '../../state/index.ts';
import type { TaskInfo } from '../api/functions.ts';
import { WeirError, preview } from '../../common/weir-error.ts';
import { RuntimeErrorCode } from '../errors.ts';

export interface Output<T> {
  /** Emit a record (with its event timestamp, when there is one). */
  collect(value: T, timestamp: number | undefined): void;
  emitWatermark(watermark: number): void;
}

/** The narrow view an operator gets of its subtask. */
export interface OperatorContext {
  readonly info: TaskInfo;
  /** The subtask's keyed state backend (only for keyed operators). */
  readonly keyedState: KeyedStateBackend | undefined;
  readonly operatorState: OperatorStateStore;
  /** Processing time (injected clock). */
  now(): number;
  currentWatermark(): number;
}

export interface StreamOperator<I = unknown> {
  open?(ctx: OperatorContext): void | Promise<void>;
  processElement(value: I, timestamp: number | undefined): void;
  /** Default: forward. Keyed operators fire event-time timers first. */
  processWatermark?(watermark: number): void;
  /** Fire due processing-time timers; returns the next timer time or undefined. */
  onProcessingTime?(now: number): number | undefined;
  /** End of input: emit anything still buffered. */
  finish?(): void | Promise<void>;
  close?(): void | Promise<void>;
}

/** Wraps a failure of a user function with the operator, subtask and (truncated) record. */
export function userFunctionFailed(info: TaskInfo, what: string, record: unknown, cause: unknown): WeirError {
  if (cause instanceof WeirError && cause.code === RuntimeErrorCode.USER_FUNCTION_FAILED) return cause;
  const msg = cause instanceof Error ? cause.message : String(cause);
  return new WeirError(
    RuntimeErrorCode.USER_FUNCTION_FAILED,
    `${what} of operator '${info.operatorName}' (uid ${info.uid}, subtask ${info.subtask + 1}/${info.parallelism}) threw on record ${preview(record)}: ${msg}`,
    { operator: info.operatorName, uid: info.uid, subtask: info.subtask, record: preview(record), cause: msg },
    { cause },
  );
}

export function asyncUserFunction(info: TaskInfo, what: string, record: unknown): WeirError {
  return new WeirError(
    RuntimeErrorCode.ASYNC_USER_FUNCTION,
    `${what} of operator '${info.operatorName}' (uid ${info.uid}, subtask ${info.subtask + 1}/${info.parallelism}) returned a Promise for record ${preview(record)}: Weir user functions must be synchronous (do async I/O in a source or sink)`,
    { operator: info.operatorName, uid: info.uid, subtask: info.subtask },
  );
}

export function isThenable(v: unknown): boolean {
  return v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function';
}
