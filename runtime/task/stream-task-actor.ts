/**
 * The actor module every subtask runs as. The main thread spawns it with
 * `StreamTaskArgs`; its methods are the subtask's control plane.
 */
import { defineActor } from '../../actors/index.ts';
import { StreamTask } from './stream-task.ts';
import { runInputLoop, runSourceLoop } from './task-loops.ts';
import type { StreamTaskArgs } from './task-args.ts';
import type { CheckpointBarrier } from '../io/stream-elements.ts';
import { sendToMaster, type StreamTaskApi } from './task-protocol.ts';

export default defineActor(async (ctx, args: StreamTaskArgs) => {
  const task = await StreamTask.create(ctx, args);
  ctx.logger.debug({ restored: args.restore !== undefined }, 'subtask deployed'); // bindings: actor, host, vertex, subtask, attempt
  return {
    async run(): Promise<void> {
      try {
        if (task.vertex.isSource) await runSourceLoop(task);
        else await runInputLoop(task);
        if (task.fatal) throw task.fatal;
        // Only a subtask that ended its input is finished (a stopped one is not: a failover or
        // cancel stopped it, and its state must still come from checkpoints).
        if (task.finished) sendToMaster(ctx, { type: 'subtask-finished', subtask: { vertexId: task.vertex.id, subtask: task.args.subtask } });
      } catch (e) {
        // Remembered before close(): in-progress snapshots are declined as TASK_FAILURE, not
        // as checkpoint failures (the error itself reaches the job master as the run's rejection).
        task.fatal ??= e as Error;
        throw e;
      } finally {
        try {
          await task.close();
        } finally {
          sendToMaster(ctx, { type: 'metrics', metrics: task.metrics() });
        }
      }
    },
    stop(): void {
      task.stop();
    },
    metrics: () => task.metrics(),
    /** Coordinator → source subtask: inject barrier n. */
    triggerCheckpoint(barrier: CheckpointBarrier): void {
      if (!task.checkpointer) throw new Error('checkpointing is not enabled for this job');
      if (!task.vertex.isSource) throw new Error(`subtask ${ctx.actorId} is not a source`);
      task.triggerSourceCheckpoint(barrier);
    },
    async notifyCheckpointComplete(checkpointId: number): Promise<void> {
      await task.checkpointer?.notifyComplete(checkpointId);
    },
    async notifyCheckpointAborted(checkpointId: number, reason: string): Promise<void> {
      task.wakeUp();
      await task.checkpointer?.notifyAborted(checkpointId, reason);
    },
    prepareSavepoint(directory: string): void {
      task.checkpointer?.prepareSavepoint(directory);
    },
    /** After the final checkpoint: sources end their partitions. */
    endInput(): void {
      task.endInputRequested = true;
      task.wakeUp();
    },
  } satisfies StreamTaskApi;
});
