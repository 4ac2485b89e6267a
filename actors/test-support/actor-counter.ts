/** Test fixture: a counter with callable methods that runs until stopped. */
import { threadId } from 'node:worker_threads';
import { defineActor } from '../actor.ts';

export default defineActor((ctx, args: { start: number }) => {
  let count = args.start;
  let stopReason: string | undefined;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  return {
    run: () => finished,
    stop(reason?: string) {
      stopReason = reason;
      finish();
    },
    increment(by = 1): number {
      count += by;
      return count;
    },
    get(): number {
      return count;
    },
    whoAmI() {
      return { actorId: ctx.actorId, host: ctx.host, threadId, stopReason };
    },
    /** Rejects asynchronously: the caller gets the error, the actor keeps running. */
    async failingMethod(): Promise<never> {
      await new Promise((r) => setImmediate(r));
      const { WeirError } = await import('../../common/weir-error.ts');
      throw new WeirError('WEIR_TEST_METHOD_FAILED', 'failingMethod failed on purpose', { count });
    },
  };
});
