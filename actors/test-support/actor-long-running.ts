/** Test fixture: a ticking actor that stops cleanly on stop() — or ignores it when asked to. */
import { defineActor } from '../actor.ts';

export default defineActor((ctx, args: { tickMs: number; ignoreStop?: boolean }) => {
  let ticks = 0;
  let stopping = false;
  return {
    async run() {
      // ignoreStop: loop forever on timers, like an actor stuck in a slow external call.
      while (!stopping || args.ignoreStop) {
        await new Promise((r) => setTimeout(r, args.tickMs));
        ticks++;
      }
      ctx.logger.debug({ ticks }, 'stopped');
    },
    stop() {
      stopping = true;
    },
    ticks: () => ticks,
  };
});

/** On `spin()`, blocks its worker in a synchronous loop forever (no stop, no reply, ever). */
export const busyLoop = defineActor(() => {
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  return {
    run: () => finished,
    stop: () => finish(),
    spin(): never {
      for (;;) {
        // wedged: only Worker.terminate() ends this
      }
    },
  };
});
