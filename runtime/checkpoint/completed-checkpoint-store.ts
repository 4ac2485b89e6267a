/**
 * Flink's `CompletedCheckpointStore`: the completed checkpoints a job retains (at most
 * `maxRetained`, the oldest go first) and its recovery point — the newest completed checkpoint,
 * or a newer stop-with-savepoint. Pure bookkeeping: every method returns what the caller must
 * discard, and the coordinator discards it (after the newer `_metadata` is durable).
 */
import type { CompletedCheckpoint } from './checkpoint-metadata.ts';

export class CompletedCheckpointStore {
  private retained: CompletedCheckpoint[];
  private recoveryPoint: CompletedCheckpoint | undefined;

  /**
   * @param initial checkpoints retained from before (a restore, or what an earlier run left), any order
   * @param recoverFromNewest whether the newest of them is this job's recovery point (false for an
   *   earlier run's leftovers: counted for retention only)
   */
  constructor(private readonly maxRetained: number, initial: readonly CompletedCheckpoint[] = [], recoverFromNewest = true) {
    this.retained = [...initial].sort((a, b) => a.checkpointId - b.checkpointId);
    this.recoveryPoint = recoverFromNewest ? this.retained.at(-1) : undefined;
  }

  /** A checkpoint completed: it is retained and becomes the recovery point. Returns the retained ones beyond the limit. */
  addCheckpoint(c: CompletedCheckpoint): CompletedCheckpoint[] {
    this.retained.push(c);
    this.noteRecoveryPoint(c);
    return this.trim();
  }

  /** A stop-with-savepoint completed: the recovery point if it is newer; never retained, never discarded. */
  noteRecoveryPoint(c: CompletedCheckpoint): void {
    if (!this.recoveryPoint || this.recoveryPoint.checkpointId < c.checkpointId) this.recoveryPoint = c;
  }

  /** Retained checkpoints beyond the limit (a restart after a crash between completing one and discarding the oldest). */
  trim(): CompletedCheckpoint[] {
    const victims = this.retained.slice(0, Math.max(0, this.retained.length - this.maxRetained));
    this.retained = this.retained.slice(victims.length);
    return victims;
  }

  /** Forget everything (job cancelled or finished with retention 'delete-on-cancel'); returns what was retained. */
  removeAll(): CompletedCheckpoint[] {
    const all = this.retained;
    this.retained = [];
    this.recoveryPoint = undefined;
    return all;
  }

  /** The checkpoint a recovery restores from. */
  latest(): CompletedCheckpoint | undefined {
    return this.recoveryPoint;
  }

  /** Retained checkpoints, oldest first. */
  all(): CompletedCheckpoint[] {
    return [...this.retained];
  }
}
