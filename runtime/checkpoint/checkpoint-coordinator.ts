/**
 * The checkpoint coordinator (main thread): decides when to trigger, when a
 * checkpoint is complete, expired, declined or subsumed, what to discard and
 * when the job must fail over. It performs no I/O itself: every side effect
 * goes through {@link CoordinatorEffects} (run by coordinator-effects-runner.ts),
 * time through an injected clock and scheduler, so the whole protocol is
 * testable with a manual clock. Its parts: when a periodic tick triggers
 * (periodic-trigger.ts, pure), which completed checkpoints are retained and
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
import { barrierAlignmentFor, type CheckpointConfig } from './checkpoint-config.ts';
import { CheckpointFailureCounter, CheckpointFailureReason, isCheckpointFailureReason } from './checkpoint-failure-reason.ts';
import { subtaskId, type CompletedCheckpoint, type SubtaskKey, type VertexInfo } from './checkpoint-metadata.ts';
import { CheckpointStatsTracker } from './checkpoint-stats.ts';
import { CompletedCheckpointStore } from './completed-checkpoint-store.ts';
import { decidePeriodicTick } from './periodic-trigger.ts';
import { CoordinatorEffectsRunner } from './coordinator-effects-runner.ts';
import {
  PendingCheckpoint, compareKeys,
  type CoordinatorEffects, type CoordinatorLogger, type DiscardInfo, type DiscardReason, type JobTerminalStatus, type SubtaskAck, type TriggerOptions,
} from './pending-checkpoint.ts';
import type { Clock } from '../../common/clock.ts';
import type { Cancel, Scheduler } from './scheduler.ts';

export type { SubtaskKey, CompletedCheckpoint, CompletedCheckpointDraft } from './checkpoint-metadata.ts';
export type {
  SubtaskAck, TriggerSourcesOptions, DiscardReason, DiscardInfo, CoordinatorEffects, CoordinatorLogger, JobTerminalStatus, TriggerOptions,
} from './pending-checkpoint.ts';

const NOOP_LOGGER: CoordinatorLogger = { debug() {}, info() {}, warn() {}, error() {} };
const ABORTED_MEMORY = 1024;

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
  private readonly tasks: Map<string, SubtaskKey>;
  private readonly vertices: VertexInfo[];
  private readonly finished = new Set<string>();
  private readonly pending = new Map<number, PendingCheckpoint>();
  private readonly aborted = new Map<number, { kind: 'checkpoint' | 'savepoint'; directory?: string }>();
  /** Runs every side effect (effects never throw into the protocol; async ones are tracked). */
  private readonly run: CoordinatorEffectsRunner;
  private readonly store: CompletedCheckpointStore;
  private nextId: number;
  private lastEnd = -Infinity;
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
    this.tasks = new Map();
    for (const k of opts.tasksToAcknowledge) {
      const id = subtaskId(k);
      if (this.tasks.has(id)) throw new WeirError('WEIR_INVALID_ARGUMENT', `tasksToAcknowledge lists subtask ${id} twice`, { subtask: id });
      this.tasks.set(id, { vertexId: k.vertexId, subtask: k.subtask });
    }
    this.vertices = opts.vertices ?? deriveVertices(opts.tasksToAcknowledge);
    const first = opts.firstCheckpointId ?? 1;
    if (!Number.isInteger(first) || first < 1) throw new WeirError('WEIR_INVALID_ARGUMENT', `firstCheckpointId must be a positive integer, got ${first}`, { firstCheckpointId: first });
    this.nextId = first;
    this.store = new CompletedCheckpointStore(this.config.retained, opts.retainedCheckpoints ?? [], opts.recoverFromRetained !== false);
    this.failures = new CheckpointFailureCounter(this.config.tolerableFailures, this.store.latest()?.checkpointId ?? -1);
  }

  /** Start periodic triggering every `intervalMs` (no-op if periodic checkpointing is off or already running). */
  startPeriodic(): void {
    if (this.stopped || this.inputEnded || this.periodic || this.config.intervalMs === null) return;
    this.schedulePeriodic(this.clock.now() + this.config.intervalMs);
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
    for (const p of [...this.pending.values()]) this.abortPending(p, CheckpointFailureReason.CHECKPOINT_COORDINATOR_SHUTDOWN, reason);
    if ((jobStatus === 'cancelled' || jobStatus === 'finished') && this.config.retention === 'delete-on-cancel') {
      for (const c of this.store.removeAll()) this.discard(c.checkpointId, 'shutdown', { kind: c.kind, files: c.metadata.files, directory: c.directory });
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

  /** A subtask's part of checkpoint `checkpointId` is durable. Never throws. */
  acknowledge(subtask: SubtaskKey, checkpointId: number, ack: SubtaskAck): void {
    try {
      const p = this.pending.get(checkpointId);
      if (!p) {
        const was = this.aborted.get(checkpointId);
        if (was !== undefined && Array.isArray(ack?.files) && ack.files.length > 0) {
          this.log.info({ checkpointId, subtask: subtaskId(subtask) }, 'late acknowledgement of an aborted checkpoint: discarding its files');
          this.discard(checkpointId, 'aborted', { ...was, files: ack.files });
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
    const p = this.pending.get(checkpointId);
    const id = subtaskId(subtask);
    if (!p || p.status !== 'collecting' || !this.tasks.has(id) || p.hasAcknowledged(subtask)) {
      this.log.debug({ checkpointId, subtask: id, reason }, 'decline ignored');
      return;
    }
    const failure = isCheckpointFailureReason(reason) ? reason : CheckpointFailureReason.CHECKPOINT_DECLINED;
    const message = `declined by ${id}: ${reason}${error ? ` (${error.message})` : ''}`;
    this.abortPending(p, failure, message, error);
  }

  /** Abort a pending checkpoint on request (CHECKPOINT_CANCELLED). Returns whether one was pending. */
  abort(checkpointId: number, reason = 'aborted by request'): boolean {
    const p = this.pending.get(checkpointId);
    if (!p) return false;
    this.abortPending(p, CheckpointFailureReason.CHECKPOINT_CANCELLED, reason);
    return true;
  }

  /** A subtask finished (bounded input done): it acknowledges pending and future checkpoints with empty state. */
  subtaskFinished(subtask: SubtaskKey): void {
    const id = subtaskId(subtask);
    if (!this.tasks.has(id)) {
      this.log.warn({ subtask: id }, 'finished notification for an unknown subtask ignored');
      return;
    }
    this.finished.add(id);
    for (const p of [...this.pending.values()].sort((a, b) => a.checkpointId - b.checkpointId)) {
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
    for (const v of victims) this.discard(v.checkpointId, 'retention', { kind: v.kind, files: v.metadata.files, directory: v.directory });
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
    return [...this.pending.keys()].sort((a, b) => a - b);
  }

  /** Resolves once every finalize/discard effect started so far has settled. */
  async whenIdle(): Promise<void> {
    await this.run.whenIdle();
  }

  // ---- internals --------------------------------------------------------

  private startCheckpoint(kind: 'checkpoint' | 'savepoint', trigger: string, targetDirectory?: string): PendingCheckpoint {
    const reject = (reason: CheckpointFailureReason, message: string): WeirError =>
      new WeirError('WEIR_CHECKPOINT_FAILED', `Cannot trigger ${kind}: ${message}`, { reason, kind });
    // 1. Pre-flight checks (nothing started, nothing counted).
    if (this.stopped) throw reject(CheckpointFailureReason.CHECKPOINT_COORDINATOR_SHUTDOWN, 'the checkpoint coordinator is stopped');
    if (this.finished.size === this.tasks.size) throw reject(CheckpointFailureReason.NOT_ALL_REQUIRED_TASKS_RUNNING, 'every subtask has finished');
    if (this.inputEnded && trigger !== 'final') {
      throw reject(CheckpointFailureReason.NOT_ALL_REQUIRED_TASKS_RUNNING, "the job's input has ended: its final checkpoint is the last one");
    }
    if (this.pending.size >= this.config.maxConcurrent) {
      throw reject(CheckpointFailureReason.TOO_MANY_CHECKPOINT_REQUESTS, `${this.pending.size} checkpoint(s) in progress, maxConcurrent is ${this.config.maxConcurrent}`);
    }
    // 2. Register the pending checkpoint before any effect can answer.
    const checkpointId = this.nextId++;
    const now = this.clock.now();
    // The final checkpoint of a bounded job is always aligned: its barrier must not overtake the
    // end-of-data marker, so every operator has finished (flushed its last results) before it snapshots.
    const alignment = trigger === 'final' ? 'aligned' : barrierAlignmentFor(this.config, kind);
    const p = new PendingCheckpoint({
      checkpointId, kind, trigger, triggerTimestamp: now, alignment,
      tasksToAcknowledge: [...this.tasks.values()].sort(compareKeys), ...(targetDirectory !== undefined ? { targetDirectory } : {}),
    });
    this.pending.set(checkpointId, p);
    this.stats.reportPending({ checkpointId, kind, trigger, triggerTimestamp: now, totalSubtasks: p.totalCount });
    p.cancelTimeout = this.scheduler.schedule(now + this.config.timeoutMs, () => {
      if (this.pending.get(checkpointId) === p) this.abortPending(p, CheckpointFailureReason.CHECKPOINT_EXPIRED, `not completed within timeoutMs=${this.config.timeoutMs}`);
    });
    for (const id of this.finished) {
      const key = this.tasks.get(id)!;
      if (p.acknowledgeFinished(key)) this.stats.reportSubtaskAck(checkpointId, key, now, 'finished');
    }
    this.log.debug({ checkpointId, kind, trigger, alignment }, 'triggering checkpoint');
    // 3. Inject the barriers.
    try {
      this.effects.triggerSources(checkpointId, now, {
        kind, alignment, alignedTimeoutMs: alignment === 'aligned-with-timeout' ? this.config.alignedCheckpointTimeoutMs : 0,
        ...(targetDirectory !== undefined ? { targetDirectory } : {}),
      });
    } catch (e) {
      this.abortPending(p, CheckpointFailureReason.TRIGGER_CHECKPOINT_FAILURE, `triggering the sources failed: ${(e as Error)?.message ?? e}`, e);
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
      maxConcurrent: this.config.maxConcurrent, pending: this.pending.size, lastEnd: this.lastEnd,
    });
    if (decision.action === 'skip') this.log.debug({ pending: this.pendingCheckpointIds() }, 'periodic checkpoint skipped: checkpoints in progress');
    if (decision.action === 'trigger' && this.finished.size < this.tasks.size) {
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
    this.run.track(written.then((c) => this.onFinalized(p, c), (e) => this.onFinalizeFailed(p, e)));
  }

  /** Step 3: `_metadata` is durable. */
  private onFinalized(p: PendingCheckpoint, completed: CompletedCheckpoint): void {
    if (p.status === 'aborted') {
      // Aborted while its metadata was being written: remove what was written.
      this.discard(p.checkpointId, 'aborted', { kind: p.kind, files: p.files(), directory: completed.directory });
      return;
    }
    const id = p.checkpointId;
    p.status = 'completed';
    p.cancelTimeout();
    this.pending.delete(id);
    const now = this.clock.now();
    this.lastEnd = now;
    this.stats.reportCompleted(id, now, completed.directory);
    const commits = p.kind === 'checkpoint' || p.trigger === 'final';
    if (commits) {
      // 3a. Classify before deleting anything.
      const subsumed = [...this.pending.values()].filter((o) => o.checkpointId < id && o.kind === 'checkpoint');
      let victims: CompletedCheckpoint[] = [];
      if (p.kind === 'checkpoint') {
        victims = this.store.addCheckpoint(completed);
        this.failures.success(id);
      } else {
        this.store.noteRecoveryPoint(completed);
      }
      // 3b. Act.
      for (const o of subsumed) this.abortPending(o, CheckpointFailureReason.CHECKPOINT_SUBSUMED, `subsumed by completed checkpoint ${id}`);
      this.safely('notifyComplete', () => this.effects.notifyComplete(id));
      for (const v of victims) this.discard(v.checkpointId, 'retention', { kind: v.kind, files: v.metadata.files, directory: v.directory });
    }
    this.log.info({ checkpointId: id, kind: p.kind, durationMs: now - p.triggerTimestamp }, 'checkpoint completed');
    p.resolve(completed);
  }

  private onFinalizeFailed(p: PendingCheckpoint, error: unknown): void {
    if (p.status === 'aborted') {
      this.discard(p.checkpointId, 'aborted', { kind: p.kind, files: p.files(), ...(p.targetDirectory ? { directory: p.targetDirectory } : {}) });
      return;
    }
    this.abortPending(p, CheckpointFailureReason.FINALIZE_CHECKPOINT_FAILURE, `writing _metadata failed: ${(error as Error)?.message ?? error}`, error);
  }

  private abortPending(p: PendingCheckpoint, reason: CheckpointFailureReason, message: string, cause?: unknown): void {
    if (p.status === 'completed' || p.status === 'aborted') return;
    const id = p.checkpointId;
    p.status = 'aborted';
    p.cancelTimeout();
    this.pending.delete(id);
    this.aborted.set(id, { kind: p.kind, ...(p.targetDirectory ? { directory: p.targetDirectory } : {}) });
    if (this.aborted.size > ABORTED_MEMORY) this.aborted.delete(this.aborted.keys().next().value!);
    const now = this.clock.now();
    this.lastEnd = now;
    this.stats.reportFailed(id, now, reason, message);
    this.log.warn({ checkpointId: id, kind: p.kind, reason, message }, 'checkpoint aborted');
    this.safely('notifyAborted', () => this.effects.notifyAborted(id, reason));
    this.discard(id, reason === CheckpointFailureReason.CHECKPOINT_SUBSUMED ? 'subsumed' : 'aborted', {
      kind: p.kind, files: p.files(), ...(p.targetDirectory ? { directory: p.targetDirectory } : {}),
    });
    p.reject(new WeirError('WEIR_CHECKPOINT_FAILED', `${p.kind === 'savepoint' ? 'Savepoint' : 'Checkpoint'} ${id} failed (${reason}): ${message}`, { reason, checkpointId: id, kind: p.kind }, { cause }));
    const n = this.failures.failure(id, reason, p.kind);
    if (n !== undefined) {
      const err = new WeirError(
        'WEIR_TOO_MANY_CHECKPOINT_FAILURES',
        `${n} consecutive checkpoint failures exceed tolerableFailures=${this.config.tolerableFailures}; the last one: checkpoint ${id} ${reason}: ${message}`,
        { consecutiveFailures: n, tolerableFailures: this.config.tolerableFailures, checkpointId: id, reason },
      );
      this.safely('failJob', () => this.effects.failJob(err));
    }
  }

  private discard(checkpointId: number, reason: DiscardReason, info: DiscardInfo): void {
    this.run.discard(checkpointId, reason, info);
  }

  private safely(what: string, fn: () => void): void {
    this.run.safely(what, fn);
  }
}

function deriveVertices(tasks: SubtaskKey[]): VertexInfo[] {
  const counts = new Map<string, number>();
  for (const t of tasks) counts.set(t.vertexId, Math.max(counts.get(t.vertexId) ?? 0, t.subtask + 1));
  return [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([vertexId, parallelism]) => ({ vertexId, parallelism, maxParallelism: Math.max(128, parallelism) }));
}
