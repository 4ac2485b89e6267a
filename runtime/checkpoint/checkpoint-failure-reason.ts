/**
 * Why a checkpoint did not complete — stable strings modelled on Flink's
 * `CheckpointFailureReason`. They appear in checkpoint statistics, in
 * `notifyAborted(id, reason)` and in `WeirError.details.reason` of a rejected
 * trigger. Match on these strings; never on messages.
 */
export const CheckpointFailureReason = {
  /** The checkpoint did not complete within `timeoutMs`. Counted. */
  CHECKPOINT_EXPIRED: 'CHECKPOINT_EXPIRED',
  /** A subtask declined the checkpoint (e.g. it could not take it). Counted. */
  CHECKPOINT_DECLINED: 'CHECKPOINT_DECLINED',
  /** A newer checkpoint completed first; this one is no longer needed. Not counted. */
  CHECKPOINT_SUBSUMED: 'CHECKPOINT_SUBSUMED',
  /** Aborted on request (job client). Not counted. */
  CHECKPOINT_CANCELLED: 'CHECKPOINT_CANCELLED',
  /** A task failed while the checkpoint was pending; failover handles it. Not counted. */
  TASK_FAILURE: 'TASK_FAILURE',
  /** The subtask finished or was stopped before its snapshot completed (Flink's CHECKPOINT_DECLINED_TASK_CLOSING). Not counted. */
  CHECKPOINT_DECLINED_TASK_CLOSING: 'CHECKPOINT_DECLINED_TASK_CLOSING',
  /** Taking the snapshot failed inside a task. Counted. */
  TASK_CHECKPOINT_FAILURE: 'TASK_CHECKPOINT_FAILURE',
  /** Writing `_metadata` (finalization) failed. Counted. */
  FINALIZE_CHECKPOINT_FAILURE: 'FINALIZE_CHECKPOINT_FAILURE',
  /** The job is failing over; pending checkpoints are dropped. Not counted. */
  JOB_FAILOVER: 'JOB_FAILOVER',
  /** A manual trigger would exceed `maxConcurrent`. Not counted (nothing was started). */
  TOO_MANY_CHECKPOINT_REQUESTS: 'TOO_MANY_CHECKPOINT_REQUESTS',
  /** A trigger came sooner than `minPauseMs` after the last checkpoint ended. Not counted. */
  MINIMUM_TIME_BETWEEN_CHECKPOINTS: 'MINIMUM_TIME_BETWEEN_CHECKPOINTS',
  /** No subtask is left to take the checkpoint (all finished) or tasks are not running. Not counted. */
  NOT_ALL_REQUIRED_TASKS_RUNNING: 'NOT_ALL_REQUIRED_TASKS_RUNNING',
  /** Injecting the barriers at the sources failed. Not counted (pre-flight, as in Flink). */
  TRIGGER_CHECKPOINT_FAILURE: 'TRIGGER_CHECKPOINT_FAILURE',
  /** The coordinator stopped (job cancelled, finished, suspended). Not counted. */
  CHECKPOINT_COORDINATOR_SHUTDOWN: 'CHECKPOINT_COORDINATOR_SHUTDOWN',
} as const;

/** One of the {@link CheckpointFailureReason} strings. */
export type CheckpointFailureReason = (typeof CheckpointFailureReason)[keyof typeof CheckpointFailureReason];

const COUNTED: ReadonlySet<CheckpointFailureReason> = new Set<CheckpointFailureReason>([
  CheckpointFailureReason.CHECKPOINT_EXPIRED,
  CheckpointFailureReason.CHECKPOINT_DECLINED,
  CheckpointFailureReason.TASK_CHECKPOINT_FAILURE,
  CheckpointFailureReason.FINALIZE_CHECKPOINT_FAILURE,
]);

const ALL: ReadonlySet<string> = new Set(Object.values(CheckpointFailureReason));

/**
 * Whether a failure of this kind counts toward `tolerableFailures`
 * (consecutive failed checkpoints before the job fails over). As in Flink:
 * expiry, declines, snapshot failures in a task and finalization failures
 * count; subsumption, manual cancel, shutdown, failover and pre-flight
 * rejections do not.
 */
export function countsTowardTolerableFailures(reason: CheckpointFailureReason): boolean {
  return COUNTED.has(reason);
}

/** Narrow an arbitrary string (e.g. a decline reason from a task) to a known reason. */
export function isCheckpointFailureReason(value: unknown): value is CheckpointFailureReason {
  return typeof value === 'string' && ALL.has(value);
}

/**
 * Counts consecutive counted checkpoint failures (Flink's
 * CheckpointFailureManager). Only checkpoints (not savepoints) newer than the
 * last successful one count; a success resets the count; exceeding
 * `tolerableFailures` resets it too and reports the count that exceeded it.
 */
export class CheckpointFailureCounter {
  private count = 0;
  private lastSuccessfulId: number;

  constructor(readonly tolerableFailures: number, lastSuccessfulId = -1) {
    this.lastSuccessfulId = lastSuccessfulId;
  }

  /** Consecutive counted failures so far. */
  get consecutiveFailures(): number {
    return this.count;
  }

  /** Checkpoint `checkpointId` completed. */
  success(checkpointId: number): void {
    this.count = 0;
    this.lastSuccessfulId = Math.max(this.lastSuccessfulId, checkpointId);
  }

  /** Record a failure; returns the failure count when it exceeds the tolerance (the job must fail over), else undefined. */
  failure(checkpointId: number, reason: CheckpointFailureReason, kind: 'checkpoint' | 'savepoint'): number | undefined {
    if (!countsTowardTolerableFailures(reason) || kind !== 'checkpoint' || checkpointId <= this.lastSuccessfulId) return undefined;
    this.count++;
    if (this.count <= this.tolerableFailures) return undefined;
    const exceeded = this.count;
    this.count = 0;
    return exceeded;
  }
}
