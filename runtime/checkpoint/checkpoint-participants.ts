/**
 * The subtasks a job's checkpoints wait for (Flink's "tasks to acknowledge"): each listed once,
 * which of them have finished (a finished subtask acknowledges every checkpoint with empty
 * state), and the vertex list `_metadata` records when none is given. Pure bookkeeping: the
 * coordinator decides what a finished subtask means for its pending checkpoints.
 */
import { WeirError } from '../../common/weir-error.ts';
import { subtaskId, type SubtaskKey, type VertexInfo } from './checkpoint-metadata.ts';
import { compareKeys } from './pending-checkpoint.ts';

export class CheckpointParticipants {
  private readonly tasks = new Map<string, SubtaskKey>();
  private readonly finished = new Set<string>();

  /** @throws WeirError `WEIR_INVALID_ARGUMENT` when a subtask is listed twice. */
  constructor(tasksToAcknowledge: readonly SubtaskKey[]) {
    for (const k of tasksToAcknowledge) {
      const id = subtaskId(k);
      if (this.tasks.has(id)) throw new WeirError('WEIR_INVALID_ARGUMENT', `tasksToAcknowledge lists subtask ${id} twice`, { subtask: id });
      this.tasks.set(id, { vertexId: k.vertexId, subtask: k.subtask });
    }
  }

  /** Whether subtask `id` ({@link subtaskId}) takes part. */
  has(id: string): boolean {
    return this.tasks.has(id);
  }

  /** Subtask `id` (a participant) finished. */
  markFinished(id: string): void {
    this.finished.add(id);
  }

  /** Every participant has finished: no checkpoint can be taken any more. */
  allFinished(): boolean {
    return this.finished.size === this.tasks.size;
  }

  /** Every participant, in subtask order (what a new checkpoint waits for). */
  sortedKeys(): SubtaskKey[] {
    return [...this.tasks.values()].sort(compareKeys);
  }

  /** The finished participants, in the order they finished. */
  finishedKeys(): SubtaskKey[] {
    return [...this.finished].map((id) => this.tasks.get(id)!);
  }
}

/** The vertex list for `_metadata` derived from the subtasks (parallelism = highest subtask + 1, maxParallelism at least 128). */
export function deriveVertices(tasks: SubtaskKey[]): VertexInfo[] {
  const counts = new Map<string, number>();
  for (const t of tasks) counts.set(t.vertexId, Math.max(counts.get(t.vertexId) ?? 0, t.subtask + 1));
  return [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([vertexId, parallelism]) => ({ vertexId, parallelism, maxParallelism: Math.max(128, parallelism) }));
}
