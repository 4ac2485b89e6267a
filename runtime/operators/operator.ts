/**
 * The operator contract inside a subtask. Operators of a chain call each other
 * directly through `Output`; the tail's output is the subtask's record writers.
 *
 * Call order: initializeState → open → (processElement | processWatermark |
 * onProcessingTime | snapshotState | notifyCheckpoint*)* → finish (end of input:
 * flush buffered results) → close. `snapshotState` runs between two elements,
 * never inside one.
 */
import type { KeyedStateBackend } from '../../state/index.ts';
import type { TaskInfo } from '../api/functions.ts';
import { WeirError, preview } from '../../common/weir-error.ts';
import { RuntimeErrorCode } from '../errors.ts';

export interface Output<T> {
  /** Emit a record (with its event timestamp, when there is one). */
  collect(value: T, timestamp: number | undefined): void;
  emitWatermark(watermark: number): void;
  /**
   * The watermark status of this output (Flink's `WatermarkStatus`): idle — no records for a
   * while, downstream does not wait for its watermark — or active again. Forwarded down the
   * chain to the record writers, which broadcast it; absent on outputs that end nowhere.
   */
  emitWatermarkStatus?(idle: boolean): void;
  /**
   * Emit a record to the side output `tagId` (Flink's `Output.collect(OutputTag, record)`).
   * Only a chain's tail routes it (to the edges of that tag): an operator whose side outputs
   * are consumed always ends its chain (graph/job-graph.ts). Absent or nobody consuming the
   * tag: the record is dropped, as in Flink. Call as `out.sideOutput?.(tag, v, ts)`.
   */
  sideOutput?(tagId: string, value: unknown, timestamp: number | undefined): void;
}

/** The narrow view an operator gets of its subtask. */
export interface OperatorContext {
  readonly info: TaskInfo;
  /** The subtask's keyed state backend (only for keyed operators). */
  readonly keyedState: KeyedStateBackend | undefined;
  /** Whether the job checkpoints (two-phase-commit sinks then commit on checkpoint completion only). */
  readonly checkpointingEnabled: boolean;
  /** Processing time (injected clock). */
  now(): number;
  currentWatermark(): number;
  /**
   * Have the task call `onProcessingTime` at (or soon after) `timestamp` (Flink's
   * `ProcessingTimeService.registerTimer`); it runs as a mail of the task loop.
   */
  requestProcessingTime(timestamp: number): void;
  /**
   * Run `action` as a mail of the subtask's loop (between two records; Flink's `MailboxExecutor`):
   * how asynchronous completions re-enter the subtask. A throw fails the subtask.
   */
  executeMail(description: string, action: () => void): void;
  /**
   * Resolves after at least one mail ran (Flink's `MailboxExecutor.yield`), for a `finish` that
   * waits for completions: true, or false at once when the subtask is stopping.
   */
  yieldToMailbox(): Promise<boolean>;
  /**
   * The subtask takes no more input (after the current record) until `freed` resolves; meanwhile
   * it runs mails and handles priority input, so checkpoints still complete (an async operator
   * at capacity).
   */
  blockInputUntil(freed: Promise<void>): void;
}

export interface StreamOperator<I = unknown> {
  /**
   * Restore (before `open`): the value this operator's `snapshotState` returned in the checkpoint
   * being restored, or undefined on a fresh start / for a new operator. With several old subtasks
   * (rescaling), `restored` holds what the old subtasks that map to this one returned, in subtask order.
   */
  initializeState?(restored: readonly unknown[] | undefined): void | Promise<void>;
  open?(ctx: OperatorContext): void | Promise<void>;
  /**
   * Synchronous part of checkpoint n (between two records): return JSON-serializable operator
   * state, stored under the operator's uid. Two-phase-commit sinks pre-commit here.
   */
  snapshotState?(checkpointId: number): unknown;
  /**
   * Asynchronous part of checkpoint n, after `snapshotState(n)`: a Promise that resolves once what the
   * snapshot started is durable (a two-phase-commit sink's asynchronous preCommit, e.g. PostgreSQL's
   * PREPARE TRANSACTION), or undefined when nothing is in flight. The subtask acknowledges n only
   * after it resolved (the wait counts in the checkpoint's asyncMs); a rejection fails the task and
   * declines n. Records after the barrier keep flowing meanwhile.
   */
  snapshotDurable?(checkpointId: number): Promise<void> | undefined;
  /** Checkpoint n is complete (best effort, subsuming: covers every checkpoint <= n). */
  notifyCheckpointComplete?(checkpointId: number): void | Promise<void>;
  notifyCheckpointAborted?(checkpointId: number): void | Promise<void>;
  processElement(value: I, timestamp: number | undefined): void;
  /** Default: forward. Keyed operators fire event-time timers first. */
  processWatermark?(watermark: number): void;
  /** Default: forward. The watermark assigner drops it (it decides its output's status itself). */
  processWatermarkStatus?(idle: boolean): void;
  /** Fire due processing-time timers; returns the next timer time or undefined. */
  onProcessingTime?(now: number): number | undefined;
  /** End of input: emit anything still buffered. */
  finish?(): void | Promise<void>;
  close?(): void | Promise<void>;
}

/** The `record` of a call that has none (open(), close()): messages then name no record. */
export const NO_RECORD: unique symbol = Symbol('no record');

const onRecord = (record: unknown, word = 'on'): string => (record === NO_RECORD ? '' : ` ${word} record ${preview(record)}`);
const recordDetail = (record: unknown): { record?: string } => (record === NO_RECORD ? {} : { record: preview(record) });

/** Wraps a failure of a user function with the operator, subtask and (truncated) record. */
export function userFunctionFailed(info: TaskInfo, what: string, record: unknown, cause: unknown): WeirError {
  // A typed error keeps its code: one a chained downstream operator raised through the collector
  // (its sink's connection failed, its own user function threw), or one a connector or Weir's API
  // raised inside the function (a lookup's WEIR_LOOKUP_*, a state access). Whether a restart can
  // help stays the call of whoever raised it. One that names no operator gets this one's name.
  if (cause instanceof WeirError) {
    if (cause.details.operator !== undefined) return cause;
    return new WeirError(cause.code,
      `${what} of operator '${info.operatorName}' (uid ${info.uid}, subtask ${info.subtask + 1}/${info.parallelism}) failed${onRecord(record)}: ${cause.message}`,
      { ...cause.details, operator: info.operatorName, uid: info.uid, subtask: info.subtask, ...recordDetail(record) }, { cause });
  }
  const msg = cause instanceof Error ? cause.message : String(cause);
  return new WeirError(
    RuntimeErrorCode.USER_FUNCTION_FAILED,
    `${what} of operator '${info.operatorName}' (uid ${info.uid}, subtask ${info.subtask + 1}/${info.parallelism}) threw${onRecord(record)}: ${msg}`,
    { operator: info.operatorName, uid: info.uid, subtask: info.subtask, ...recordDetail(record), cause: msg },
    { cause },
  );
}

/**
 * A keyBy's key selector failed where it runs first: in the upstream subtask, choosing the channel
 * (Flink's KeyGroupStreamPartitioner runs there too). The error names the keyed operator the
 * selector belongs to (`details.operator`, `uid`) and the subtask that ran it (`details.upstream`);
 * a typed cause (WEIR_INVALID_KEY …) keeps its code.
 */
export function keySelectorFailed(keyed: { readonly name: string; readonly uid: string }, runBy: TaskInfo, record: unknown, cause: unknown): WeirError {
  const msg = cause instanceof Error ? cause.message : String(cause);
  const upstream = { operator: runBy.operatorName, uid: runBy.uid, subtask: runBy.subtask };
  const code = cause instanceof WeirError ? cause.code : RuntimeErrorCode.USER_FUNCTION_FAILED;
  return new WeirError(code,
    `key selector (keyBy) of operator '${keyed.name}' (uid ${keyed.uid}) ${cause instanceof WeirError ? 'failed' : 'threw'} in subtask ${runBy.subtask + 1}/${runBy.parallelism} of upstream operator '${runBy.operatorName}' (uid ${runBy.uid})${onRecord(record)}: ${msg}`,
    { ...(cause instanceof WeirError ? cause.details : {}), operator: keyed.name, uid: keyed.uid, upstream, ...recordDetail(record), cause: msg },
    { cause });
}

/** Calls a user function and turns a throw or a returned Promise into Weir's errors. */
export function callUser<R>(info: TaskInfo, what: string, record: unknown, call: () => R): R {
  let r: R;
  try {
    r = call();
  } catch (e) {
    throw userFunctionFailed(info, what, record, e);
  }
  if (isThenable(r)) throw asyncUserFunction(info, what, record);
  return r;
}

/** `open()` / `close()` of a user function, failures wrapped. */
export function lifecycle(info: TaskInfo, what: 'open()' | 'close()', call: (() => unknown) | undefined): void {
  if (call) callUser(info, what, NO_RECORD, call);
}

export function asyncUserFunction(info: TaskInfo, what: string, record: unknown): WeirError {
  return new WeirError(
    RuntimeErrorCode.ASYNC_USER_FUNCTION,
    `${what} of operator '${info.operatorName}' (uid ${info.uid}, subtask ${info.subtask + 1}/${info.parallelism}) returned a Promise${onRecord(record, 'for')}: Weir user functions must be synchronous (do async I/O in a source or sink)`,
    { operator: info.operatorName, uid: info.uid, subtask: info.subtask },
  );
}

export function isThenable(v: unknown): boolean {
  return v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function';
}
