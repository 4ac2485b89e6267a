/**
 * Error codes of the streaming runtime. Match on `code`; messages are for people.
 * Short names for the runtime's codes; every code Weir raises (with its description and
 * whether a restart can help) is registered in common/error-codes.ts (`ErrorCodes`).
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
  /** A source read input it cannot turn into a record (not restartable: it would be read again). */
  SOURCE_INVALID_RECORD: 'WEIR_SOURCE_INVALID_RECORD',
  /** A source cannot reach its external system, or lost the connection (restartable). */
  SOURCE_CONNECTION_FAILED: 'WEIR_SOURCE_CONNECTION_FAILED',
  /** A source's external system cannot work as configured: authentication, missing stream (not restartable). */
  SOURCE_MISCONFIGURED: 'WEIR_SOURCE_MISCONFIGURED',
  /** A sink failed. */
  SINK_FAILED: 'WEIR_SINK_FAILED',
  /** A sink was given a record it cannot write (not restartable: the record comes again). */
  SINK_INVALID_RECORD: 'WEIR_SINK_INVALID_RECORD',
  /** A sink cannot reach its external system, or lost the connection (restartable). */
  SINK_CONNECTION_FAILED: 'WEIR_SINK_CONNECTION_FAILED',
  /** A sink's target cannot work as configured: authentication, missing table or column (not restartable). */
  SINK_MISCONFIGURED: 'WEIR_SINK_MISCONFIGURED',
  /** The external system rejected a record: constraint or type (not restartable). */
  SINK_RECORD_REJECTED: 'WEIR_SINK_RECORD_REJECTED',
  /** A lookup (postgresLookup) failed for a reason a retry may fix (restartable). */
  LOOKUP_FAILED: 'WEIR_LOOKUP_FAILED',
  /** A lookup cannot reach its external system after its retries (restartable). */
  LOOKUP_CONNECTION_FAILED: 'WEIR_LOOKUP_CONNECTION_FAILED',
  /** A lookup cannot work as configured: authentication, missing table or column, bad query (not restartable). */
  LOOKUP_MISCONFIGURED: 'WEIR_LOOKUP_MISCONFIGURED',
  /** The external system rejected a lookup's parameters (not restartable). */
  LOOKUP_RECORD_REJECTED: 'WEIR_LOOKUP_RECORD_REJECTED',
  /** The job module could not be loaded in a worker, or does not export the job. */
  JOB_MODULE: 'WEIR_JOB_MODULE',
  /** The graph a worker rebuilt from the job module differs from the one on the main thread. */
  JOB_GRAPH_MISMATCH: 'WEIR_JOB_GRAPH_MISMATCH',
  /** A worker thread running subtasks exited or crashed. */
  WORKER_LOST: 'WEIR_WORKER_LOST',
  /** The job was cancelled. */
  JOB_CANCELLED: 'WEIR_JOB_CANCELLED',
  /** A checkpoint or savepoint was requested from a job that has ended. */
  JOB_NOT_RUNNING: 'WEIR_JOB_NOT_RUNNING',
  /** A control action reached a subtask whose loop has ended (its mailbox is closed). */
  TASK_ENDED: 'WEIR_TASK_ENDED',
  /** A record could not be encoded for the wire (e.g. a function or symbol inside it). */
  RECORD_NOT_SERIALIZABLE: 'WEIR_RECORD_NOT_SERIALIZABLE',
} as const;

export type RuntimeErrorCode = (typeof RuntimeErrorCode)[keyof typeof RuntimeErrorCode];

export function invalidGraph(message: string, details: Record<string, unknown> = {}): WeirError {
  return new WeirError(RuntimeErrorCode.INVALID_GRAPH, message, details);
}

/** Codes of the actor layer meaning "the worker hosting the actor died"; their `details.reason` describes how. */
const HOST_LOSS = new Set(['WEIR_ACTOR_HOST_DIED', 'WEIR_ACTOR_HOST_UNAVAILABLE', 'WEIR_ACTOR_WORKER_EXIT', 'WEIR_ACTOR_WORKER_ERROR']);

/**
 * A subtask's worker thread died. `reason` describes the host's death once ("host 1 (worker
 * thread 3) exited with exit code 1", actors/supervision.ts `describeHostDeath`); the actor
 * layer's own error stays the `cause`.
 */
export function workerLost(actorId: string, reason: string, details: Record<string, unknown>, cause: unknown): WeirError {
  // The actor layer's error says the same as `reason` ("actor … was lost: its host …"); loggers print
  // the cause chain after the message (pino), so chain the worker's own error instead.
  const hostLoss = cause instanceof WeirError && HOST_LOSS.has(cause.code);
  // Actor ids are `<vertex>#<subtask>@<attempt>` (job/attempt.ts): named as messages name subtasks (from 1).
  const id = /^(.*)#(\d+)@(\d+)$/.exec(actorId);
  const who = id ? `subtask ${Number(id[2]) + 1} of '${id[1]}' (attempt ${id[3]})` : `subtask ${actorId}`;
  return new WeirError(
    RuntimeErrorCode.WORKER_LOST,
    `${who} was lost: its ${reason}`,
    { ...(id ? { vertex: id[1], subtask: Number(id[2]), attempt: Number(id[3]) } : {}), actor: actorId, ...details, ...(hostLoss ? { actorError: cause.code } : {}) },
    { cause: hostLoss && cause.cause !== undefined ? cause.cause : cause },
  );
}

/** `error` as WEIR_WORKER_LOST when it says the actor's worker died (e.g. while the attempt deployed); otherwise unchanged. */
export function asWorkerLost(actorId: string, error: unknown): unknown {
  if (!(error instanceof WeirError) || !HOST_LOSS.has(error.code) || typeof error.details.reason !== 'string') return error;
  return workerLost(actorId, error.details.reason, { host: error.details.host }, error);
}

export function invalidArgument(message: string, details: Record<string, unknown> = {}): WeirError {
  return new WeirError(RuntimeErrorCode.INVALID_ARGUMENT, message, details);
}
