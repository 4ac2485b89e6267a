/**
 * ActorSystem: actors on a piscina pool used as a supervisor, not a task queue.
 *
 * Shape: `threads` workers (minThreads = maxThreads, idleTimeout ∞, atomics disabled so an
 * idle worker's event loop keeps running), each running exactly ONE long-lived host task
 * (actor-host-worker.ts) that hosts several actors. The load balancer hands a host task only
 * to a worker that runs no task, so each worker runs one host task and a host owns its worker
 * for its whole life. Control traffic goes over each host's own ports (control-plane.ts),
 * never `pool.run()`.
 *
 * Supervision (decisions in supervision.ts):
 *   - an actor's run() rejects → `actor-error` for that actor only;
 *   - a worker dies → piscina rejects its host task → every actor of that host is reported
 *     (`worker-exit` with the exit code, or `worker-error`), their `done` reject, and a fresh
 *     host task is started on piscina's replacement worker (within a restart budget).
 *
 * Every wait on another thread is raced against that host's death and, where a wedged
 * worker could stall it, a deadline: nothing hangs. Shutdown stops every actor (bounded by
 * `stopTimeoutMs`), then destroys the pool (bounded by `destroyTimeoutMs`).
 */
import os from 'node:os';
import { isMainThread, MessageChannel, type MessagePort } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import type { Logger } from 'pino';
import { reviveError, WeirError } from '../common/weir-error.ts';
import { collectTransferables, deferred, HostConnection, toModuleSpecifier, withDeadline, type Deferred, type HostEvent, type HostTask } from './control-plane.ts';
import type { ActorRef, ActorSystemOptions, SpawnSpec } from './actor-system-types.ts';
import { createLogger, relayLogLine } from './logger.ts';
import { classifyHostFailure, describeHostDeath, hostFailureCause, RestartBudget, type ActorFailure, type WorkerObservation } from './supervision.ts';
import { withWorkerAcceptedArgv } from './worker-accepted-argv.ts';
import { workerExecArgv } from './worker-exec-argv.ts';
import { HostDeath } from './host-death.ts';

export type { ActorRef, ActorSystemOptions, SpawnSpec } from './actor-system-types.ts';
export type { ActorFailure, ActorFailureKind } from './supervision.ts';

/**
 * piscina is loaded when a system starts, not by importing this module: every worker imports
 * Weir's public entry too (the job module imports 'weir'), and loaded piscina's main module for
 * nothing (5–10 ms of each worker's start on the 2-vCPU development machine). The main thread
 * begins loading it when this module loads, so execute() rarely waits for it.
 */
let piscinaClass: Promise<typeof Piscina> | undefined;
const loadPiscina = (): Promise<typeof Piscina> => (piscinaClass ??= import('piscina').then((m) => m.Piscina));
if (isMainThread) loadPiscina().catch(() => {}); // a failure is reported by start()

type HostState = 'starting' | 'ready' | 'failed' | 'broken' | 'stopping' | 'stopped';

/** One generation of one host: its ports, state and actors. Replaced as a whole on restart. */
interface HostSlot {
  readonly index: number;
  readonly generation: number;
  state: HostState;
  threadId: number;
  /** What the worker's own 'exit'/'error' events said (they fire just before piscina rejects the task). */
  readonly observed: WorkerObservation;
  readonly connection: HostConnection;
  readonly events: MessagePort;
  readonly ready: Deferred<void>;
  /** This generation's death; every cross-thread wait races it. */
  readonly dead: HostDeath;
  readonly actors: Set<string>;
}

interface ActorRecord {
  readonly id: string;
  readonly slot: HostSlot;
  readonly done: Deferred<void>;
  /** True once the actor is known to have started (spawn replied or an event arrived). */
  started: boolean;
}

/** The host worker next to this module: `.ts` from the sources, `.js` in the built package (dist/). */
// Beside this module: actors/actor-host-worker.ts in the sources, dist/actor-host-worker.js in the
// flat, bundled build (scripts/build.mjs).
const HOST_WORKER = new URL(`./actor-host-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);
/** Beyond the host-side stop timeout, how long the main thread waits for the host's reply before calling it wedged. */
const REPLY_GRACE_MS = 1000;

/** Actors on worker threads, supervised. Create with {@link ActorSystem.start}. */
export class ActorSystem {
  /** Number of worker threads, i.e. hosts; valid `spawn({ host })` values are 0 … threads − 1. */
  readonly threads: number;
  /** Name bound to every log line as `system`. */
  readonly name: string;
  readonly #pool: Piscina;
  readonly #logger: Logger;
  readonly #opts: Required<Pick<ActorSystemOptions, 'stopTimeoutMs' | 'startTimeoutMs' | 'destroyTimeoutMs'>> & ActorSystemOptions;
  readonly #budget: RestartBudget;
  readonly #hosts: HostSlot[] = [];
  readonly #actors = new Map<string, ActorRecord>();
  readonly #failureListeners = new Set<(f: ActorFailure) => void>();
  readonly #messageListeners = new Set<(actorId: string, message: unknown) => void>();
  #nextHost = 0;
  #shutdown: Promise<void> | undefined;

  private constructor(options: ActorSystemOptions, PiscinaPool: typeof Piscina) {
    const threads = options.threads ?? os.availableParallelism();
    if (!Number.isInteger(threads) || threads < 1) {
      throw new WeirError('WEIR_ACTOR_SYSTEM_OPTIONS_INVALID', `threads must be a positive integer, got ${threads}`, { threads });
    }
    this.threads = threads;
    this.name = options.name ?? 'weir';
    this.#opts = { stopTimeoutMs: 5000, startTimeoutMs: 30_000, destroyTimeoutMs: 5000, ...options };
    this.#budget = new RestartBudget({ maxRestarts: options.maxRestarts, windowMs: options.restartWindowMs, clock: options.clock });
    this.#logger = options.logger ? options.logger.child({ system: this.name, ...options.logBindings }) : createLogger({ system: this.name, ...options.logBindings });
    const execArgv = workerExecArgv(options.execArgv ?? [], options.typescript === undefined ? {} : { typescript: options.typescript });
    this.#pool = withWorkerAcceptedArgv(execArgv, (argv) => new PiscinaPool({
      filename: HOST_WORKER.href,
      name: 'default',
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: Infinity,
      atomics: 'disabled',
      concurrentTasksPerWorker: 1,
      resourceLimits: options.resourceLimits,
      execArgv: argv,
      recordTiming: false,
      // One host task per worker: only a worker running nothing may take one.
      loadBalancer: (_task, workers) => workers.find((w) => w.currentUsage === 0 && !w.terminating && !w.destroyed) ?? null,
    }), (dropped) => this.#logger.debug({ dropped }, 'process-wide Node/V8 options left out of the workers\' execArgv (they apply to every thread already)'));
    // A worker failing while it runs no task is reported here, not through a task.
    this.#pool.on('error', (error: unknown) => this.#logger.error({ err: error }, 'piscina pool error'));
  }

  /** Start the pool and one host per worker; resolves when every host is ready. */
  static async start(options: ActorSystemOptions = {}): Promise<ActorSystem> {
    const system = new ActorSystem(options, await loadPiscina());
    for (let i = 0; i < system.threads; i++) system.#hosts.push(system.#startHost(i, 0));
    try {
      await Promise.all(system.#hosts.map((h) => h.ready.promise));
    } catch (error) {
      await system.shutdown();
      throw new WeirError('WEIR_ACTOR_SYSTEM_START_FAILED', `actor system "${system.name}" failed to start: ${(error as Error).message}`, { threads: system.threads }, { cause: error });
    }
    return system;
  }

  /** Spawn an actor on `spec.host` or round-robin. Resolves once its factory ran; rejects with the factory's error. */
  async spawn<A>(spec: SpawnSpec<A>): Promise<ActorRef> {
    if (this.#shutdown) throw new WeirError('WEIR_ACTOR_SYSTEM_SHUT_DOWN', `actor system "${this.name}" is shut down; cannot spawn "${spec.id}"`, { actorId: spec.id });
    if (typeof spec.id !== 'string' || spec.id === '') throw new WeirError('WEIR_ACTOR_ID_INVALID', `actor id must be a non-empty string, got ${JSON.stringify(spec.id)}`, { actorId: spec.id });
    if (this.#actors.has(spec.id)) throw new WeirError('WEIR_ACTOR_DUPLICATE_ID', `an actor with id "${spec.id}" is already running`, { actorId: spec.id });
    const module = toModuleSpecifier(spec.module);
    const slot = await this.#readyHost(this.#pickHost(spec.host, spec.id), spec.id);
    if (this.#shutdown) throw new WeirError('WEIR_ACTOR_SYSTEM_SHUT_DOWN', `actor system "${this.name}" is shut down; cannot spawn "${spec.id}"`, { actorId: spec.id });
    if (this.#actors.has(spec.id)) throw new WeirError('WEIR_ACTOR_DUPLICATE_ID', `an actor with id "${spec.id}" is already running`, { actorId: spec.id });

    // Register before asking: the actor's done/failed event may overtake the spawn reply.
    const record: ActorRecord = { id: spec.id, slot, done: deferred<void>(), started: false };
    this.#actors.set(spec.id, record);
    slot.actors.add(spec.id);
    const transfer = [...new Set([...(spec.transfer ?? []), ...collectTransferables(spec.args)])];
    const request = { id: spec.id, module, exportName: spec.exportName ?? 'default', args: spec.args, logBindings: spec.logBindings ?? {} };
    try {
      await slot.dead.race(slot.connection.spawn(request, transfer));
    } catch (error) {
      this.#forget(record);
      throw error;
    }
    record.started = true;
    return this.#ref(record);
  }

  /** Subscribe to actor failures; returns the unsubscribe function. */
  onFailure(listener: (f: ActorFailure) => void): () => void {
    this.#failureListeners.add(listener);
    return () => this.#failureListeners.delete(listener);
  }

  /** Subscribe to messages actors send with `ctx.send`; returns the unsubscribe function. */
  onMessage(listener: (actorId: string, message: unknown) => void): () => void {
    this.#messageListeners.add(listener);
    return () => this.#messageListeners.delete(listener);
  }

  /** Stops every actor, then destroys the pool. Never hangs (bounded by timeouts, then terminates). */
  shutdown(): Promise<void> {
    this.#shutdown ??= this.#doShutdown();
    return this.#shutdown;
  }

  async #doShutdown(): Promise<void> {
    const { stopTimeoutMs, destroyTimeoutMs } = this.#opts;
    // 1. Ask every live host to stop its actors; a wedged host is given up after the deadline.
    const live = this.#hosts.filter((h) => h.state === 'ready');
    await Promise.all(live.map(async (slot) => {
      slot.state = 'stopping';
      try {
        const result = await withDeadline(slot.dead.race(slot.connection.shutdown('actor system shutdown', stopTimeoutMs)), stopTimeoutMs + REPLY_GRACE_MS, () => new WeirError('WEIR_ACTOR_HOST_UNRESPONSIVE', `host ${slot.index} did not answer shutdown`, { host: slot.index }));
        // done events of the stopped actors were posted before the reply, on the other port: let them land.
        const pending = result.stopped.map((id) => this.#actors.get(id)?.done.promise.catch(() => undefined));
        await withDeadline(Promise.all(pending), 1000, () => new Error('late done events')).catch(() => undefined);
      } catch (error) {
        // The host task may end (and `dead` reject with SHUT_DOWN) before its reply lands: that is a clean stop.
        if ((error as { code?: string })?.code === 'WEIR_ACTOR_SYSTEM_SHUT_DOWN') this.#logger.debug({ host: slot.index }, 'host ended before its shutdown reply');
        else this.#logger.warn({ host: slot.index, err: error }, 'host did not shut down cleanly');
      }
    }));
    // 2. Whatever is still registered did not stop: its worker is about to be terminated.
    for (const record of [...this.#actors.values()]) {
      this.#forget(record, new WeirError('WEIR_ACTOR_ABANDONED', `actor "${record.id}" did not stop within ${stopTimeoutMs} ms of shutdown; its worker was terminated`, { actorId: record.id, host: record.slot.index, stopTimeoutMs }));
    }
    for (const slot of this.#hosts) this.#closeHost(slot, 'stopped');
    // 3. Terminate the workers. A worker stuck in native code could block destroy(): bounded.
    try {
      await withDeadline(this.#pool.destroy(), destroyTimeoutMs, () => new WeirError('WEIR_ACTOR_SYSTEM_DESTROY_TIMEOUT', `piscina did not terminate its workers within ${destroyTimeoutMs} ms`, { destroyTimeoutMs }));
    } catch (error) {
      this.#logger.error({ err: error }, 'actor system shutdown left workers behind');
    }
    this.#failureListeners.clear();
    this.#messageListeners.clear();
  }

  #startHost(index: number, generation: number): HostSlot {
    const control = new MessageChannel();
    const events = new MessageChannel();
    const slot: HostSlot = {
      index, generation, state: 'starting', threadId: -1, observed: {},
      connection: new HostConnection(control.port1),
      events: events.port1,
      ready: deferred<void>(),
      dead: new HostDeath(),
      actors: new Set(),
    };
    events.port1.on('message', (event: HostEvent) => this.#onHostEvent(slot, event));
    const log = this.#opts.workerLog;
    const task: HostTask = { index, generation, systemName: this.name, logBindings: this.#opts.logBindings ?? {}, control: control.port2, events: events.port2, ...(log ? { log } : {}) };
    this.#pool.run(task, { transferList: [control.port2, events.port2] }).then(
      () => this.#onHostEnded(slot, new WeirError('WEIR_ACTOR_HOST_ENDED', `host ${index} task ended without a shutdown request`, { host: index })),
      (error: unknown) => this.#onHostEnded(slot, error),
    );
    const timer = setTimeout(() => {
      if (slot.state !== 'starting') return;
      slot.state = 'broken';
      slot.ready.reject(new WeirError('WEIR_ACTOR_HOST_START_TIMEOUT', `host ${index} did not start within ${this.#opts.startTimeoutMs} ms`, { host: index }));
    }, this.#opts.startTimeoutMs);
    timer.unref();
    slot.ready.promise.then(() => clearTimeout(timer), () => clearTimeout(timer));
    return slot;
  }

  #onHostEvent(slot: HostSlot, event: HostEvent): void {
    if (event.type === 'ready') {
      if (slot.state !== 'starting') return;
      slot.threadId = event.threadId;
      slot.state = 'ready';
      // The worker's own events tell exit from crash; they fire just before piscina rejects the task.
      const worker = this.#pool.threads.find((w) => w.threadId === event.threadId);
      worker?.once('exit', (code: number) => (slot.observed.exitCode = code));
      worker?.once('error', () => (slot.observed.errored = true));
      slot.ready.resolve();
      return;
    }
    if (event.type === 'log') return void (this.#opts.logger && relayLogLine(this.#opts.logger, event.line));
    if (event.type === 'message') {
      for (const listener of this.#messageListeners) {
        try {
          listener(event.actorId, event.message);
        } catch (error) {
          this.#logger.error({ actor: event.actorId, err: error }, 'onMessage listener threw');
        }
      }
      return;
    }
    const record = this.#actors.get(event.actorId);
    if (!record || record.slot !== slot) return;
    record.started = true;
    if (event.type === 'done') {
      this.#forget(record);
    } else {
      const cause = reviveError(event.error);
      this.#forget(record, cause);
      this.#emitFailure({ actorId: record.id, host: slot.index, kind: 'actor-error', cause });
    }
  }

  /** Terminates the worker of an unresponsive host: piscina then rejects its task (#onHostEnded). */
  #terminate(slot: HostSlot, why: string): void {
    if (slot.observed.terminated !== undefined) return;
    slot.observed.terminated = why;
    this.#logger.warn({ host: slot.index, thread: slot.threadId, actors: [...slot.actors] }, `terminating host ${slot.index}: ${why}`);
    const worker = this.#pool.threads.find((w) => w.threadId === slot.threadId);
    void worker?.terminate();
  }

  #onHostEnded(slot: HostSlot, error: unknown): void {
    if (this.#shutdown || slot.state === 'stopping' || slot.state === 'stopped' || slot.state === 'failed') {
      slot.dead.reject(new WeirError('WEIR_ACTOR_SYSTEM_SHUT_DOWN', `host ${slot.index} was shut down`, { host: slot.index }));
      return;
    }
    const wasReady = slot.state === 'ready';
    const failure = classifyHostFailure(error, slot.observed);
    const death = { host: slot.index, threadId: slot.threadId, failure, error };
    this.#logger.error({ host: slot.index, thread: slot.threadId, kind: failure.kind, exitCode: failure.exitCode, err: error, actors: [...slot.actors] }, 'actor host died');
    const reason = describeHostDeath(death);
    slot.dead.reject(new WeirError('WEIR_ACTOR_HOST_DIED', `actor ${reason}`, { host: slot.index, exitCode: failure.exitCode, reason }, { cause: error }));
    slot.ready.reject(new WeirError('WEIR_ACTOR_HOST_UNAVAILABLE', `actor ${reason} before it was ready`, { host: slot.index, reason: `${reason} before it was ready` }, { cause: error }));
    for (const id of [...slot.actors]) {
      const record = this.#actors.get(id);
      if (!record) continue;
      const cause = hostFailureCause(id, death);
      this.#forget(record, cause);
      if (record.started) this.#emitFailure({ actorId: id, host: slot.index, kind: failure.kind, cause, reason });
    }
    this.#closeHost(slot, 'failed');
    if (wasReady && this.#budget.tryAcquire(slot.index)) {
      this.#hosts[slot.index] = this.#startHost(slot.index, slot.generation + 1);
    } else {
      this.#logger.error({ host: slot.index, restarts: this.#budget.used(slot.index) }, 'actor host not restarted (died while starting or restart budget spent)');
      slot.state = 'broken';
    }
  }

  #closeHost(slot: HostSlot, state: 'failed' | 'stopped'): void {
    if (slot.state !== 'broken') slot.state = state;
    // Settle anything still waiting on this host (no-op if it already died).
    slot.dead.reject(new WeirError('WEIR_ACTOR_SYSTEM_SHUT_DOWN', `host ${slot.index} was shut down`, { host: slot.index }));
    slot.ready.reject(new WeirError('WEIR_ACTOR_SYSTEM_SHUT_DOWN', `host ${slot.index} was shut down`, { host: slot.index }));
    slot.connection.release();
    slot.events.close();
  }

  #emitFailure(failure: ActorFailure): void {
    if (this.#failureListeners.size === 0) {
      this.#logger.error({ actor: failure.actorId, host: failure.host, kind: failure.kind, err: failure.cause }, 'actor failed (no onFailure listener)');
    }
    for (const listener of this.#failureListeners) {
      try {
        listener(failure);
      } catch (error) {
        this.#logger.error({ actor: failure.actorId, err: error }, 'onFailure listener threw');
      }
    }
  }

  /** Drop a record and settle its `done` (resolve without `cause`, reject with it). */
  #forget(record: ActorRecord, cause?: Error): void {
    if (this.#actors.get(record.id) === record) this.#actors.delete(record.id);
    record.slot.actors.delete(record.id);
    if (cause) record.done.reject(cause);
    else record.done.resolve();
  }

  #pickHost(requested: number | undefined, actorId: string): number {
    if (requested !== undefined) {
      if (!Number.isInteger(requested) || requested < 0 || requested >= this.threads) {
        throw new WeirError('WEIR_ACTOR_HOST_INVALID', `host must be an integer in [0, ${this.threads - 1}], got ${requested}`, { host: requested, threads: this.threads, actorId });
      }
      return requested;
    }
    for (let i = 0; i < this.threads; i++) {
      const index = (this.#nextHost + i) % this.threads;
      if (this.#hosts[index]!.state !== 'broken') {
        this.#nextHost = index + 1;
        return index;
      }
    }
    throw new WeirError('WEIR_ACTOR_HOST_UNAVAILABLE', `no host of actor system "${this.name}" is available for "${actorId}"`, { actorId });
  }

  /** The current slot of host `index` once it is ready (waits through a restart in progress). */
  async #readyHost(index: number, actorId: string): Promise<HostSlot> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const slot = this.#hosts[index]!;
      if (slot.state === 'ready') return slot;
      if (slot.state !== 'starting') break;
      await withDeadline(slot.ready.promise, this.#opts.startTimeoutMs, () => new WeirError('WEIR_ACTOR_HOST_UNAVAILABLE', `host ${index} did not become ready within ${this.#opts.startTimeoutMs} ms`, { host: index, actorId }));
    }
    const state = this.#hosts[index]!.state;
    throw new WeirError('WEIR_ACTOR_HOST_UNAVAILABLE', `host ${index} is ${state}; cannot spawn "${actorId}"`, { host: index, actorId, state });
  }

  #ref(record: ActorRecord): ActorRef {
    const system = this;
    const { id, slot } = record;
    const live = () => system.#actors.get(id) === record;
    return {
      id,
      host: slot.index,
      done: record.done.promise,
      async call<R>(method: string, ...args: unknown[]): Promise<R> {
        if (!live()) throw new WeirError('WEIR_ACTOR_NOT_RUNNING', `actor "${id}" is not running; cannot call ${method}()`, { actorId: id, method });
        return await slot.dead.race(slot.connection.call(id, method, args, collectTransferables(args))) as R;
      },
      async stop(reason?: string): Promise<void> {
        if (!live()) return;
        const { stopTimeoutMs } = system.#opts;
        const stopped = slot.dead.race(slot.connection.stop(id, reason, stopTimeoutMs));
        try {
          await withDeadline(stopped, stopTimeoutMs + REPLY_GRACE_MS, () => new WeirError('WEIR_ACTOR_HOST_UNRESPONSIVE', `host ${slot.index} did not answer stop("${id}")`, { actorId: id, host: slot.index }));
        } catch (e) {
          if (!(e instanceof WeirError && e.code === 'WEIR_ACTOR_HOST_UNRESPONSIVE')) throw e;
          // Its thread is stuck (a record or callback that never returns): only terminating the
          // worker stops it. Its actors are then lost as in a crash, and the host is restarted.
          system.#terminate(slot, `it did not answer stop("${id}") within ${stopTimeoutMs + REPLY_GRACE_MS} ms (a record or a callback that never returns blocks its thread)`);
        }
        // The done/failed event was posted before the reply, on the events port (or the host died).
        await record.done.promise.catch(() => undefined);
      },
    };
  }
}
