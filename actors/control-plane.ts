/**
 * The control plane between the main thread and one host worker: two MessagePorts per host.
 *
 *   main thread                                   host worker (actor-host-worker.ts)
 *   HostConnection ── control port (comlink) ──▶  exposeHostApi(HostApi)
 *     spawn / call / stop / shutdown  ◀── replies as Envelope<T> (errors keep code/details)
 *   events listener ◀── events port (raw) ─────  HostEvent: ready, message, done, failed
 *
 * Why two ports: request/response traffic wants comlink's RPC; fire-and-forget upward
 * traffic (actor messages, completions) does not need ids or replies. Messages on one port
 * arrive in order, but the two ports are not ordered with respect to each other: an actor's
 * `done` event may overtake the reply of the `spawn` that started it.
 *
 * Never records: ~150 µs per awaited call (NODE-NOTES.md). One comlink build only (ESM,
 * `comlink/dist/esm/*.mjs`; the package's `main` is the UMD build). Keep a strong reference
 * to every `wrap()` result (a collected proxy drops its calls silently): `HostConnection`
 * owns it until `release()`.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { MessagePort, type Transferable } from 'node:worker_threads';
import type * as ComlinkTypes from 'comlink';
// @ts-expect-error -- the ESM build ships no .d.mts; it is typed from the package's own declarations below
import * as ComlinkEsm from 'comlink/dist/esm/comlink.mjs';
// @ts-expect-error -- same: typed below
import nodeEndpointEsm from 'comlink/dist/esm/node-adapter.mjs';
import { reviveError, serializedCause, WeirError, type SerializedWeirError } from '../common/weir-error.ts';

const Comlink = ComlinkEsm as typeof ComlinkTypes;
const nodeEndpoint = nodeEndpointEsm as (port: MessagePort) => ComlinkTypes.Endpoint;

/** Task payload piscina hands to the host worker (ports arrive through `transferList`). */
export interface HostTask {
  /** Host index (0-based), stable across replacements. */
  index: number;
  /** 0 for the first host task on this index, +1 per replacement. */
  generation: number;
  systemName: string;
  logBindings: Record<string, unknown>;
  /** Level of the host's loggers and whether lines go to the main thread (`log` events); default: stderr at WEIR_LOG_LEVEL. */
  log?: { level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'; forward: boolean };
  /** comlink endpoint of {@link HostApi}. */
  control: MessagePort;
  /** Where the host posts {@link HostEvent}s. */
  events: MessagePort;
}

/** What the host task resolves with once it was shut down. */
export interface HostExit {
  index: number;
  stopped: string[];
  abandoned: string[];
}

/** Ask a host to create an actor. */
export interface SpawnRequest {
  id: string;
  /** URL (file:, data:) or bare specifier, imported by the host. */
  module: string;
  exportName: string;
  args: unknown;
  logBindings: Record<string, unknown>;
}

/** Error shape that crosses threads (WeirError.toJSON() or the same fields from any Error). */
export type SerializedError = Partial<SerializedWeirError> & { message: string; name: string };

/** Reply of every {@link HostApi} method; errors are data so their code/details survive comlink. */
export type Envelope<T> = { ok: true; value: T } | { ok: false; error: SerializedError };

/** Shutdown outcome reported by a host. */
export interface HostShutdownResult {
  stopped: string[];
  /** Actors whose run() had not settled within the timeout. */
  abandoned: string[];
}

/** Methods a host exposes over its control port. */
export interface HostApi {
  spawn(request: SpawnRequest): Promise<Envelope<null>>;
  call(actorId: string, method: string, args: unknown[]): Promise<Envelope<unknown>>;
  stop(actorId: string, reason: string | undefined, timeoutMs: number): Promise<Envelope<null>>;
  shutdown(reason: string, timeoutMs: number): Promise<Envelope<HostShutdownResult>>;
}

/** Upward, fire-and-forget messages on the events port. */
export type HostEvent =
  | { type: 'ready'; index: number; generation: number; threadId: number }
  | { type: 'message'; actorId: string; message: unknown }
  | { type: 'done'; actorId: string }
  | { type: 'failed'; actorId: string; error: SerializedError }
  | { type: 'log'; line: string };

/** Serialize any thrown value so that `reviveError` rebuilds it (code/details kept). */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof WeirError) return error.toJSON();
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const details = (error as { details?: unknown }).details;
    const cause = serializedCause(error.cause, 0);
    return {
      name: error.name,
      message: error.message,
      stack: error.stack,
      ...(typeof code === 'string' ? { code } : {}),
      ...(typeof code === 'string' ? { details: isPlainObject(details) ? { ...details } : {} } : {}),
      ...(cause ? { cause } : {}),
    };
  }
  return { name: 'Error', message: typeof error === 'string' ? error : `non-Error value thrown: ${String(error)}` };
}

/** Turn an {@link Envelope} back into a value or a thrown error. */
export function unwrapEnvelope<T>(envelope: Envelope<T>): T {
  if (envelope.ok) return envelope.value;
  throw reviveError(envelope.error);
}

/**
 * MessagePorts found inside `value` (arrays and plain objects, up to `maxDepth` levels), to be
 * transferred rather than cloned. SharedArrayBuffers need nothing: structured clone shares them.
 */
export function collectTransferables(value: unknown, maxDepth = 8): Transferable[] {
  const found = new Set<Transferable>();
  const seen = new Set<object>();
  const visit = (v: unknown, depth: number): void => {
    if (v === null || typeof v !== 'object' || depth > maxDepth || seen.has(v)) return;
    seen.add(v);
    if (v instanceof MessagePort) {
      found.add(v as Transferable);
      return;
    }
    if (Array.isArray(v)) for (const item of v) visit(item, depth + 1);
    else if (isPlainObject(v)) for (const item of Object.values(v)) visit(item, depth + 1);
  };
  visit(value, 0);
  return [...found];
}

/** Host side: serve `api` on `port` (comlink `expose`). */
export function exposeHostApi(api: HostApi, port: MessagePort): void {
  Comlink.expose(api, nodeEndpoint(port));
}

/**
 * Main side: a typed client of one host's {@link HostApi}. Holds the comlink proxy strongly
 * until {@link HostConnection.release}. Calls return the unwrapped value or throw the host's
 * error (revived with its code/details); a comlink-level failure (e.g. an unserializable
 * return value) becomes `WEIR_CONTROL_PLANE_ERROR`.
 */
export class HostConnection {
  readonly #port: MessagePort;
  #remote: ComlinkTypes.Remote<HostApi> | undefined;

  constructor(port: MessagePort) {
    this.#port = port;
    this.#remote = Comlink.wrap<HostApi>(nodeEndpoint(port));
  }

  /** Create an actor; `transfer` lists MessagePorts/ArrayBuffers inside `request.args` to move. */
  spawn(request: SpawnRequest, transfer: Transferable[] = []): Promise<null> {
    return this.#invoke('spawn', (r) => r.spawn(transfer.length > 0 ? Comlink.transfer(request, transfer as never) : request));
  }

  /** Invoke `method` on a running actor. */
  call(actorId: string, method: string, args: unknown[], transfer: Transferable[] = []): Promise<unknown> {
    return this.#invoke('call', (r) => r.call(actorId, method, transfer.length > 0 ? Comlink.transfer(args, transfer as never) : args));
  }

  /** Ask an actor to stop and wait (host-side, up to `timeoutMs`) for its run() to settle. */
  stop(actorId: string, reason: string | undefined, timeoutMs: number): Promise<null> {
    return this.#invoke('stop', (r) => r.stop(actorId, reason, timeoutMs));
  }

  /** Stop every actor on the host (up to `timeoutMs`), then end the host task. */
  shutdown(reason: string, timeoutMs: number): Promise<HostShutdownResult> {
    return this.#invoke('shutdown', (r) => r.shutdown(reason, timeoutMs));
  }

  /** Release the comlink proxy and close the port. Idempotent. */
  release(): void {
    const remote = this.#remote;
    this.#remote = undefined;
    if (remote) {
      try {
        remote[Comlink.releaseProxy]();
      } catch {
        // already released
      }
    }
    this.#port.close();
  }

  async #invoke<T>(method: string, send: (remote: ComlinkTypes.Remote<HostApi>) => Promise<Envelope<unknown>>): Promise<T> {
    const remote = this.#remote;
    if (!remote) throw new WeirError('WEIR_CONTROL_PLANE_CLOSED', `control plane to this host is closed; cannot ${method}`, { method });
    let envelope: Envelope<unknown>;
    try {
      envelope = await send(remote);
    } catch (error) {
      throw new WeirError('WEIR_CONTROL_PLANE_ERROR', `control-plane ${method} failed: ${(error as Error)?.message ?? String(error)}`, { method }, { cause: error });
    }
    return unwrapEnvelope(envelope) as T;
  }
}

/** A promise with its settle functions. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

/** A promise with its settle functions; marked handled so an unobserved rejection never crashes the process. */
export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/** `promise`, or a rejection with `onTimeout()` after `ms`; the timer never keeps the process alive. */
export async function withDeadline<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Module reference as the host will import it: URLs and bare specifiers pass, absolute paths
 * become file URLs; relative paths are refused (relative to what, in a worker?).
 */
export function toModuleSpecifier(module: string | URL): string {
  if (module instanceof URL) return module.href;
  if (typeof module !== 'string' || module === '') throw new WeirError('WEIR_ACTOR_MODULE_INVALID', `actor module must be a URL or a non-empty string, got ${JSON.stringify(module)}`, { module: String(module) });
  if (path.isAbsolute(module)) return pathToFileURL(module).href;
  if (module.startsWith('./') || module.startsWith('../')) {
    throw new WeirError('WEIR_ACTOR_MODULE_INVALID', `actor module "${module}" is relative; pass new URL('${module}', import.meta.url) instead`, { module });
  }
  return module;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
