/**
 * The one registry of every error code Weir raises (undici's `errors` export is
 * the model): each code with a one-line description, the area it belongs to,
 * and whether a failover can help (`restartable`).
 *
 * - The job master consults `restartable` to decide between restarting an
 *   attempt (restart strategy permitting) and failing the job at once
 *   ({@link isRestartable}); an unknown code counts as restartable, like
 *   Flink treats an arbitrary task exception.
 * - README.md's "Errors" list is generated from this table (`npm run docs:errors`);
 *   test/error-codes.test.ts fails when the README is stale or when the source
 *   raises a code that is missing here.
 *
 * Match on `code`, never on the message: codes are stable, messages are for people.
 */

/** Where a code comes from (the README groups the list by it). */
export type ErrorArea = 'job' | 'checkpoint' | 'state' | 'runtime' | 'actors' | 'cli';

export interface ErrorCodeInfo {
  /** One line: when the code is raised. */
  readonly description: string;
  readonly area: ErrorArea;
  /** Whether a failover (a new attempt from the latest checkpoint) can help when a subtask fails with it. */
  readonly restartable: boolean;
}

const job = (description: string, restartable: boolean): ErrorCodeInfo => ({ description, area: 'job', restartable });
const checkpoint = (description: string, restartable: boolean): ErrorCodeInfo => ({ description, area: 'checkpoint', restartable });
const state = (description: string, restartable: boolean): ErrorCodeInfo => ({ description, area: 'state', restartable });
const runtime = (description: string, restartable: boolean): ErrorCodeInfo => ({ description, area: 'runtime', restartable });
const actors = (description: string, restartable: boolean): ErrorCodeInfo => ({ description, area: 'actors', restartable });
const cli = (description: string): ErrorCodeInfo => ({ description, area: 'cli', restartable: false });

export const ErrorCodes = {
  // ---- jobs: definition, options, execution ----
  WEIR_INVALID_GRAPH: job('The job graph is invalid (keyed operation without keyBy, parallelism above max parallelism, no sink, the build function threw); raised before anything runs.', false),
  WEIR_INVALID_ARGUMENT: job('An argument or option is invalid (execute() options, params that cannot be cloned, an operator argument, a client call on a job without checkpointing).', false),
  WEIR_USER_FUNCTION_FAILED: job('A user function threw while processing a record; names the operator, uid, subtask and record.', true),
  WEIR_ASYNC_USER_FUNCTION: job('A user function returned a Promise: user functions are synchronous (like Flink\'s processElement).', false),
  WEIR_ASYNC_TIMEOUT: job('A request of an async I/O operator (AsyncDataStream) did not complete within its timeout and the function has no timeout() hook; names the operator, subtask and input.', true),
  WEIR_PUSH_REPLAY_UNAVAILABLE: job('A push source restarts from a position whose records this process no longer holds (restored from an older checkpoint or savepoint than the records kept); the app must push again from `pushPosition(name)`.', false),
  WEIR_SOURCE_FAILED: job('A source failed to open or read (missing file, a throwing generator).', true),
  WEIR_SOURCE_INVALID_RECORD: job('A source read input it cannot turn into a record (an invalid JSON line: details name the file and byte offset); a restart would read it again, so the job fails at once. Read such files as lines and parse them yourself to route bad ones aside.', false),
  WEIR_SOURCE_CONNECTION_FAILED: job('A source cannot reach its external system or lost the connection (refused, reset, timed out, the server went away); names the source and host:port, never the password.', true),
  WEIR_SOURCE_MISCONFIGURED: job('A source\'s external system cannot work as configured (authentication rejected, a bounded Redis stream missing, a key that is not a stream); raised when the source opens.', false),
  WEIR_SINK_FAILED: job('A sink failed to write, pre-commit, commit or abort.', true),
  WEIR_SINK_INVALID_RECORD: job('A sink was given a record it cannot write (no JSON form; a CSV record that is not an object, lacks a column or holds a nested value: details name the column); a restart would meet it again, so the job fails at once.', false),
  WEIR_SINK_CONNECTION_FAILED: job('A sink cannot reach its external system or lost the connection (refused, reset, timed out); names the sink and host:port/database, never the password.', true),
  WEIR_SINK_MISCONFIGURED: job('A sink\'s target cannot work as configured (authentication rejected, database, table or column missing, PostgreSQL max_prepared_transactions = 0); raised when the sink opens.', false),
  WEIR_SINK_RECORD_REJECTED: job('The sink\'s external system rejected a record (a constraint such as NOT NULL or UNIQUE, a value of the wrong type); names the sink and the record.', false),
  WEIR_LOOKUP_FAILED: job('A lookup of an async I/O function failed for a reason a retry may fix (postgresLookup: a server error other than those below); names the operator, subtask and input.', true),
  WEIR_LOOKUP_CONNECTION_FAILED: job('A lookup cannot reach its external system or lost the connection, after its retries (postgresLookup); names the operator, subtask and host:port/database, never the password.', true),
  WEIR_LOOKUP_MISCONFIGURED: job('A lookup cannot work as configured (authentication rejected, database, table or column missing, a query that does not parse); raised when the function opens.', false),
  WEIR_LOOKUP_RECORD_REJECTED: job('The external system rejected the parameters a lookup derived from an input (a value of the wrong type); names the operator and the input.', false),
  WEIR_JOB_MODULE: job('The job module could not be imported in a worker, or does not define the job at top level.', false),
  WEIR_JOB_GRAPH_MISMATCH: job('The graph a worker rebuilt from the job module differs from the main thread\'s (non-deterministic build function).', false),
  WEIR_WORKER_LOST: job('A worker thread running subtasks exited or crashed (process.exit, out of memory, native crash).', true),
  WEIR_JOB_CANCELLED: job('The job was cancelled (what a pending `running` rejects with; checkpoint and savepoint requests made before it ran reject with WEIR_JOB_NOT_RUNNING).', false),
  WEIR_TASK_ENDED: runtime('A control action reached a subtask after its loop ended (its mailbox is closed); the job master treats it as a late call.', false),
  WEIR_JOB_NOT_RUNNING: job('A checkpoint or savepoint was requested from a job that has ended, is stopping with a savepoint, or ended while the request waited for it to run.', false),
  WEIR_JOB_FAILED: job('The job failed and will not be restarted, with a cause that carried no code of its own.', false),
  WEIR_JOB_ID_IN_USE: job('Another running job (in this process, or another process holding the lock file in its checkpoint or state directory) has this job id; ids must be unique among running jobs.', false),
  WEIR_RECORD_NOT_SERIALIZABLE: job('A record could not be encoded for a channel (a function, symbol or other non-cloneable value inside it).', true),
  WEIR_INVALID_RESTART_STRATEGY: job('The restartStrategy option is invalid.', false),
  WEIR_LOG_LEVEL_INVALID: job('WEIR_LOG_LEVEL holds an unknown log level.', false),
  WEIR_TYPESCRIPT_LOADER_MISSING: job('The job module is TypeScript and no loader can reach the worker threads that import it (run the app under tsx or Node\'s type stripping, or compile the job); raised by execute() before anything runs.', false),

  // ---- checkpoints, savepoints, restore ----
  WEIR_INVALID_CHECKPOINT_CONFIG: checkpoint('The checkpointing option is invalid (interval below 10 ms, unaligned with maxConcurrent > 1, …).', false),
  WEIR_CHECKPOINT_FAILED: checkpoint('A checkpoint or savepoint failed or was aborted; `details.reason` is Flink\'s CheckpointFailureReason (CHECKPOINT_EXPIRED, …).', true),
  WEIR_TOO_MANY_CHECKPOINT_FAILURES: checkpoint('More consecutive checkpoints failed than `tolerableFailures` allows: the job fails over.', true),
  WEIR_FINAL_CHECKPOINT_FAILED: checkpoint('The final checkpoint of a bounded job failed after its retries.', true),
  WEIR_CHECKPOINT_CORRUPT: checkpoint('A checkpoint\'s `_metadata` or one of its files is corrupt (checksum or size mismatch, unreadable).', false),
  WEIR_CHECKPOINT_INCOMPLETE: checkpoint('A checkpoint directory has no `_metadata` or misses a file it references.', false),
  WEIR_CHECKPOINT_NOT_FOUND: checkpoint('No checkpoint or savepoint at the given path.', false),
  WEIR_CHECKPOINT_WRITE_FAILED: checkpoint('Writing a checkpoint\'s `_metadata` failed (disk full, permissions).', true),
  WEIR_INVALID_CHECKPOINT_METADATA: checkpoint('Checkpoint metadata to be written is inconsistent (wrong job or id, invalid file entries).', true),
  WEIR_RESTORE_NOTHING: checkpoint('`restore: \'latest\'` found no complete checkpoint of the job (or checkpointing is off).', false),
  WEIR_RESTORE_UNMATCHED_STATE: checkpoint('Restored state belongs to no operator uid of the job (pass allowNonRestoredState to drop it).', false),
  WEIR_RESTORE_INCOMPATIBLE: checkpoint('The checkpoint cannot be restored into this job (max parallelism changed, or in-flight data of an unaligned checkpoint belongs to a chain that changed).', false),
  WEIR_BARRIER_INVALID: checkpoint('A malformed checkpoint barrier reached a subtask (internal).', true),
  WEIR_BARRIER_HANDLER_REENTERED: checkpoint('A barrier-handler controller called back into the handler (internal).', true),
  WEIR_BARRIER_END_POSITION_REQUIRED: checkpoint('End of partition on a channel being captured for an unaligned checkpoint came without its position (internal).', true),
  WEIR_BARRIER_UNSUPPORTED_ALIGNMENT: checkpoint('An at-least-once subtask received an unaligned barrier (internal).', true),
  WEIR_CHANNEL_STATE_BAD_END: checkpoint('Channel-state capture ended at an impossible position (internal).', true),
  WEIR_CHANNEL_STATE_DUPLICATE: checkpoint('Channel state of a channel was captured twice for one checkpoint (internal).', true),
  WEIR_CHANNEL_STATE_END_CONFLICT: checkpoint('Two different capture ends were reported for one channel and checkpoint (internal).', true),
  WEIR_CHANNEL_STATE_INCOMPLETE: checkpoint('Channel state was taken before every captured channel ended (internal).', true),
  WEIR_CHANNEL_STATE_UNKNOWN_CHANNEL: checkpoint('Channel state names a channel the subtask does not have.', true),
  WEIR_CHANNEL_STATE_UNKNOWN_CHECKPOINT: checkpoint('Channel state was requested for a checkpoint that is not being captured (internal).', true),

  // ---- state ----
  WEIR_INVALID_STATE_DESCRIPTOR: state('A state descriptor is invalid (name, TTL, reduce/aggregate functions).', false),
  WEIR_STATE_DESCRIPTOR_CONFLICT: state('The same state name was registered with a different kind or configuration.', false),
  WEIR_TOO_MANY_STATES: state('An operator registered more states than a backend supports.', false),
  WEIR_INVALID_STATE_VALUE: state('A value cannot be stored in state (undefined, a function, a symbol …); the same record would bring it again after a restart, so the job fails at once.', false),
  WEIR_NO_CURRENT_KEY: state('Keyed state or timers were used outside a keyed context (in open() or close(), or a backend used without setCurrentKey): a programming error a restart cannot fix.', false),
  WEIR_KEY_OUT_OF_RANGE: state('A key belongs to a key group outside the subtask\'s range (internal routing error).', true),
  WEIR_INVALID_KEY: state('A key cannot be used (undefined, NaN, a function, an object without a stable identity, a string with a lone surrogate …); the record would bring it again after a restart, so the job fails at once.', false),
  WEIR_KEY_TOO_LARGE: state('An encoded key exceeds LMDB\'s key size limit (also when a savepoint of heap state is restored into LMDB); a restart would meet it again, so the job fails at once.', false),
  WEIR_INVALID_KEY_GROUP: state('A key group or key-group range is invalid.', false),
  WEIR_INVALID_PARALLELISM: state('A parallelism or max parallelism is invalid for key-group or operator-state assignment.', false),
  WEIR_INVALID_TIMER: state('A timer was registered with an invalid timestamp (not a finite number), or in a function of a non-keyed stream (timers need keyBy, as in Flink); a restart would meet it again, so the job fails at once.', false),
  WEIR_STATE_CORRUPT: state('A state snapshot file or stored value cannot be decoded.', true),
  WEIR_STATE_MISSING: state('A state snapshot file referenced by a checkpoint is missing.', true),
  WEIR_STATE_INCOMPATIBLE: state('Restored state does not fit the operator (kind, format or key-group layout differs).', false),
  WEIR_STATE_OPEN_FAILED: state('The LMDB environment of a subtask could not be opened.', true),
  WEIR_STATE_WRITE_FAILED: state('Writing a state snapshot file failed.', true),
  WEIR_STATE_DELETE_FAILED: state('Deleting shared state files of discarded checkpoints failed.', true),
  WEIR_BROADCAST_STATE_UNKNOWN: state('getBroadcastState was called with a descriptor not given to broadcast(...) for this stream (names the operator and the known names).', false),
  WEIR_BROADCAST_STATE_READ_ONLY: state('Broadcast state was written from processElement or onTimer: only processBroadcastElement may write it (every subtask must see the same writes).', false),
  WEIR_BROADCAST_STATE_TOO_LARGE: state('A write would take an operator\'s broadcast state (held whole on every subtask, stored in every checkpoint) past its bound (`broadcast(...).withMaxStateBytes`, default 16 MiB); the write is refused.', false),
  WEIR_SNAPSHOT_ABORTED: state('A state snapshot was read after its checkpoint was aborted.', true),
  WEIR_SNAPSHOT_DUPLICATE: state('A snapshot for the same checkpoint was started twice (internal).', true),
  WEIR_SNAPSHOT_IN_BATCH: state('A snapshot was requested inside a state write batch (internal).', true),
  WEIR_BACKEND_DISPOSED: state('A keyed-state backend was used after it was disposed.', true),
  WEIR_NOT_SERIALIZABLE: state('A value cannot be written to checkpoint metadata or operator state (exact JSON).', true),

  // ---- runtime internals: channels, stream elements ----
  WEIR_INVALID_ELEMENT: runtime('A stream element (barrier, watermark, marker) to encode is invalid (internal).', true),
  WEIR_CORRUPT_ELEMENT: runtime('A stream element read from a channel cannot be decoded (internal).', true),
  WEIR_UNKNOWN_ELEMENT_KIND: runtime('A channel frame carries an unknown element kind (internal).', true),
  WEIR_CORRUPT_RECORD_BATCH: runtime('A record batch read from a channel or from checkpointed channel state cannot be decoded.', true),
  WEIR_INVALID_TIMESTAMP: runtime('A record timestamp is not a finite number.', true),

  // ---- actors: workers, control plane, rings ----
  WEIR_ACTOR_WORKER_EXIT: actors('An actor was lost because its worker thread exited.', true),
  WEIR_ACTOR_WORKER_ERROR: actors('An actor was lost because its worker thread crashed (uncaught error, out of memory).', true),
  WEIR_ACTOR_HOST_DIED: actors('An actor host\'s worker died.', true),
  WEIR_ACTOR_HOST_ENDED: actors('An actor host task ended without a shutdown request.', true),
  WEIR_ACTOR_HOST_UNAVAILABLE: actors('An actor host is unavailable (it died before it was ready, or its restarts are exhausted).', true),
  WEIR_ACTOR_HOST_UNRESPONSIVE: actors('An actor host did not answer in time.', true),
  WEIR_ACTOR_HOST_START_TIMEOUT: actors('An actor host did not start in time.', true),
  WEIR_ACTOR_HOST_SHUTTING_DOWN: actors('A spawn or call reached an actor host that is shutting down.', true),
  WEIR_ACTOR_HOST_INVALID: actors('A spawn named a host index that does not exist.', false),
  WEIR_ACTOR_HOST_LOADED_AS_CJS: actors('The actor host module was transpiled to CommonJS (it must load as ESM).', false),
  WEIR_ACTOR_SYSTEM_START_FAILED: actors('The actor system (worker pool) failed to start.', true),
  WEIR_ACTOR_SYSTEM_OPTIONS_INVALID: actors('Actor system options are invalid.', false),
  WEIR_ACTOR_SYSTEM_SHUT_DOWN: actors('The actor system was used after shutdown.', true),
  WEIR_ACTOR_SYSTEM_DESTROY_TIMEOUT: actors('The worker pool did not shut down in time.', true),
  WEIR_ACTOR_ABANDONED: actors('An actor did not stop within the shutdown grace period; its worker was terminated.', true),
  WEIR_ACTOR_STOP_TIMEOUT: actors('An actor did not stop in time.', true),
  WEIR_ACTOR_NOT_RUNNING: actors('A call reached an actor that is not running.', true),
  WEIR_ACTOR_NOT_FOUND: actors('A call named an actor the host does not know.', true),
  WEIR_ACTOR_NOT_DEFINED: actors('An actor module does not export an actor factory.', false),
  WEIR_ACTOR_DUPLICATE_ID: actors('An actor id is already in use.', true),
  WEIR_ACTOR_ID_INVALID: actors('An actor id is empty or invalid.', false),
  WEIR_ACTOR_METHOD_NOT_FOUND: actors('A control call named a method the actor does not have.', false),
  WEIR_ACTOR_MODULE_INVALID: actors('An actor module URL is invalid.', false),
  WEIR_ACTOR_MODULE_LOAD_FAILED: actors('An actor module could not be imported in a worker.', false),
  WEIR_ACTOR_FACTORY_INVALID: actors('An actor factory is not a function.', false),
  WEIR_ACTOR_BEHAVIOR_INVALID: actors('An actor factory returned something that is not an actor.', false),
  WEIR_CONTROL_PLANE_ERROR: actors('A control-plane call failed (the value could not be cloned, the callee threw).', true),
  WEIR_CONTROL_PLANE_CLOSED: actors('A control-plane call was made on a closed port.', true),
  WEIR_CHANNEL_SPEC: actors('An object passed as a channel is not a channel spec (internal).', false),
  WEIR_DOORBELL_LAYOUT: actors('A doorbell SharedArrayBuffer has the wrong layout (internal).', false),
  WEIR_DOORBELL_NOT_SHARED: actors('A doorbell was created on a non-shared buffer (internal).', false),
  WEIR_RING_INVALID: actors('A ring buffer was created with an invalid size or buffer.', false),
  WEIR_RING_CAPACITY: actors('A frame does not fit the ring buffer (internal).', true),
  WEIR_RING_CLOSED: actors('A ring buffer was written or read after it was closed.', true),
  WEIR_RING_CORRUPT: actors('A ring buffer\'s frame headers are inconsistent (internal).', true),
  WEIR_RING_FRAME_KIND: actors('A ring frame has an invalid kind (internal).', true),
  WEIR_RING_FRAME_PAYLOAD: actors('A ring frame payload is invalid (internal).', true),

  // ---- the REST endpoint (execute({ rest })) ----
  WEIR_REST_INSECURE: job('execute({ rest }) binds a non-loopback host without a token: pass rest.token (every request must then carry `Authorization: Bearer <token>`); raised by execute().', false),
  WEIR_REST_LISTEN_FAILED: job('The REST endpoint could not listen on its host and port (in use, not permitted); the job fails before it deploys.', false),
  WEIR_REST_UNAUTHORIZED: job('A REST request came without the endpoint\'s bearer token, or with a wrong one (HTTP 401).', false),
  WEIR_REST_NOT_FOUND: job('A REST request named an unknown path, job id or asset (HTTP 404).', false),
  WEIR_REST_BAD_REQUEST: job('A REST request had a malformed body (not JSON, a missing or mistyped field) or an unsupported method (HTTP 400 / 405).', false),

  // ---- the weir command ----
  WEIR_CLI_USAGE: cli('The `weir` command was called with invalid arguments (exit code 2).'),
  WEIR_CLI_JOB_NOT_FOUND: cli('`weir list | cancel | savepoint | stop | checkpoint` found no running job by that id or name (none discovered, or several match), or could not reach its endpoint.'),
} as const satisfies Record<string, ErrorCodeInfo>;

/** Every code Weir raises. */
export type ErrorCode = keyof typeof ErrorCodes;

/** Whether `code` is one of Weir's codes. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ErrorCodes, code);
}

/** Whether a failover can help with a failure of this code (unknown codes and no code: yes). */
export function isRestartable(code: string | undefined): boolean {
  return code === undefined || !isErrorCode(code) || ErrorCodes[code].restartable;
}
