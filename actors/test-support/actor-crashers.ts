/** Test fixtures: actors that fail in each of the ways the supervisor must report. */
import { WeirError } from '../../common/weir-error.ts';
import { defineActor } from '../actor.ts';

/** run() rejects with a WeirError carrying code and details, after `delayMs`. */
export const throwsInRun = defineActor((ctx, args: { delayMs: number }) => ({
  async run() {
    await new Promise((r) => setTimeout(r, args.delayMs));
    throw new WeirError('WEIR_TEST_BOOM', `actor ${ctx.actorId} failed on purpose`, { actorId: ctx.actorId, answer: 42 });
  },
}));

/** Waits for `crash()`, then calls process.exit(3) in its worker. */
export const exitsProcess = defineActor(() => {
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  return {
    run: () => finished,
    stop: () => finish(),
    crash(): string {
      setTimeout(() => process.exit(3), 5);
      return 'exiting';
    },
    /** Exits the worker while this call is still pending: the caller must get a rejection, not a hang. */
    crashWhileCalled(): Promise<never> {
      setTimeout(() => process.exit(3), 5);
      return new Promise<never>(() => {});
    },
  };
});

/** Waits for `explode()`, then throws from a setTimeout callback (an uncaught exception). */
export const uncaughtInTimer = defineActor(() => {
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  return {
    run: () => finished,
    stop: () => finish(),
    explode(): string {
      setTimeout(() => {
        throw new Error('kaboom from a timer');
      }, 5);
      return 'armed';
    },
  };
});

/** Its factory rejects: spawn must reject with this error. */
export const factoryFails = defineActor(async (_ctx, args: { why: string }) => {
  await new Promise((r) => setImmediate(r));
  throw new WeirError('WEIR_TEST_FACTORY_FAILED', `factory refused: ${args.why}`, { why: args.why });
});

/** Not made with defineActor(): spawning it must fail clearly. */
export const notAnActor = { run: async () => {} };

/** On `allocate()`, retains memory until the worker exceeds its resourceLimits (ERR_WORKER_OUT_OF_MEMORY). */
export const exhaustsMemory = defineActor(() => {
  const hoard: unknown[] = [];
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  return {
    run: () => finished,
    stop: () => finish(),
    allocate(): string {
      const grow = () => {
        for (let i = 0; i < 1000; i++) hoard.push({ i, payload: new Array(100).fill(i) });
        setImmediate(grow);
      };
      grow();
      return 'allocating';
    },
  };
});
