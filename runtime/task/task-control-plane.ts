/**
 * A subtask's control plane: the methods the job master calls (task-protocol.ts `StreamTaskApi`).
 * Each control call becomes a mail that the task loop runs between two records (mailbox.ts),
 * and resolves once it ran. The exceptions: `metrics` (a read of counters, answered at once)
 * and `stop` (cancel: it must reach a loop that is waiting anywhere).
 * Used by the actor (stream-task-actor.ts) and by the in-thread test harness alike.
 */
import { WeirError } from '../../common/weir-error.ts';
import { RuntimeErrorCode } from '../errors.ts';
import type { StreamTask } from './stream-task.ts';
import { SourceTask } from './source-task.ts';
import type { CheckpointBarrier } from '../io/stream-elements.ts';
import type { StreamTaskApi } from './task-protocol.ts';

export function taskControlPlane(task: StreamTask, subtaskName: string) {
  const notASource = (what: string) => Promise.reject(new WeirError(RuntimeErrorCode.INVALID_ARGUMENT, `${what}: subtask ${subtaskName} is not a source`, { subtask: subtaskName }));
  return {
    run: () => task.invoke(),
    stop(): void {
      task.stop();
    },
    metrics: () => task.metrics(),
    /** Coordinator → source subtask: inject barrier n. */
    triggerCheckpoint(barrier: CheckpointBarrier): Promise<void> {
      if (!(task instanceof SourceTask)) return notASource('triggerCheckpoint');
      if (!task.checkpointer) return Promise.reject(new WeirError(RuntimeErrorCode.INVALID_ARGUMENT, `triggerCheckpoint: checkpointing is not enabled for this job (subtask ${subtaskName})`, { subtask: subtaskName }));
      return task.mailbox.submit(`trigger checkpoint ${barrier.checkpointId}`, () => task.triggerCheckpoint(barrier));
    },
    notifyCheckpointComplete(checkpointId: number): Promise<void> {
      return task.mailbox.submit(`checkpoint ${checkpointId} complete`, () => task.notifyCheckpointComplete(checkpointId));
    },
    notifyCheckpointAborted(checkpointId: number, reason: string): Promise<void> {
      return task.mailbox.submit(`checkpoint ${checkpointId} aborted`, () => task.notifyCheckpointAborted(checkpointId, reason));
    },
    prepareSavepoint(directory: string): Promise<void> {
      return task.mailbox.submit('prepare savepoint', () => task.checkpointer?.prepareSavepoint(directory));
    },
    /** Every subtask of the attempt is deployed: sources start reading (`args.awaitStart`). */
    startReading(): Promise<void> {
      if (!(task instanceof SourceTask)) return notASource('startReading');
      return task.mailbox.submit('start reading', () => task.startReading());
    },
    /** After the final checkpoint: sources end their partitions. */
    endInput(): Promise<void> {
      if (!(task instanceof SourceTask)) return notASource('endInput');
      return task.mailbox.submit('end input', () => task.endInput());
    },
  } satisfies StreamTaskApi;
}
