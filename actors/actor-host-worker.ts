/**
 * piscina worker entry: one long-lived host task per worker that hosts several actors.
 *
 * Life of a host task (main side in actor-system.ts):
 *   1. piscina runs the default export with a {@link HostTask}; the control and events ports
 *      arrive through `transferList`
 *   2. the host serves {@link HostApi} on the control port (comlink) and posts `ready`
 *   3. spawn/call/stop requests create and drive actors; each actor's run() settling posts
 *      `done` or `failed` on the events port (the worker and its other actors keep running)
 *   4. `shutdown` stops every actor (bounded), replies, then the host task resolves
 * The task never resolves otherwise. A worker that dies (process.exit, uncaught exception,
 * OOM) rejects the task on the main side, which reports every actor of this host.
 *
 * Liveness: the pending piscina task and the ref'd ports keep this worker's event loop
 * alive, so actors may wait with `Atomics.waitAsync` (which alone does not keep a loop alive).
 */
import { threadId } from 'node:worker_threads';
import type { Logger } from 'pino';
import { WeirError } from '../common/weir-error.ts';
import { criticalSection, isActorDefinition, type ActorBehavior, type ActorContext } from './actor.ts';
import {
  exposeHostApi,
  serializeError,
  type Envelope,
  type HostApi,
  type HostEvent,
  type HostExit,
  type HostShutdownResult,
  type HostTask,
  type SpawnRequest,
} from './control-plane.ts';
import { createLogger, forwardingDestination } from './logger.ts';

/** Methods `ActorRef.call` may not invoke (lifecycle is driven by the host). */
const RESERVED_METHODS = new Set(['run', 'stop', 'constructor']);

/**
 * `process.exit()` called inside a critical section (an actor's synchronous LMDB write
 * transaction, see `inCriticalSection`) is deferred to the next macrotask, and the call throws
 * at once. Why: exiting right there runs lmdb-js's environment cleanup, which waits for the
 * write lock this very thread holds — the worker would hang forever in its exit and the
 * supervisor would never hear of it (the NODE-NOTES hang trap). Throwing unwinds the stack, so
 * the transaction aborts and releases its lock; the exit then happens outside it and is
 * reported as usual (worker-exit with the code). Outside critical sections it exits at once.
 */
const realExit = process.exit.bind(process);
let exitRequested: number | undefined;
process.exit = ((code?: number | string | null) => {
  if (criticalSection.depth === 0) return realExit(code as number);
  const c = typeof code === 'number' ? code : Number(code ?? process.exitCode ?? 0) || 0;
  if (exitRequested === undefined) {
    exitRequested = c;
    setImmediate(() => realExit(c));
  }
  throw new Error(`process.exit(${c}) called in a worker thread: the worker exits`);
}) as typeof process.exit;

interface ActorSlot {
  readonly id: string;
  /** Set once the factory returned; undefined while the factory runs. */
  behavior?: ActorBehavior;
  /** Resolves (never rejects) after run() settled and its done/failed event was posted. */
  settled?: Promise<void>;
}

/**
 * Entry called by piscina. Resolves with the shutdown outcome once the host was shut down.
 * @throws WeirError `WEIR_ACTOR_HOST_LOADED_AS_CJS` if this file was transpiled to CommonJS.
 */
export default async function actorHostTask(task: HostTask): Promise<HostExit> {
  // `module` is a CommonJS-only free variable (a bundler rewrites bare `require` into a shim
  // that always exists, so `require` alone cannot tell).
  if (typeof module !== 'undefined' && typeof require === 'function') {
    throw new WeirError(
      'WEIR_ACTOR_HOST_LOADED_AS_CJS',
      'actor-host-worker.ts was loaded as CommonJS (a tsx require hook is active in the worker); start workers with workerExecArgv() so tsx registers its ESM loader',
      { execArgv: process.execArgv },
    );
  }
  const host = new ActorHost(task);
  return host.finished;
}

class ActorHost implements HostApi {
  readonly finished: Promise<HostExit>;
  readonly #task: HostTask;
  /** Host-level lines: `{ system, thread, host }`. */
  readonly #logger: Logger;
  /** Parent of actor loggers, without `host` so that each child binds it exactly once. */
  readonly #rootLogger: Logger;
  readonly #actors = new Map<string, ActorSlot>();
  #finish!: (exit: HostExit) => void;
  #shuttingDown = false;

  constructor(task: HostTask) {
    this.#task = task;
    this.finished = new Promise((resolve) => (this.#finish = resolve));
    const log = task.log;
    this.#rootLogger = createLogger({ system: task.systemName, thread: threadId, ...task.logBindings }, {
      ...(log ? { level: log.level } : {}),
      ...(log?.forward ? { destination: forwardingDestination((line) => this.#post({ type: 'log', line })) } : {}),
    });
    this.#logger = this.#rootLogger.child({ host: task.index });
    exposeHostApi(this, task.control);
    this.#post({ type: 'ready', index: task.index, generation: task.generation, threadId });
    this.#logger.debug({ generation: task.generation }, 'actor host ready');
  }

  async spawn(request: SpawnRequest): Promise<Envelope<null>> {
    const { id } = request;
    if (this.#shuttingDown) return fail(new WeirError('WEIR_ACTOR_HOST_SHUTTING_DOWN', `host ${this.#task.index} is shutting down; cannot spawn actor "${id}"`, { actorId: id }));
    if (this.#actors.has(id)) return fail(new WeirError('WEIR_ACTOR_DUPLICATE_ID', `an actor with id "${id}" already runs on host ${this.#task.index}`, { actorId: id }));
    const slot: ActorSlot = { id };
    this.#actors.set(id, slot);
    try {
      const definition = await this.#loadDefinition(request);
      const ctx = this.#context(request);
      const behavior = await definition.factory(ctx, request.args);
      if (behavior === null || typeof behavior !== 'object' || typeof behavior.run !== 'function') {
        throw new WeirError('WEIR_ACTOR_BEHAVIOR_INVALID', `the factory of actor "${id}" (${request.module}#${request.exportName}) must return an object with a run() method`, { actorId: id, module: request.module, exportName: request.exportName });
      }
      if (this.#shuttingDown) throw new WeirError('WEIR_ACTOR_HOST_SHUTTING_DOWN', `host ${this.#task.index} began shutting down while actor "${id}" was being created`, { actorId: id });
      slot.behavior = behavior;
      slot.settled = this.#start(slot, behavior);
      return { ok: true, value: null };
    } catch (error) {
      this.#actors.delete(id);
      return fail(error);
    }
  }

  async call(actorId: string, method: string, args: unknown[]): Promise<Envelope<unknown>> {
    const slot = this.#actors.get(actorId);
    const behavior = slot?.behavior;
    if (!behavior) return fail(new WeirError('WEIR_ACTOR_NOT_FOUND', `no running actor "${actorId}" on host ${this.#task.index}`, { actorId, method }));
    const fn = (behavior as Record<string, unknown>)[method];
    if (RESERVED_METHODS.has(method) || method in Object.prototype || typeof fn !== 'function') {
      const available = methodNames(behavior).filter((m) => !RESERVED_METHODS.has(m));
      return fail(new WeirError('WEIR_ACTOR_METHOD_NOT_FOUND', `actor "${actorId}" has no callable method "${method}" (callable: ${available.join(', ') || 'none'})`, { actorId, method, available }));
    }
    try {
      return { ok: true, value: await (fn as (...a: unknown[]) => unknown).apply(behavior, args) };
    } catch (error) {
      return fail(error);
    }
  }

  async stop(actorId: string, reason: string | undefined, timeoutMs: number): Promise<Envelope<null>> {
    const slot = this.#actors.get(actorId);
    if (!slot?.behavior || !slot.settled) return { ok: true, value: null }; // already finished
    try {
      await slot.behavior.stop?.(reason);
    } catch (error) {
      return fail(error);
    }
    if (!(await settlesWithin(slot.settled, timeoutMs))) {
      return fail(new WeirError('WEIR_ACTOR_STOP_TIMEOUT', `actor "${actorId}" did not finish run() within ${timeoutMs} ms of stop()`, { actorId, timeoutMs, ...(reason !== undefined ? { reason } : {}) }));
    }
    return { ok: true, value: null };
  }

  async shutdown(reason: string, timeoutMs: number): Promise<Envelope<HostShutdownResult>> {
    this.#shuttingDown = true;
    const running = [...this.#actors.values()].filter((s) => s.behavior && s.settled);
    const outcomes = await Promise.all(
      running.map(async (slot) => {
        try {
          await slot.behavior!.stop?.(reason);
        } catch (error) {
          this.#logger.warn({ actor: slot.id, err: error }, 'actor stop() threw during shutdown');
        }
        return (await settlesWithin(slot.settled!, timeoutMs)) ? 'stopped' : 'abandoned';
      }),
    );
    const result: HostShutdownResult = { stopped: [], abandoned: [] };
    running.forEach((slot, i) => result[outcomes[i] as 'stopped' | 'abandoned'].push(slot.id));
    if (result.abandoned.length > 0) this.#logger.warn({ abandoned: result.abandoned, timeoutMs }, 'actors ignored stop during shutdown');
    // End the host task after comlink has posted this reply.
    setImmediate(() => this.#finish({ index: this.#task.index, ...result }));
    return { ok: true, value: result };
  }

  async #loadDefinition(request: SpawnRequest) {
    let mod: Record<string, unknown>;
    try {
      mod = (await import(request.module)) as Record<string, unknown>;
    } catch (error) {
      throw new WeirError('WEIR_ACTOR_MODULE_LOAD_FAILED', `cannot load actor module ${request.module} for actor "${request.id}": ${(error as Error)?.message ?? String(error)}`, { actorId: request.id, module: request.module }, { cause: error });
    }
    const definition = mod[request.exportName];
    if (!isActorDefinition(definition)) {
      const exports = Object.keys(mod).filter((k) => isActorDefinition(mod[k]));
      throw new WeirError(
        'WEIR_ACTOR_NOT_DEFINED',
        `export "${request.exportName}" of ${request.module} is not an actor made with defineActor() (actor exports: ${exports.join(', ') || 'none'})`,
        { actorId: request.id, module: request.module, exportName: request.exportName, actorExports: exports },
      );
    }
    return definition;
  }

  #context(request: SpawnRequest): ActorContext {
    const actorId = request.id;
    const host = this.#task.index;
    const events = this.#task.events;
    return {
      actorId,
      host,
      logger: this.#rootLogger.child({ actor: actorId, host, ...request.logBindings }),
      send(message: unknown): void {
        events.postMessage({ type: 'message', actorId, message } satisfies HostEvent);
      },
    };
  }

  /** Start run() right away; report its outcome once, then free the id. */
  #start(slot: ActorSlot, behavior: ActorBehavior): Promise<void> {
    let running: Promise<void>;
    try {
      running = Promise.resolve(behavior.run());
    } catch (error) {
      running = Promise.reject(error);
    }
    return running.then(
      () => {
        this.#actors.delete(slot.id);
        this.#logger.debug({ actor: slot.id }, 'actor finished');
        this.#post({ type: 'done', actorId: slot.id });
      },
      (error: unknown) => {
        this.#actors.delete(slot.id);
        this.#logger.debug({ actor: slot.id, err: error }, 'actor run() rejected');
        // The worker is exiting (process.exit was called): the exit itself is the failure the
        // supervisor reports for every actor here; an unwinding actor must not add a second one.
        if (exitRequested === undefined) this.#post({ type: 'failed', actorId: slot.id, error: serializeError(error) });
      },
    );
  }

  #post(event: HostEvent): void {
    this.#task.events.postMessage(event);
  }
}

function fail(error: unknown): Envelope<never> {
  return { ok: false, error: serializeError(error) };
}

/** True if `promise` settles within `ms`; the timer never outlives the wait. */
async function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => (timer = setTimeout(resolve, ms, false)));
  try {
    return await Promise.race([promise.then(() => true as const), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

function methodNames(behavior: object): string[] {
  const names = new Set<string>();
  for (let o: object | null = behavior; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const key of Object.getOwnPropertyNames(o)) {
      if (typeof (behavior as Record<string, unknown>)[key] === 'function') names.add(key);
    }
  }
  return [...names];
}
