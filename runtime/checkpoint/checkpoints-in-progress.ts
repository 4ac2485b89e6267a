/**
 * The checkpoints in progress of one job and how each one ends (steps 3 and "abort" of the
 * protocol in checkpoint-coordinator.ts): completed — classify first, then subsume, notify,
 * retain, discard the retention victims — or aborted — notify, discard, reject, count the
 * failure and maybe fail the job. It also remembers recently aborted checkpoints, whose late
 * acknowledgements still bring files to discard. Triggering and acknowledgements stay in the
 * coordinator; every side effect goes through the coordinator's effects runner.
 */
import { WeirError } from '../../common/weir-error.ts';
import type { Clock } from '../../common/clock.ts';
import { CheckpointFailureReason, type CheckpointFailureCounter } from './checkpoint-failure-reason.ts';
import type { CheckpointConfig } from './checkpoint-config.ts';
import type { CompletedCheckpoint } from './checkpoint-metadata.ts';
import type { CheckpointStatsTracker } from './checkpoint-stats.ts';
import type { CompletedCheckpointStore } from './completed-checkpoint-store.ts';
import type { CoordinatorEffectsRunner } from './coordinator-effects-runner.ts';
import type { CoordinatorEffects, CoordinatorLogger, PendingCheckpoint } from './pending-checkpoint.ts';

const ABORTED_MEMORY = 1024;

/** What ending a checkpoint touches (all owned by the coordinator). */
export interface CheckpointsInProgressDeps {
  readonly clock: Clock;
  readonly stats: CheckpointStatsTracker;
  readonly log: CoordinatorLogger;
  readonly effects: CoordinatorEffects;
  readonly run: CoordinatorEffectsRunner;
  readonly store: CompletedCheckpointStore;
  readonly failures: CheckpointFailureCounter;
  readonly config: CheckpointConfig;
}

export class CheckpointsInProgress {
  private readonly pending = new Map<number, PendingCheckpoint>();
  private readonly aborted = new Map<number, { kind: 'checkpoint' | 'savepoint'; directory?: string }>();
  private lastEndMs = -Infinity;

  constructor(private readonly d: CheckpointsInProgressDeps) {}

  /** Number of checkpoints in progress. */
  get size(): number {
    return this.pending.size;
  }

  /** When the last checkpoint ended (completed or aborted), -Infinity if none did. */
  get lastEnd(): number {
    return this.lastEndMs;
  }

  get(checkpointId: number): PendingCheckpoint | undefined {
    return this.pending.get(checkpointId);
  }

  /** Register a checkpoint just triggered. */
  add(p: PendingCheckpoint): void {
    this.pending.set(p.checkpointId, p);
  }

  /** The checkpoints in progress, in the order they were triggered. */
  all(): PendingCheckpoint[] {
    return [...this.pending.values()];
  }

  /** Ids of checkpoints in progress, ascending. */
  ids(): number[] {
    return [...this.pending.keys()].sort((a, b) => a - b);
  }

  /** Where an aborted checkpoint wrote (kind, savepoint directory), if it is still remembered. */
  abortedInfo(checkpointId: number): { kind: 'checkpoint' | 'savepoint'; directory?: string } | undefined {
    return this.aborted.get(checkpointId);
  }

  /** Step 3: `_metadata` is durable. */
  completed(p: PendingCheckpoint, completed: CompletedCheckpoint): void {
    const { clock, stats, log, effects, run, store, failures } = this.d;
    if (p.status === 'aborted') {
      // Aborted while its metadata was being written: remove what was written.
      run.discard(p.checkpointId, 'aborted', { kind: p.kind, files: p.files(), directory: completed.directory });
      return;
    }
    const id = p.checkpointId;
    p.status = 'completed';
    p.cancelTimeout();
    this.pending.delete(id);
    const now = clock.now();
    this.lastEndMs = now;
    stats.reportCompleted(id, now, completed.directory);
    const commits = p.kind === 'checkpoint' || p.trigger === 'final';
    if (commits) {
      // 3a. Classify before deleting anything.
      const subsumed = [...this.pending.values()].filter((o) => o.checkpointId < id && o.kind === 'checkpoint');
      let victims: CompletedCheckpoint[] = [];
      if (p.kind === 'checkpoint') {
        victims = store.addCheckpoint(completed);
        failures.success(id);
      } else {
        store.noteRecoveryPoint(completed);
      }
      // 3b. Act.
      for (const o of subsumed) this.abort(o, CheckpointFailureReason.CHECKPOINT_SUBSUMED, `subsumed by completed checkpoint ${id}`);
      run.safely('notifyComplete', () => effects.notifyComplete(id));
      for (const v of victims) run.discard(v.checkpointId, 'retention', { kind: v.kind, files: v.metadata.files, directory: v.directory });
    }
    log.debug({ checkpointId: id, kind: p.kind, durationMs: now - p.triggerTimestamp }, 'checkpoint completed');
    p.resolve(completed);
  }

  /** Writing `_metadata` failed. */
  finalizeFailed(p: PendingCheckpoint, error: unknown): void {
    if (p.status === 'aborted') {
      this.d.run.discard(p.checkpointId, 'aborted', { kind: p.kind, files: p.files(), ...(p.targetDirectory ? { directory: p.targetDirectory } : {}) });
      return;
    }
    this.abort(p, CheckpointFailureReason.FINALIZE_CHECKPOINT_FAILURE, `writing _metadata failed: ${(error as Error)?.message ?? error}`, error);
  }

  /** Abort a checkpoint in progress (no-op once it completed or was aborted). */
  abort(p: PendingCheckpoint, reason: CheckpointFailureReason, message: string, cause?: unknown): void {
    const { clock, stats, log, effects, run, failures, config } = this.d;
    if (p.status === 'completed' || p.status === 'aborted') return;
    const id = p.checkpointId;
    p.status = 'aborted';
    p.cancelTimeout();
    this.pending.delete(id);
    this.aborted.set(id, { kind: p.kind, ...(p.targetDirectory ? { directory: p.targetDirectory } : {}) });
    if (this.aborted.size > ABORTED_MEMORY) this.aborted.delete(this.aborted.keys().next().value!);
    const now = clock.now();
    this.lastEndMs = now;
    stats.reportFailed(id, now, reason, message);
    log.debug({ checkpointId: id, kind: p.kind, reason, message }, 'checkpoint aborted'); // the job's life log warns once (job-life-log.ts)
    run.safely('notifyAborted', () => effects.notifyAborted(id, reason));
    run.discard(id, reason === CheckpointFailureReason.CHECKPOINT_SUBSUMED ? 'subsumed' : 'aborted', {
      kind: p.kind, files: p.files(), ...(p.targetDirectory ? { directory: p.targetDirectory } : {}),
    });
    p.reject(new WeirError('WEIR_CHECKPOINT_FAILED', `${p.kind === 'savepoint' ? 'Savepoint' : 'Checkpoint'} ${id} failed (${reason}): ${message}`, { reason, checkpointId: id, kind: p.kind }, { cause }));
    const n = failures.failure(id, reason, p.kind);
    if (n !== undefined) {
      const err = new WeirError(
        'WEIR_TOO_MANY_CHECKPOINT_FAILURES',
        `${n} consecutive checkpoint failures exceed tolerableFailures=${config.tolerableFailures}; the last one: checkpoint ${id} ${reason}: ${message}`,
        { consecutiveFailures: n, tolerableFailures: config.tolerableFailures, checkpointId: id, reason },
      );
      run.safely('failJob', () => effects.failJob(err));
    }
  }
}
