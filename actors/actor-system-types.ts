/**
 * The public shapes of the actor system's API: the options of `ActorSystem.start`, what
 * `spawn` needs, and the handle on a running actor it returns (actor-system.ts implements them
 * and re-exports them).
 */
import type { ResourceLimits, Transferable } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { WorkerLogOptions } from './logger.ts';

/** Options of {@link ActorSystem.start}. */
export interface ActorSystemOptions {
  /** Worker threads = hosts (default `os.availableParallelism()`). */
  threads?: number;
  /** Name used in logs and as piscina's pool name. */
  name?: string;
  /** Extra bindings on every log line (main thread and workers). */
  logBindings?: Record<string, unknown>;
  /** Per-worker V8 limits; exceeding them kills the worker (reported as `worker-error`). */
  resourceLimits?: ResourceLimits;
  /** Extra execArgv for workers, appended to {@link workerExecArgv}(). */
  execArgv?: string[];
  /** Workers import TypeScript modules (adds a loader if the parent's does not reach them; worker-exec-argv.ts). */
  typescript?: boolean;
  /** Parent of the main-thread logger, and where forwarded worker lines are re-logged (default: pino at `WEIR_LOG_LEVEL`). */
  logger?: Logger;
  /** How workers log ({@link WorkerLogOptions}); default: their own stderr destination at `WEIR_LOG_LEVEL`. */
  workerLog?: WorkerLogOptions;
  /** How long `ActorRef.stop()` and `shutdown()` wait for run() to settle (default 5000 ms). */
  stopTimeoutMs?: number;
  /** How long a host task may take to come up (default 30 000 ms). */
  startTimeoutMs?: number;
  /** How long `shutdown()` waits for the pool to terminate its workers (default 5000 ms). */
  destroyTimeoutMs?: number;
  /** Host restarts allowed per host within `restartWindowMs` (default 10); a host over budget stays down. */
  maxRestarts?: number;
  /** Sliding window of the restart budget (default 60 000 ms). */
  restartWindowMs?: number;
  /** Time source for the restart budget (default `Date.now`). */
  clock?: { now(): number };
}

/** What {@link ActorSystem.spawn} needs. */
export interface SpawnSpec<A> {
  /** Unique among live actors of this system. */
  id: string;
  /** Actor module: a URL (`new URL('./x.ts', import.meta.url)`), an absolute path, or a bare specifier. */
  module: string | URL;
  /** Export holding the `defineActor()` result (default `'default'`). */
  exportName?: string;
  /** Passed to the factory. SharedArrayBuffers arrive shared; MessagePorts found inside are transferred. */
  args: A;
  /** Host index (worker), or round-robin when omitted. */
  host?: number;
  /** Extra bindings on the actor's logger. */
  logBindings?: Record<string, unknown>;
  /** Further transferables inside `args` (e.g. ArrayBuffers to move rather than copy). */
  transfer?: Transferable[];
}

/** Handle on a running actor, valid until its `done` settles. */
export interface ActorRef {
  readonly id: string;
  readonly host: number;
  /** Invoke a behavior method in the worker; resolves with its (structured-cloned) result. */
  call<R = unknown>(method: string, ...args: unknown[]): Promise<R>;
  /** Ask the actor to stop; resolves once its run() settled (rejects `WEIR_ACTOR_STOP_TIMEOUT` if it does not). */
  stop(reason?: string): Promise<void>;
  /** Settles when run() settles: resolves on normal completion, rejects with the failure cause. */
  readonly done: Promise<void>;
}
