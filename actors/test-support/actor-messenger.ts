/** Test fixture: sends `count` numbered messages up to the main thread, then finishes. */
import { defineActor } from '../actor.ts';

export default defineActor((ctx, args: { count: number }) => ({
  async run() {
    for (let i = 0; i < args.count; i++) {
      ctx.send({ seq: i, from: ctx.actorId, host: ctx.host });
      if (i % 10 === 9) await new Promise((r) => setImmediate(r));
    }
  },
}));
