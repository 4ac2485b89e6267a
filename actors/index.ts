/**
 * Public surface of the actor substrate (knows nothing of streams): actors on piscina worker
 * threads with supervision, the comlink control plane, logging, and the SharedArrayBuffer
 * channels of the data plane. Re-exports only.
 */
export * from './actor.ts';
export * from './actor-system.ts';
export * from './supervision.ts';
export * from './control-plane.ts';
export * from './logger.ts';
export * from './worker-exec-argv.ts';
export * from './ring-buffer.ts';
export * from './doorbell.ts';
export * from './channel.ts';
