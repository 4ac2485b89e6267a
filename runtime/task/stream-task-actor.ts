/**
 * The actor module every subtask runs as. The main thread spawns it with
 * `StreamTaskArgs`; its methods are the subtask's control plane.
 */
import { defineActor } from '../../actors/index.ts';
import { StreamTask } from './stream-task.ts';
import { runInputLoop, runSourceLoop } from './task-loops.ts';
import type { StreamTaskArgs } from './task-args.ts';

export default defineActor(async (ctx, args: StreamTaskArgs) => {
  const task = await StreamTask.create(ctx, args);
  return {
    async run(): Promise<void> {
      try {
        if (task.vertex.isSource) await runSourceLoop(task);
        else await runInputLoop(task);
      } finally {
        try {
          await task.close();
        } finally {
          ctx.send({ type: 'metrics', metrics: task.metrics() });
        }
      }
    },
    stop(): void {
      task.stop();
    },
    metrics: () => task.metrics(),
  };
});
