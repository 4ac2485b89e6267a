/**
 * Error codes of the streaming runtime. Match on `code`; messages are for people.
 *
 * Every error raised because of a user's job (bad graph, throwing function,
 * bad record) names the operator, the subtask and what was wrong.
 */
import { WeirError } from '../common/weir-error.ts';

export const RuntimeErrorCode = {
  /** The job graph is invalid (keyed op without keyBy, parallelism > max parallelism, no sink …). Raised before anything runs. */
  INVALID_GRAPH: 'WEIR_INVALID_GRAPH',
  /** An option passed to execute()/an operator is invalid. */
  INVALID_ARGUMENT: 'WEIR_INVALID_ARGUMENT',
  /** A user function threw while processing a record. */
  USER_FUNCTION_FAILED: 'WEIR_USER_FUNCTION_FAILED',
  /** A user function returned a Promise: Weir user functions are synchronous (like Flink's processElement). */
  ASYNC_USER_FUNCTION: 'WEIR_ASYNC_USER_FUNCTION',
  /** A source failed to open or read. */
  SOURCE_FAILED: 'WEIR_SOURCE_FAILED',
  /** A sink failed. */
  SINK_FAILED: 'WEIR_SINK_FAILED',
  /** The job module could not be loaded in a worker, or does not export the job. */
  JOB_MODULE: 'WEIR_JOB_MODULE',
  /** The graph a worker rebuilt from the job module differs from the one on the main thread. */
  JOB_GRAPH_MISMATCH: 'WEIR_JOB_GRAPH_MISMATCH',
  /** A worker thread running subtasks exited or crashed. */
  WORKER_LOST: 'WEIR_WORKER_LOST',
  /** The job was cancelled. */
  JOB_CANCELLED: 'WEIR_JOB_CANCELLED',
  /** A record could not be encoded for the wire (e.g. a function or symbol inside it). */
  RECORD_NOT_SERIALIZABLE: 'WEIR_RECORD_NOT_SERIALIZABLE',
} as const;

export type RuntimeErrorCode = (typeof RuntimeErrorCode)[keyof typeof RuntimeErrorCode];

export function invalidGraph(message: string, details: Record<string, unknown> = {}): WeirError {
  return new WeirError(RuntimeErrorCode.INVALID_GRAPH, message, details);
}

export function invalidArgument(message: string, details: Record<string, unknown> = {}): WeirError {
  return new WeirError(RuntimeErrorCode.INVALID_ARGUMENT, message, details);
}
