/**
 * The checkpoint coordinator (main thread): decides when to trigger, when a
 * checkpoint is complete, expired, declined or subsumed, what to discard and
 * when the job must fail over. It performs no I/O itself: every side effect
 * goes through {@link CoordinatorEffects} (run by coordinator-effects-runner.ts),
 * time through an injected clock and scheduler, so the whole protocol is
 * testable with a manual clock. Its parts: when a periodic tick triggers
 * (periodic-trigger.ts, pure), whether a trigger request may start and with
 * which barrier alignment (trigger-request.ts, pure), the subtasks to
 * acknowledge and which have finished (checkpoint-participants.ts), the
 * checkpoints in progress and how each ends — step 3 and abort below
 * (checkpoints-in-progress.ts), which completed checkpoints are retained and
 * which is the recovery point (completed-checkpoint-store.ts, Flink's
 * CompletedCheckpointStore), failure counting (checkpoint-failure-reason.ts).
 *
 * Life of checkpoint n:
 *  1. trigger (periodic timer or `trigger()`): checks (stopped, all finished,
 *     maxConcurrent), id n = next id, PendingCheckpoint, expiry timer, finished
 *     subtasks pre-acknowledged, `effects.triggerSources(n, …)`.
 *  2. `acknowledge` from every non-finished subtask → `finalize(draft)`
 *     (storage writes `_metadata` LAST, atomically).
 *  3. finalize resolved → completed: classify first (older pending checkpoints
 *     to subsume, completed checkpoints beyond `retained`), then abort the
 *     subsumed, `notifyComplete(n)`, and only then discard the retention victims.
 *  Any time before 3: expiry / decline / `abort()` / `stop()` / finalize failure
 *  → abort: `notifyAborted`, `discard`, reject the trigger promise, count the
 *  failure (see checkpoint-failure-reason.ts) and maybe `failJob`.
 *
 * Savepoints (documented departure kept simple, following Flink ≥ 1.15): an
 * intermediate savepoint (trigger 'savepoint'/'manual') commits no side
 * effects — no `notifyComplete`, subsumes nothing, is never used for recovery
 * and never discarded. A savepoint triggered with reason `'final'`
 * (stop-with-savepoint) behaves like a checkpoint for notification,
 * subsumption and recovery, but is still never discarded by retention.
 * Savepoints are never subsumed; their failures are not counted.
 */
import { WeirError } from '../../common/weir-error.ts';
import type { CheckpointConfig } from './checkpoint-config.ts';
import { CheckpointFailureCounter, CheckpointFailureReason, isCheckpointFailureReason } from './checkpoint-failure-reason.ts';
import { CheckpointsInProgress } from './checkpoints-in-progress.ts';
import { subtaskId, type CompletedCheckpoint, type SubtaskKey, type VertexInfo } from './checkpoint-metadata.ts';
import { CheckpointParticipants, deriveVertices } from './checkpoint-participants.ts';
import { CheckpointStatsTracker } from './checkpoint-stats.ts';
import { CompletedCheckpointStore } from './completed-checkpoint-store.ts';
import { decidePeriodicTick } from './periodic-trigger.ts';
import { triggerRefusal, triggerSourcesOptions } from './trigger-request.ts';
import { CoordinatorEffectsRunner } from './coordinator-effects-runner.ts';
import {
  PendingCheckpoint,
  type CoordinatorEffects, type CoordinatorLogger, type JobTerminalStatus, type SubtaskAck, type TriggerOptions,
} from './pending-checkpoint.ts';
import type { Clock } from '../../common/clock.ts';
import type { Cancel, Scheduler } from './scheduler.ts';

export type { SubtaskKey, CompletedCheckpoint, CompletedCheckpointDraft } from './checkpoint-metadata.ts';
export type {
  SubtaskAck, TriggerSourcesOptions, DiscardReason, DiscardInfo, CoordinatorEffects, CoordinatorLogger, JobTerminalStatus, TriggerOptions,
} from './pending-checkpoint.ts';

const NOOP_LOGGER: CoordinatorLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** Decides everything about checkpoints of one job; see the file header for the protocol. */
export class CheckpointCoordinator {
  /** Statistics of this job's checkpoints (shared across failovers when passed in). */
  readonly stats: CheckpointStatsTracker;
  private readonly jobId: string;
  private readonly config: CheckpointConfig;
  private readonly clock: Clock;
  private readonly scheduler: Scheduler;
  private readonly effects: CoordinatorEffects;
  private readonly log: CoordinatorLogger;
  private readonly participants: CheckpointParticipants;
  private readonly vertices: VertexInfo[];
  /** The checkpoints in progress; completes and aborts them (checkpoints-in-progress.ts). */
  private readonly inProgress: CheckpointsInProgress;
  /** Runs every side effect (effects never throw into the protocol; async ones are tracked). */
  private readonly run: CoordinatorEffectsRunner;
  private readonly store: CompletedCheckpointStore;
  private nextId: number;
  private readonly failures: CheckpointFailureCounter;
  private periodic: Cancel | undefined;
  private stopped = false;
  /** Every source ended its input: only the final checkpoint may still be triggered. */
  private inputEnded = false;

  constructor(opts: {
    jobId: string; config: CheckpointConfig; clock: Clock; scheduler: Scheduler;
    tasksToAcknowledge: SubtaskKey[]; effects: CoordinatorEffects; logger?: CoordinatorLogger;
    /** Continue numbering after a restore. Default 1. */
    firstCheckpointId?: number;
    /** Vertex list for `_metadata`; default derived from tasksToAcknowledge with maxParallelism 128. */
    vertices?: VertexInfo[];
    /** Completed checkpoints still retained from before a restore (oldest first); subject to retention ({@link enforceRetention}). */
    retainedCheckpoints?: CompletedCheckpoint[];
    /** Whether the newest retained checkpoint is this job's recovery point (default true; false for a previous run's leftovers). */
    recoverFromRetained?: boolean;
    /**
     * The previous coordinator's recovery point, when a failover replaces it: a stop-with-savepoint
     * newer than every retained checkpoint is not among them (savepoints are never retained).
     */
    recoveryPoint?: CompletedCheckpoint;
    /** Keep statistics across coordinators of one job (a failover creates a new coordinator). */
    stats?: CheckpointStatsTracker;
  }) {
    this.stats = opts.stats ?? new CheckpointStatsTracker();
    this.jobId = opts.jobId;
    this.config = opts.config;
    this.clock = opts.clock;
    this.scheduler = opts.scheduler;
    this.effects = opts.effects;
    this.log = opts.logger ?? NOOP_LOGGER;
    this.run = new CoordinatorEffectsRunner(opts.effects, this.log);
    this.participants = new CheckpointParticipants(opts.tasksToAcknowledge);
    this.vertices = opts.vertices ?? deriveVertices(opts.tasksToAcknowledge);
    const first = opts.firstCheckpointId ?? 1;
    if (!Number.isInteger(first) || first < 1) throw new WeirError('WEIR_INVALID_ARGUMENT', `firstCheckpointId must be a positive integer, got ${first}`, { firstCheckpointId: first });
    this.nextId = first;
    this.store = new CompletedCheckpointStore(this.config.retained, opts.retainedCheckpoints ?? [], opts.recoverFromRetained !== false);
    if (opts.recoveryPoint) this.store.noteRecoveryPoint(opts.recoveryPoint);
    this.failures = new CheckpointFailureCounter(this.config.tolerableFailures, this.store.latest()?.checkpointId ?? -1);
    this.inProgress = new CheckpointsInProgress({
      clock: this.clock, stats: this.stats, log: this.log, effects: this.effects, run: this.run, store: this.store, failures: this.failures, config: this.config,
    });
  }

  /** Start periodic triggering every `intervalMs` (no-op if periodic checkpointing is off or already running). */
  startPeriodic(): void {
    if (this.stopped || this.inputEnded || this.periodic || this.config.intervalMs === null) return;
    this.schedulePeriodic(this.clock.now() + this.config.intervalMs);
  }

  /**
   * No periodic triggers until {@link startPeriodic} (Flink's `stopCheckpointScheduler` before a
   * stop-with-savepoint): a checkpoint completing after the terminal savepoint would release
   * output (collect, two-phase-commit sinks) that the savepoint does not cover, so a job restored
   * from it would emit that output again.
   */
  suspendPeriodic(): void {
    this.periodic?.();
    this.periodic = undefined;
  }

  /**
   * Every source of the job ended its input (bounded job). From now on no periodic or manual
   * checkpoint is triggered: the next checkpoint is the final one (trigger reason `'final'`,
   * retried until it completes) and it is the job's last. Checkpoints already in progress
   * complete or fail as usual (the final one waits for them).
   */
  endOfInput(): void {
    this.inputEnded = true;
    this.periodic?.();
    this.periodic = undefined;
  }

  /**
   * Stop: no more triggers; pending checkpoints are aborted with
   * CHECKPOINT_COORDINATOR_SHUTDOWN. With `jobStatus` 'cancelled' or
   * 'finished' and retention 'delete-on-cancel', retained checkpoints are
   * discarded too ('failed' and 'suspended' keep them for recovery).
   */
  stop(reason = 'coordinator stopped', jobStatus?: JobTerminalStatus): void {
    if (this.stopped) return;
    this.stopped = true;
    this.periodic?.();
    this.periodic = undefined;
    for (const p of this.inProgress.all()) this.inProgress.abort(p, CheckpointFailureReason.CHECKPOINT_COORDINATOR_SHUTDOWN, reason);
    if ((jobStatus === 'cancelled' || jobStatus === 'finished') && this.config.retention === 'delete-on-cancel') {
      for (const c of this.store.removeAll()) this.run.discard(c.checkpointId, 'shutdown', { kind: c.kind, files: c.metadata.files, directory: c.directory });
    }
  }

  /**
   * Trigger a checkpoint or savepoint now. Resolves with the completed
   * checkpoint; rejects with WeirError `WEIR_CHECKPOINT_FAILED` whose
   * `details.reason` is a {@link CheckpointFailureReason}.
   */
  trigger(opts: TriggerOptions = {}): Promise<CompletedCheckpoint> {
    const kind = opts.kind ?? 'checkpoint';
    const reason = opts.reason ?? (kind === 'savepoint' ? 'savepoint' : 'manual');
    try {
      return this.startCheckpoint(kind, reason, opts.targetDirectory).result;
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Why a checkpoint or savepoint the app or REST asks for can never start in this coordinator —
   * stopped, the job's input ended (the final checkpoint is the last), every subtask finished —
   * or undefined: it may, once the checkpoints in flight allow. Checked while a request waits its
   * turn, so it is refused when that happens, not after the checkpoints it waited for.
   */
  requestRefusal(kind: 'checkpoint' | 'savepoint'): WeirError | undefined {
    return triggerRefusal(kind, kind === 'savepoint' ? 'savepoint' : 'manual', {
      stopped: this.stopped, allFinished: this.participants.allFinished(), inputEnded: this.inputEnded, pending: 0, maxConcurrent: 1,
    });
  }

  /** A subtask's part of checkpoint `checkpointId` is durable. Never throws. */
  acknowledge(subtask: SubtaskKey, checkpointId: number, ack: SubtaskAck): void {
    try {
      const p = this.inProgress.get(checkpointId);
      if (!p) {
        const was = this.inProgress.abortedInfo(checkpointId);
        if (was !== undefined && Array.isArray(ack?.files) && ack.files.length > 0) {
          this.log.info({ checkpointId, subtask: subtaskId(subtask) }, 'late acknowledgement of an aborted checkpoint: discarding its files');
          this.run.discard(checkpointId, 'aborted', { ...was, files: ack.files });
        } else {
          this.log.debug({ checkpointId, subtask: subtaskId(subtask) }, 'acknowledgement for an unknown or finished checkpoint ignored');
        }
        return;
      }
      if (!ack || !Array.isArray(ack.files) || !ack.metrics) {
        this.decline(subtask, checkpointId, CheckpointFailureReason.TASK_CHECKPOINT_FAILURE, new Error('malformed acknowledgement'));
        return;
      }
      const outcome = p.acknowledge(subtask, ack);
      if (outcome !== 'accepted') {
        (outcome === 'unknown-subtask' ? this.log.warn : this.log.debug).call(this.log, { checkpointId, subtask: subtaskId(subtask), outcome }, 'acknowledgement ignored');
        return;
      }
      this.stats.reportSubtaskAck(checkpointId, subtask, this.clock.now(), ack.metrics);
      if (p.isFullyAcknowledged()) this.finalize(p);
    } catch (e) {
      this.log.error({ err: e, checkpointId }, 'acknowledge failed');
    }
  }

  /** A subtask could not take checkpoint `checkpointId`: abort it. Never throws. */
  decline(subtask: SubtaskKey, checkpointId: number, reason: string, error?: Error): void {
    const p = this.inProgress.get(checkpointId);
    const id = subtaskId(subtask);
    if (!p || p.status !== 'collecting' || !this.participants.has(id) || p.hasAcknowledged(subtask)) {
      this.log.debug({ checkpointId, subtask: id, reason }, 'decline ignored');
      return;
    }
    const failure = isCheckpointFailureReason(reason) ? reason : CheckpointFailureReason.CHECKPOINT_DECLINED;
    const message = `declined by ${id}: ${reason}${error ? ` (${error.message})` : ''}`;
    this.inProgress.abort(p, failure, message, error);
  }

  /** Abort a pending checkpoint on request (CHECKPOINT_CANCELLED). Returns whether one was pending. */
  abort(checkpointId: number, reason = 'aborted by request'): boolean {
    const p = this.inProgress.get(checkpointId);
    if (!p) return false;
    this.inProgress.abort(p, CheckpointFailureReason.CHECKPOINT_CANCELLED, reason);
    return true;
  }

  /** A subtask finished (bounded input done): it acknowledges pending and future checkpoints with empty state. */
  subtaskFinished(subtask: SubtaskKey): void {
    const id = subtaskId(subtask);
    if (!this.participants.has(id)) {
      this.log.warn({ subtask: id }, 'finished notification for an unknown subtask ignored');
      return;
    }
    this.participants.markFinished(id);
    for (const p of this.inProgress.all().sort((a, b) => a.checkpointId - b.checkpointId)) {
      if (p.acknowledgeFinished(subtask)) {
        this.stats.reportSubtaskAck(p.checkpointId, subtask, this.clock.now(), 'finished');
        if (p.isFullyAcknowledged()) this.finalize(p);
      }
    }
  }

  /** The checkpoint a recovery should restore from (latest completed checkpoint or stop-with-savepoint). */
  latestCompleted(): CompletedCheckpoint | undefined {
    return this.store.latest();
  }

  /**
   * Discard the oldest retained checkpoints beyond `retained` (a restart after a crash between
   * completing a checkpoint and discarding the oldest one finds one too many). The newest ones
   * stay — among them the one restored from, which is the newest retained. Returns the ids discarded.
   */
  enforceRetention(): number[] {
    const victims = this.store.trim();
    for (const v of victims) this.run.discard(v.checkpointId, 'retention', { kind: v.kind, files: v.metadata.files, directory: v.directory });
    return victims.map((v) => v.checkpointId);
  }

  /** Completed checkpoints currently retained, oldest first. */
  retainedCheckpoints(): CompletedCheckpoint[] {
    return this.store.all();
  }

  /** The id the next triggered checkpoint will get (a failover's new coordinator continues from it). */
  get nextCheckpointId(): number {
    return this.nextId;
  }

  /** Ids of checkpoints in progress, ascending. */
  pendingCheckpointIds(): number[] {
    return this.inProgress.ids();
  }

  /** Resolves once every finalize/discard effect started so far has settled. */
  async whenIdle(): Promise<void> {
    await this.run.whenIdle();
  }

  // ---- internals --------------------------------------------------------

  private startCheckpoint(kind: 'checkpoint' | 'savepoint', trigger: string, targetDirectory?: string): PendingCheckpoint {
    // 1. Pre-flight checks (nothing started, nothing counted; trigger-request.ts).
    const refusal = triggerRefusal(kind, trigger, {
      stopped: this.stopped, allFinished: this.participants.allFinished(), inputEnded: this.inputEnded,
      pending: this.inProgress.size, maxConcurrent: this.config.maxConcurrent,
    });
    if (refusal) throw refusal;
    // 2. Register the pending checkpoint before any effect can answer.
    const checkpointId = this.nextId++;
    const now = this.clock.now();
    const sources = triggerSourcesOptions(this.config, kind, trigger, targetDirectory);
    const { alignment } = sources;
    const p = new PendingCheckpoint({
      checkpointId, kind, trigger, triggerTimestamp: now, alignment,
      tasksToAcknowledge: this.participants.sortedKeys(), ...(targetDirectory !== undefined ? { targetDirectory } : {}),
    });
    this.inProgress.add(p);
    this.stats.reportPending({ checkpointId, kind, trigger, triggerTimestamp: now, totalSubtasks: p.totalCount });
    p.cancelTimeout = this.scheduler.schedule(now + this.config.timeoutMs, () => {
      if (this.inProgress.get(checkpointId) === p) this.inProgress.abort(p, CheckpointFailureReason.CHECKPOINT_EXPIRED, `not completed within timeoutMs=${this.config.timeoutMs}`);
    });
    for (const key of this.participants.finishedKeys()) {
      if (p.acknowledgeFinished(key)) this.stats.reportSubtaskAck(checkpointId, key, now, 'finished');
    }
    this.log.debug({ checkpointId, kind, trigger, alignment }, 'triggering checkpoint');
    // 3. Inject the barriers.
    try {
      this.effects.triggerSources(checkpointId, now, sources);
    } catch (e) {
      this.inProgress.abort(p, CheckpointFailureReason.TRIGGER_CHECKPOINT_FAILURE, `triggering the sources failed: ${(e as Error)?.message ?? e}`, e);
    }
    return p;
  }

  private schedulePeriodic(atMs: number): void {
    this.periodic = this.scheduler.schedule(atMs, () => this.onPeriodic(atMs));
  }

  /** Periodic tick at `at`: skip (too many in progress), postpone (min pause) or trigger (periodic-trigger.ts). */
  private onPeriodic(at: number): void {
    this.periodic = undefined;
    if (this.stopped || this.inputEnded) return;
    const decision = decidePeriodicTick({
      at, now: this.clock.now(), intervalMs: this.config.intervalMs!, minPauseMs: this.config.minPauseMs,
      maxConcurrent: this.config.maxConcurrent, pending: this.inProgress.size, lastEnd: this.inProgress.lastEnd,
    });
    if (decision.action === 'skip') this.log.debug({ pending: this.pendingCheckpointIds() }, 'periodic checkpoint skipped: checkpoints in progress');
    if (decision.action === 'trigger' && !this.participants.allFinished()) {
      try {
        const p = this.startCheckpoint('checkpoint', 'periodic');
        p.result.catch(() => {}); // nobody awaits a periodic checkpoint; failures live in stats/logs
      } catch (e) {
        this.log.warn({ err: e }, 'periodic checkpoint not triggered');
      }
    }
    this.schedulePeriodic(decision.nextAt);
  }

  /** Step 2: every subtask acknowledged → write `_metadata` through the storage. */
  private finalize(p: PendingCheckpoint): void {
    p.status = 'finalizing';
    const now = this.clock.now();
    const draft = p.toDraft({ jobId: this.jobId, vertices: this.vertices, completionTimestamp: now, stats: this.stats.completedView(p.checkpointId, now)! });
    let written: Promise<CompletedCheckpoint>;
    try {
      written = Promise.resolve(this.effects.finalize(draft));
    } catch (e) {
      written = Promise.reject(e);
    }
    this.run.track(written.then((c) => this.inProgress.completed(p, c), (e) => this.inProgress.finalizeFailed(p, e)));
  }
}
