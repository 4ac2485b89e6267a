/**
 * The actor module every subtask runs as. The main thread spawns it with `StreamTaskArgs`; its
 * methods are the subtask's control plane (task-control-plane.ts: control calls become mails).
 */
import { defineActor } from '../../actors/in-worker.ts';
import { createStreamTask } from './create-stream-task.ts';
import { realTaskServices } from './task-timers.ts';
import { taskControlPlane } from './task-control-plane.ts';
import type { StreamTaskArgs } from './task-args.ts';

export default defineActor(async (ctx, args: StreamTaskArgs) => {
  const task = await createStreamTask(ctx, args, realTaskServices());
  ctx.logger.debug({ restored: args.restore !== undefined }, 'subtask deployed'); // bindings: actor, host, vertex, subtask, attempt
  return taskControlPlane(task, ctx.actorId);
});
