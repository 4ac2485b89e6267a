/**
 * What an actor module exports, and what an actor sees of its host.
 *
 * Call order inside a host worker (see actor-host-worker.ts):
 *   1. the host imports the module and reads the export (default or named)
 *   2. `factory(ctx, args)` runs (may be async); a throw rejects `ActorSystem.spawn`
 *   3. `behavior.run()` starts right after the factory returned; spawn resolves
 *   4. while running: `ActorRef.call(method, …args)` invokes `behavior[method](…args)`
 *   5. `ActorRef.stop(reason)` calls `behavior.stop?.(reason)`; `run()` must then settle soon
 *   6. `run()` resolving = the actor is done; rejecting = the actor failed (reported to the
 *      supervisor as `actor-error`, siblings on the same worker keep running)
 */
import type { Logger } from 'pino';
import { WeirError } from '../common/weir-error.ts';

/** What an actor does once created. Only `run()` is required. */
export interface ActorBehavior {
  /** Main loop. Resolves when the actor is done; rejecting = the actor failed. Started right after the factory returned. */
  run(): Promise<void>;
  /** Ask the actor to stop; run() must then settle soon. */
  stop?(reason?: string): void | Promise<void>;
  /** Any other methods are callable from the main thread through ActorRef.call(method, ...args) (comlink control plane). */
  [method: string]: unknown;
}

/** The narrow view an actor has of its host. */
export interface ActorContext {
  /** The id given to `ActorSystem.spawn`. */
  readonly actorId: string;
  /** Index of the host (worker) this actor runs on, 0-based. */
  readonly host: number;
  /** Child logger bound to `{ actor: actorId, host, ...extraBindings }`. */
  readonly logger: Logger;
  /** Fire-and-forget message to the main thread (control plane: acks, metrics, never records). */
  send(message: unknown): void;
}

/** Factory that builds an actor's behavior from its context and spawn arguments. */
export type ActorFactory<A, B extends ActorBehavior> = (ctx: ActorContext, args: A) => B | Promise<B>;

/**
 * Brand on every value returned by {@link defineActor}. A registry symbol (not a module-local
 * one) so the check still holds if the module graph is ever loaded twice in a worker.
 */
export const ACTOR_DEFINITION: unique symbol = Symbol.for('weir.actor-definition') as never;

/** An actor module's export: a branded factory. */
export interface ActorDefinition<A = unknown, B extends ActorBehavior = ActorBehavior> {
  readonly [ACTOR_DEFINITION]: true;
  readonly factory: ActorFactory<A, B>;
}

/**
 * Declare an actor. Export the result from a module (default export or named) and spawn it
 * with `ActorSystem.spawn({ id, module: new URL('./my-actor.ts', import.meta.url), args })`.
 *
 * @example
 * export default defineActor((ctx, args: { start: number }) => {
 *   let n = args.start;
 *   let stop!: () => void;
 *   const stopped = new Promise<void>((resolve) => (stop = resolve));
 *   return { run: () => stopped, stop, increment: (by: number) => (n += by) };
 * });
 */
export function defineActor<A, B extends ActorBehavior>(factory: ActorFactory<A, B>): ActorDefinition<A, B> {
  if (typeof factory !== 'function') {
    throw new WeirError('WEIR_ACTOR_FACTORY_INVALID', `defineActor(factory): factory must be a function (ctx, args) => behavior, got ${typeof factory}`);
  }
  return Object.freeze({ [ACTOR_DEFINITION]: true as const, factory });
}

/** True when `value` was produced by {@link defineActor}. */
export function isActorDefinition(value: unknown): value is ActorDefinition<unknown, ActorBehavior> {
  return (
    value !== null &&
    typeof value === 'object' &&
    (value as Record<symbol, unknown>)[ACTOR_DEFINITION] === true &&
    typeof (value as { factory?: unknown }).factory === 'function'
  );
}

/**
 * Depth of synchronous critical sections on this thread (e.g. an LMDB write transaction).
 * While it is above zero, `process.exit()` in a worker unwinds first and exits on the next
 * macrotask (see actor-host-worker.ts); outside, it exits at once as usual.
 */
export const criticalSection = { depth: 0 };

/** Run `fn` as a critical section (synchronous only). */
export function inCriticalSection<T>(fn: () => T): T {
  criticalSection.depth++;
  try {
    return fn();
  } finally {
    criticalSection.depth--;
  }
}
