/**
 * What code running inside a worker thread uses of the actor substrate: defining an actor, the
 * SharedArrayBuffer channels and doorbells of the data plane. Re-exports only.
 *
 * Why a second entry beside index.ts: index.ts also exports the ActorSystem (the main thread's
 * side), which imports piscina; a worker that imported it through index.ts loaded piscina's main
 * module for nothing (~13 ms of every worker's start-up on the 2-vCPU development machine).
 * `.dependency-cruiser.cjs` (worker-entries-never-load-the-pool) keeps the worker entries off it.
 */
export * from './actor.ts';
export * from './ring-buffer.ts';
export * from './doorbell.ts';
export * from './channel.ts';
export type { ActorRef } from './actor-system-types.ts';
