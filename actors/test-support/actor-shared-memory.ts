/** Test fixtures: actors that use SharedArrayBuffers and MessagePorts from their spawn args. */
import type { MessagePort } from 'node:worker_threads';
import { defineActor } from '../actor.ts';

/** Writes `value` into slot `index` of the shared Int32Array in its factory and on `write()`. */
export const sharedWriter = defineActor((_ctx, args: { sab: SharedArrayBuffer; index: number; value: number }) => {
  const view = new Int32Array(args.sab);
  Atomics.store(view, args.index, args.value);
  return {
    run: async () => {},
    write(index: number, value: number): void {
      Atomics.store(view, index, value);
    },
    read(index: number): number {
      return Atomics.load(view, index);
    },
    isShared: () => args.sab instanceof SharedArrayBuffer,
  };
});

/** Keeps running (and callable) until stopped; reads/writes the shared buffer on demand. */
export const sharedCell = defineActor((_ctx, args: { sab: SharedArrayBuffer }) => {
  const view = new Int32Array(args.sab);
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  return {
    run: () => finished,
    stop: () => finish(),
    read: (index: number) => Atomics.load(view, index),
    write: (index: number, value: number) => void Atomics.store(view, index, value),
  };
});

/**
 * Parks on `Atomics.waitAsync(view, 0, 0)` with nothing else pending in the actor, announces it
 * with ctx.send('waiting'), then on wake-up stores view[0] * 2 in view[1] and finishes.
 */
export const atomicsWaiter = defineActor((ctx, args: { sab: SharedArrayBuffer }) => {
  const view = new Int32Array(args.sab);
  return {
    async run() {
      // Atomics.waitAsync is ES2024 (Node 20 has it; the project's lib is ES2023).
      const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number): { async: boolean; value: Promise<string> | string } }).waitAsync;
      const result = waitAsync(view, 0, 0);
      ctx.send({ state: 'waiting', async: result.async });
      const outcome = await result.value;
      Atomics.store(view, 1, Atomics.load(view, 0) * 2);
      ctx.send({ state: 'woken', outcome });
    },
  };
});

/** Echoes every message it receives on a transferred MessagePort, upper-cased; done on 'bye'. */
export const portEcho = defineActor((_ctx, args: { port: MessagePort }) => ({
  run: () =>
    new Promise<void>((resolve) => {
      args.port.on('message', (text: string) => {
        args.port.postMessage(text.toUpperCase());
        if (text === 'bye') {
          args.port.close();
          resolve();
        }
      });
    }),
}));
