/**
 * Supervision decisions, kept pure (no workers, no timers) so they are unit-tested directly.
 * `ActorSystem` performs the I/O: it observes a host task settling, asks these functions
 * what happened and what to do, then rejects `done` promises, notifies listeners and
 * starts a replacement host.
 *
 * Call order when a host worker dies (see actor-system.ts):
 *   1. piscina rejects the host task; the worker's own 'error' / 'exit' events, seen just
 *      before, were recorded as a {@link WorkerObservation}
 *   2. `classifyHostFailure(error, observation)` → kind + exit code
 *   3. `hostFailureCause(...)` once per actor on that host → the cause its `done` rejects with
 *   4. `RestartBudget.tryAcquire(host)` → start a fresh host task on the replacement worker or
 *      mark the host unavailable (crash loop)
 */
import { WeirError } from '../common/weir-error.ts';

/** Why an actor was lost. */
export type ActorFailureKind = 'actor-error' | 'worker-exit' | 'worker-error';

/** What `ActorSystem.onFailure` listeners receive. */
export interface ActorFailure {
  actorId: string;
  /** Index of the host the actor ran on. */
  host: number;
  /** `actor-error`: its run() rejected (siblings unaffected). `worker-exit` / `worker-error`: its worker died. */
  kind: ActorFailureKind;
  cause: Error;
  /** For a lost worker: what happened to the host, once, e.g. "host 1 (worker thread 7) exited with exit code 3" (see {@link describeHostDeath}). */
  reason?: string;
}

/** Outcome of {@link classifyHostFailure}. */
export interface HostFailureClass {
  kind: 'worker-exit' | 'worker-error';
  /** Present for `worker-exit`. */
  exitCode?: number;
  /** Why the actor system terminated the worker itself (its thread no longer answered). */
  terminated?: string;
}

/** piscina's message when a worker exits while running a task: "worker exited with code: 3". */
const PISCINA_EXIT = /worker exited with code:?\s*(-?\d+)/i;

/** What the worker itself reported before piscina rejected its task. */
export interface WorkerObservation {
  /** Code of the worker's 'exit' event, when it was seen. */
  exitCode?: number;
  /** True when the worker emitted 'error' (uncaught exception, out of memory, failed load). */
  errored?: boolean;
  /** Set before the actor system terminates an unresponsive worker: why. */
  terminated?: string;
}

/**
 * Classify why a host task ended with `error`. A worker that emitted 'error' is a
 * `worker-error` even though it also exits (Node emits 'error' then 'exit' with code 1 for an
 * out-of-memory kill, in one go). Otherwise the exit code from the worker's own 'exit' event is
 * the reliable source; failing that, piscina's message is parsed.
 */
export function classifyHostFailure(error: unknown, observed: WorkerObservation = {}): HostFailureClass {
  if (observed.terminated !== undefined) return { kind: 'worker-exit', exitCode: observed.exitCode ?? 1, terminated: observed.terminated };
  if (observed.errored) return { kind: 'worker-error' };
  if (observed.exitCode !== undefined) return { kind: 'worker-exit', exitCode: observed.exitCode };
  const message = error instanceof Error ? error.message : String(error);
  const match = PISCINA_EXIT.exec(message);
  if (match) return { kind: 'worker-exit', exitCode: Number(match[1]) };
  return { kind: 'worker-error' };
}

/** Facts about a host death, for {@link hostFailureCause}. */
export interface HostDeath {
  host: number;
  /** Worker thread id, -1 if the host never reported it. */
  threadId: number;
  failure: HostFailureClass;
  /** What piscina rejected the host task with. */
  error: unknown;
}

/** Stable codes of the causes built below. */
export const HOST_FAILURE_CODES = {
  'worker-exit': 'WEIR_ACTOR_WORKER_EXIT',
  'worker-error': 'WEIR_ACTOR_WORKER_ERROR',
} as const;

/** One-line description of a host death, e.g. "host 1 (worker thread 7) exited with exit code 3". */
export function describeHostDeath(death: HostDeath): string {
  const where = death.threadId >= 0 ? `host ${death.host} (worker thread ${death.threadId})` : `host ${death.host}`;
  if (death.failure.terminated !== undefined) return `${where} was terminated: ${death.failure.terminated}`;
  if (death.failure.kind === 'worker-exit') return `${where} exited with exit code ${death.failure.exitCode}`;
  const message = death.error instanceof Error ? death.error.message : String(death.error);
  const code = (death.error as { code?: unknown } | null)?.code;
  return `${where} crashed: ${typeof code === 'string' ? `${code}: ` : ''}${message}`;
}

/** The error an actor's `done` rejects with when its host died. Keeps piscina's error as `cause`. */
export function hostFailureCause(actorId: string, death: HostDeath): WeirError {
  const error = death.error;
  return new WeirError(
    HOST_FAILURE_CODES[death.failure.kind],
    `actor "${actorId}" was lost: its ${describeHostDeath(death)}`,
    {
      actorId,
      host: death.host,
      threadId: death.threadId,
      reason: describeHostDeath(death),
      ...(death.failure.exitCode !== undefined ? { exitCode: death.failure.exitCode } : {}),
      ...(error instanceof Error ? { error: error.message } : { error: String(error) }),
    },
    { cause: error },
  );
}

/** Options of {@link RestartBudget}. */
export interface RestartBudgetOptions {
  /** Restarts allowed per host within `windowMs` (default 10). 0 disables restarts. */
  maxRestarts?: number;
  /** Sliding window length in ms (default 60 000). */
  windowMs?: number;
  /** Time source (default `Date.now`). */
  clock?: { now(): number };
}

/**
 * Per-host sliding-window restart budget: a host whose replacement keeps dying (a crash loop)
 * is given up instead of restarted forever.
 */
export class RestartBudget {
  readonly maxRestarts: number;
  readonly windowMs: number;
  readonly #clock: { now(): number };
  readonly #history = new Map<number, number[]>();

  constructor(options: RestartBudgetOptions = {}) {
    this.maxRestarts = options.maxRestarts ?? 10;
    this.windowMs = options.windowMs ?? 60_000;
    this.#clock = options.clock ?? { now: () => Date.now() };
    if (!Number.isInteger(this.maxRestarts) || this.maxRestarts < 0) {
      throw new WeirError('WEIR_ACTOR_SYSTEM_OPTIONS_INVALID', `maxRestarts must be a non-negative integer, got ${this.maxRestarts}`, { maxRestarts: this.maxRestarts });
    }
    if (!(this.windowMs > 0)) {
      throw new WeirError('WEIR_ACTOR_SYSTEM_OPTIONS_INVALID', `restartWindowMs must be positive, got ${this.windowMs}`, { windowMs: this.windowMs });
    }
  }

  /** Record a restart of `host` and return true, or return false when its budget is spent. */
  tryAcquire(host: number): boolean {
    const now = this.#clock.now();
    const recent = (this.#history.get(host) ?? []).filter((t) => now - t < this.windowMs);
    if (recent.length >= this.maxRestarts) {
      this.#history.set(host, recent);
      return false;
    }
    recent.push(now);
    this.#history.set(host, recent);
    return true;
  }

  /** Restarts of `host` counted in the current window. */
  used(host: number): number {
    const now = this.#clock.now();
    return (this.#history.get(host) ?? []).filter((t) => now - t < this.windowMs).length;
  }
}
