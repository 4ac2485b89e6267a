/**
 * Public surface of the actor substrate (knows nothing of streams): actors on piscina worker
 * threads with supervision, logging, and the SharedArrayBuffer channels of the data plane.
 * Re-exports only. The control plane's wiring (HostConnection, HostApi, the host worker) is
 * internal; only its error/transfer helpers are public.
 */
export * from './in-worker.ts';
export * from './actor-system.ts';
export * from './supervision.ts';
export { collectTransferables, serializeError, toModuleSpecifier, unwrapEnvelope, withDeadline, type Envelope, type SerializedError } from './control-plane.ts';
export * from './logger.ts';
export * from './worker-exec-argv.ts';
