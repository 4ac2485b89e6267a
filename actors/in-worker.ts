/**
 * What code running inside a worker thread uses of the actor substrate: defining an actor, the
 * SharedArrayBuffer channels and doorbells of the data plane. Re-exports only.
 *
 * Why a second entry beside index.ts: index.ts also exports the ActorSystem (the main thread's
 * side), which imports piscina; a worker that imported it through index.ts loaded piscina's main
 * module for nothing (5–10 ms of every worker's start-up on the 2-vCPU development machine; the
 * actor system now loads piscina only when it starts, too). test/package.test.ts checks that the
 * worker entries of the build, and `weir` itself, import no piscina.
 */
export * from './actor.ts';
export * from './ring-buffer.ts';
export * from './doorbell.ts';
export * from './channel.ts';
export type { ActorRef } from './actor-system-types.ts';
