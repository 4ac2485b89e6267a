/**
 * Main-thread checkpointing of one job attempt: the coordinator decides, this
 * module performs its effects on the subtask actors and the storage, and
 * routes the subtasks' acks and declines back to it.
 *
 * Bounded jobs and the final checkpoint (Flink's "checkpoints after tasks
 * finish", simplified): a source that reaches its end tells the master and
 * stays alive. Once every source did, the master takes a final checkpoint
 * (retrying a few times), waits until every subtask was notified of its
 * completion (so two-phase-commit sinks commit everything), and only then
 * lets the sources send end-of-partition.
 */
import path from 'node:path';
import type { ActorRef } from '../../actors/index.ts';
import type { Logger } from 'pino';
import { SharedStateRegistry } from '../../state/index.ts';
import { CheckpointCoordinator, type TriggerOptions } from '../checkpoint/checkpoint-coordinator.ts';
import { CheckpointStorage } from '../checkpoint/checkpoint-storage.ts';
import { systemClock } from '../../common/clock.ts';
import { RealScheduler } from '../checkpoint/scheduler.ts';
import type { CheckpointConfig } from '../checkpoint/checkpoint-config.ts';
import type { CompletedCheckpoint, SubtaskKey } from '../checkpoint/checkpoint-metadata.ts';
import type { JobTerminalStatus } from '../checkpoint/pending-checkpoint.ts';
import type { JobGraph } from '../graph/job-graph.ts';
import { vertexTopology } from '../recovery/vertex-topology.ts';
import { CheckpointStatsTracker } from '../checkpoint/checkpoint-stats.ts';
import { cannotTrigger } from '../checkpoint/trigger-request.ts';
import { CheckpointFailureReason } from '../checkpoint/checkpoint-failure-reason.ts';
import { WeirError } from '../../common/weir-error.ts';
import { RuntimeErrorCode } from '../errors.ts';
import { ErrorCodes, isErrorCode } from '../../common/error-codes.ts';
import type { CheckpointBarrier } from '../io/stream-elements.ts';
import { callTask, type StreamTaskApi, type StreamTaskCall, type TaskToMaster } from '../task/task-protocol.ts';

/** The final checkpoint is retried: under backpressure it may expire until the in-flight data has drained. */
const FINAL_CHECKPOINT_ATTEMPTS = 10;

export interface JobCheckpointingOptions {
  readonly jobId: string;
  readonly config: CheckpointConfig;
  readonly graph: JobGraph;
  readonly logger: Logger;
  /** Consecutive checkpoint failures exceeded the tolerance (or the final checkpoint failed). */
  readonly failJob: (error: WeirError) => void;
  /** Checkpoint n completed (after `_metadata` is durable), before the subtasks are notified. */
  readonly onComplete?: (checkpointId: number) => void;
  /** Checkpoints retained from a previous run of this job (restore after the process died), oldest first. */
  readonly retained?: CompletedCheckpoint[];
  /** The job's statistics (created with the job, so listeners can subscribe before checkpointing is set up). */
  readonly stats?: CheckpointStatsTracker;
}

/** How long a requested checkpoint or savepoint waits for the checkpoints in flight to leave room. */
export const TRIGGER_WAIT_MS = 60_000;

export class JobCheckpointing {
  readonly storage: CheckpointStorage;
  coordinator: CheckpointCoordinator;
  readonly stats: CheckpointStatsTracker;
  private readonly registry = new SharedStateRegistry(() => {});
  private refs = new Map<string, ActorRef>();
  private readonly sourceKeys: string[];
  private readonly tasks: SubtaskKey[];
  private finishedSources = new Set<string>();
  /** Per completed checkpoint: its notification to every subtask — settles with the first failure (the attempt was failed then), or undefined. */
  private notifications = new Map<number, Promise<WeirError | undefined>>();
  private finalStarted = false;
  /** The savepoint requests' queue (one at a time). */
  private savepointTurns: Promise<unknown> = Promise.resolve();
  private inputEnded = false;
  /** Resolved once the attempt's actors are attached: a source can report its end before that. */
  private attached!: Promise<void>;
  private markAttached!: () => void;
  private readonly scheduler = new RealScheduler();
  /** Ids of an earlier run's leftover checkpoints: retained for retention only, never a recovery point. */
  private leftovers: ReadonlySet<number> = new Set();

  constructor(private readonly opts: JobCheckpointingOptions) {
    const { graph, jobId, config } = opts;
    this.stats = opts.stats ?? new CheckpointStatsTracker();
    this.storage = new CheckpointStorage({ directory: config.directory, jobId, logger: opts.logger });
    this.tasks = graph.vertices.flatMap((v) => Array.from({ length: v.parallelism }, (_, s) => ({ vertexId: v.id, subtask: s })));
    this.sourceKeys = graph.vertices.filter((v) => v.isSource).flatMap((v) => Array.from({ length: v.parallelism }, (_, s) => `${v.id}#${s}`));
    const retained = opts.retained ?? [];
    for (const c of retained) this.registry.register(c.checkpointId, c.metadata.files.filter((f) => f.shared).map((f) => f.path));
    this.coordinator = this.createCoordinator(retained, retained.length > 0 ? retained.at(-1)!.checkpointId + 1 : 1);
    this.attached = new Promise((r) => (this.markAttached = r));
  }

  /** The first checkpoint id of the current coordinator: lower ones belong to earlier attempts or runs. */
  private firstIdOfAttempt = 1;
  /** The coordinator of the attempt before a failover: its discards and finalizations may still run. */
  private previous: CheckpointCoordinator | undefined;

  private createCoordinator(retained: CompletedCheckpoint[], firstCheckpointId: number, recoveryPoint?: CompletedCheckpoint): CheckpointCoordinator {
    this.firstIdOfAttempt = firstCheckpointId;
    const { graph, jobId, config, logger } = this.opts;
    return new CheckpointCoordinator({
      jobId,
      config,
      clock: systemClock,
      scheduler: this.scheduler,
      tasksToAcknowledge: this.tasks,
      vertices: graph.vertices.map((v) => ({ vertexId: v.id, parallelism: v.parallelism, maxParallelism: v.maxParallelism, ...vertexTopology(graph, v) })),
      logger,
      stats: this.stats,
      retainedCheckpoints: retained,
      recoverFromRetained: !(retained.length > 0 && retained.every((c) => this.leftovers.has(c.checkpointId))),
      ...(recoveryPoint ? { recoveryPoint } : {}),
      firstCheckpointId,
      effects: {
        triggerSources: (checkpointId, timestamp, o) => {
          if (this.inputEnded) {
            // After the final checkpoint the sources are ending their partitions: nothing left to checkpoint.
            queueMicrotask(() => this.coordinator.abort(checkpointId, 'the job finished its input after the final checkpoint'));
            return;
          }
          if (this.refs.size === 0) {
            // No deployed attempt (between a failover and the next attempt): nobody can take it.
            queueMicrotask(() => this.coordinator.abort(checkpointId, 'no running attempt to take the checkpoint'));
            return;
          }
          const barrier: CheckpointBarrier = { checkpointId, timestamp, kind: o.kind, alignment: o.alignment, alignedTimeoutMs: o.alignedTimeoutMs, position: 0 };
          for (const key of this.sourceKeys) {
            const ref = this.refs.get(key);
            if (ref) callTask(ref, 'triggerCheckpoint', barrier).catch((e) => logger.debug({ err: e, subtask: key, checkpointId }, 'trigger at source failed'));
          }
        },
        notifyComplete: (checkpointId) => {
          this.opts.onComplete?.(checkpointId);
          this.notifications.set(checkpointId, this.notifyComplete(checkpointId));
        },
        notifyAborted: (checkpointId, reason) => {
          void this.callAll('notifyCheckpointAborted', checkpointId, reason);
        },
        finalize: (draft) => this.storage.finalize(draft, this.registry),
        discard: (checkpointId, reason, info) => this.storage.discardCheckpoint(checkpointId, reason, info, this.registry),
        failJob: (error) => this.opts.failJob(error),
      },
    });
  }

  /**
   * Before the first attempt: take over what earlier runs of this job id left in its checkpoint
   * directory (runtime/recovery/retained-checkpoints.ts) and enforce retention at once — a process
   * killed between completing a checkpoint and discarding the oldest left one too many. Resolves
   * once the checkpoints beyond `retained` are deleted.
   */
  async adoptCheckpointsOnDisk(onDisk: { retained: CompletedCheckpoint[]; leftAlone: CompletedCheckpoint[]; recoverable: boolean; firstCheckpointId: number }): Promise<void> {
    const { retained } = onDisk;
    // The left-alone ones are never released by this run: their shared files stay referenced.
    for (const c of [...retained, ...onDisk.leftAlone]) this.registry.register(c.checkpointId, c.metadata.files.filter((f) => f.shared).map((f) => f.path));
    this.leftovers = new Set(onDisk.recoverable ? [] : retained.map((c) => c.checkpointId));
    this.coordinator = this.createCoordinator(retained, onDisk.firstCheckpointId); // not started yet: nothing to stop
    await this.removeAbandoned('earlier attempts', 'left by an earlier run');
    const discarded = this.coordinator.enforceRetention();
    if (discarded.length > 0) this.opts.logger.info({ discarded, retained: this.opts.config.retained }, 'retention: discarded checkpoints beyond `retained` left by an earlier run');
    await this.coordinator.whenIdle();
  }

  /**
   * Failover: abort what is in flight (JOB_FAILOVER) and start a fresh coordinator for the
   * next attempt that keeps the retained checkpoints, the numbering and the statistics.
   */
  resetForNewAttempt(): void {
    const old = this.coordinator;
    old.stop('job failover');
    this.previous = old;
    this.refs = new Map();
    this.finishedSources = new Set();
    this.finalStarted = false;
    this.inputEnded = false;
    this.notifications = new Map();
    this.attached = new Promise((r) => (this.markAttached = r));
    // The recovery point carries over: a stop-with-savepoint that completed before the failure (its
    // sinks may have committed it in part) is where the next attempt resumes, not an older checkpoint.
    this.coordinator = this.createCoordinator(old.retainedCheckpoints(), old.nextCheckpointId, old.latestCompleted());
  }

  /**
   * Delete the directories of checkpoints that can no longer complete and still exist: aborted
   * ones a subtask wrote into after their discard, while its attempt was torn down, and those of
   * a run that died. 'earlier attempts': ids below the current coordinator's first (after a
   * failover, or before the first attempt); 'all': when the job has ended and its workers are gone.
   */
  async removeAbandoned(scope: 'earlier attempts' | 'all', why = 'never completed'): Promise<void> {
    await this.previous?.whenIdle().catch(() => {}); // a _metadata write still running would re-create a directory
    if (scope === 'all') await this.coordinator.whenIdle().catch(() => {});
    const removed = await this.storage.removeIncomplete(scope === 'all' ? Infinity : this.firstIdOfAttempt)
      .catch((err: unknown) => (this.opts.logger.warn({ err }, 'could not remove incomplete checkpoint directories'), []));
    if (removed.length > 0) this.opts.logger.info({ checkpointIds: removed }, `removed incomplete checkpoint directories (${why}): ${removed.map((id) => `chk-${id}`).join(', ')}`);
  }

  /**
   * The job ended and its id is released: under 'delete-on-cancel' a finished or cancelled job's
   * checkpoints are gone, so its directory goes too when nothing else is in it (Flink removes the
   * job's checkpoint directory then). A failed job keeps it for a restore.
   */
  async removeJobDirectoryIfEmpty(status: JobTerminalStatus): Promise<void> {
    if (status === 'failed' || this.opts.config.retention !== 'delete-on-cancel') return;
    await this.storage.removeJobDirectoryIfEmpty();
  }

  /** The checkpoint a failover restores from. */
  latestForRecovery(): CompletedCheckpoint | undefined {
    return this.coordinator.latestCompleted();
  }

  /** Subtask actors of the running attempt (by `${vertexId}#${subtask}`). */
  attach(refs: ReadonlyArray<readonly [string, ActorRef]>): void {
    this.refs = new Map(refs);
    this.coordinator.startPeriodic();
    this.markAttached();
  }

  /** Routes a subtask's control message (`key`: the sender's subtask key); returns true when it was a checkpointing message. */
  onMessage(key: string, m: TaskToMaster): boolean {
    switch (m.type) {
      case 'ack':
        this.coordinator.acknowledge(m.subtask, m.checkpointId, m.ack);
        return true;
      case 'decline':
        this.coordinator.decline(m.subtask, m.checkpointId, m.reason, m.message ? new Error(m.message) : undefined);
        return true;
      case 'subtask-finished':
        this.coordinator.subtaskFinished(m.subtask);
        return true;
      case 'source-finished':
        this.finishedSources.add(key);
        if (this.finishedSources.size === this.sourceKeys.length) {
          // No periodic checkpoint after this: the final checkpoint is the job's last.
          this.coordinator.endOfInput();
          void this.finalCheckpointThenEnd();
        }
        return true;
      case 'metrics':
      case 'in-flight-replayed':
        return false;
    }
  }

  /** A checkpoint requested by the app or REST (Flink's manual checkpoint): waits its turn, see {@link triggerInTurn}. */
  triggerCheckpoint(): Promise<CompletedCheckpoint> {
    return this.triggerInTurn({ kind: 'checkpoint' });
  }

  /**
   * Take a savepoint into `<directory>/savepoint-<job>-<id>` (always aligned). An intermediate one
   * commits no side effects (Flink ≥ 1.15). A `terminal` one (stop-with-savepoint) is triggered as
   * the final checkpoint is: its completion is notified to every subtask, and this resolves only
   * once they all processed it — two-phase-commit sinks committed what the savepoint covers, so the
   * job can stop without losing output. Requests take turns: each subtask holds one savepoint
   * directory at a time (set just before the trigger), so a second request made while one runs
   * waits for it instead of redirecting its files.
   */
  savepoint(directory: string, opts: { terminal?: boolean } = {}): Promise<CompletedCheckpoint> {
    const turn = this.savepointTurns.then(() => this.takeSavepoint(directory, opts));
    this.savepointTurns = turn.catch(() => {});
    return turn;
  }

  private async takeSavepoint(directory: string, opts: { terminal?: boolean }): Promise<CompletedCheckpoint> {
    const target = CheckpointStorage.savepointPath(directory, this.opts.jobId);
    // Stop-with-savepoint: no periodic checkpoint after the savepoint (it would commit output the
    // savepoint does not cover); resumed if the savepoint fails and the job goes on.
    if (opts.terminal) this.coordinator.suspendPeriodic();
    try {
      return await this.savepointInto(target, opts);
    } catch (e) {
      if (opts.terminal) this.coordinator.startPeriodic();
      throw e;
    }
  }

  private async savepointInto(target: string, opts: { terminal?: boolean }): Promise<CompletedCheckpoint> {
    const refused = this.coordinator.requestRefusal('savepoint');
    if (refused) throw refused;
    await this.callAll('prepareSavepoint', target);
    const done = await this.triggerInTurn({ kind: 'savepoint', targetDirectory: target, ...(opts.terminal ? { reason: 'final' } : {}) });
    if (opts.terminal) {
      // Sinks committed what the savepoint covers, or the stop fails (the job fails over instead of stopping).
      const failure = await this.notifications.get(done.checkpointId);
      if (failure) throw failure;
    }
    return done;
  }

  /**
   * Like Flink's, a requested checkpoint or savepoint waits for the checkpoints in flight instead of
   * failing (maxConcurrent counts it too): periodic checkpoints must not starve it, and `weir
   * checkpoint` on a job checkpointing every few ms must not answer 409.
   */
  private async triggerInTurn(request: TriggerOptions): Promise<CompletedCheckpoint> {
    // At most TRIGGER_WAIT_MS for room (wall time, every wait counted); then TOO_MANY_CHECKPOINT_REQUESTS
    // (the REST endpoint's 409). Once started, the checkpoint takes as long as it takes.
    const deadline = systemClock.now() + TRIGGER_WAIT_MS;
    const coordinator = this.coordinator;
    for (;;) {
      for (;;) {
        // Refused as soon as it can never start (a stop-with-savepoint too: once the input ended, the
        // job finishes by itself and its final checkpoint is the last), not after what it waited for.
        const refused = coordinator.requestRefusal(request.kind ?? 'checkpoint');
        if (refused) throw refused;
        const pending = coordinator.pendingCheckpointIds();
        if (pending.length === 0) break;
        if (systemClock.now() > deadline) {
          throw cannotTrigger(request.kind ?? 'checkpoint', CheckpointFailureReason.TOO_MANY_CHECKPOINT_REQUESTS,
            `checkpoint(s) ${pending.join(', ')} still in progress after ${TRIGGER_WAIT_MS / 1000} s (under backpressure an aligned checkpoint can take minutes: consider unaligned checkpoints or buffer debloating)`,
            { pending, waitedMs: TRIGGER_WAIT_MS });
        }
        await sleep(2);
      }
      try {
        return await coordinator.trigger(request);
      } catch (e) {
        const reason = (e as WeirError).details?.reason;
        if (reason !== 'TOO_MANY_CHECKPOINT_REQUESTS' || systemClock.now() > deadline) throw e;
      }
    }
  }

  abort(checkpointId: number): boolean {
    return this.coordinator.abort(checkpointId, 'aborted through the job client');
  }

  stop(status: JobTerminalStatus): void {
    this.coordinator.stop(`job ${status}`, status);
  }

  async whenIdle(): Promise<void> {
    await this.coordinator.whenIdle();
  }

  private async finalCheckpointThenEnd(): Promise<void> {
    if (this.finalStarted) return;
    this.finalStarted = true;
    const coordinator = this.coordinator;
    await this.attached;
    if (coordinator !== this.coordinator) return; // a failover happened meanwhile
    let lastError: unknown;
    // Bound to this attempt's coordinator: after a failover the next attempt runs its own final checkpoint.
    const current = () => coordinator === this.coordinator;
    for (let attempt = 1; attempt <= FINAL_CHECKPOINT_ATTEMPTS && current(); attempt++) {
      try {
        // A periodic checkpoint may be in flight (max concurrent): let it finish first.
        while (coordinator.pendingCheckpointIds().length > 0 && current()) await sleep(5);
        if (!current()) return;
        const done = await coordinator.trigger({ reason: 'final' });
        // A sink that failed to commit failed the attempt: the next one restores this checkpoint and commits.
        if ((await this.notifications.get(done.checkpointId)) !== undefined || !current()) return;
        this.inputEnded = true;
        await this.callSources('endInput');
        return;
      } catch (e) {
        lastError = e;
        if (!current()) return;
        // The job is ending (cancel, failure): nothing to finish.
        if ((e as WeirError).details?.reason === 'CHECKPOINT_COORDINATOR_SHUTDOWN') return;
        this.opts.logger.warn({ err: e, attempt }, 'final checkpoint failed; retrying');
        await sleep(Math.min(500, 50 * attempt));
      }
    }
    if (!current()) return;
    this.opts.failJob(new WeirError('WEIR_FINAL_CHECKPOINT_FAILED', `the final checkpoint of job ${this.opts.jobId} failed ${FINAL_CHECKPOINT_ATTEMPTS} times: ${(lastError as Error)?.message ?? String(lastError)}`, { jobId: this.opts.jobId }, { cause: lastError }));
  }

  private async callSources<K extends StreamTaskCall>(method: K, ...args: Parameters<StreamTaskApi[K]>): Promise<void> {
    await Promise.all(this.sourceKeys.map((k) => {
      const ref = this.refs.get(k);
      return ref ? callTask(ref, method, ...args) : undefined;
    }));
  }

  /**
   * Checkpoint n completed: every subtask is told (two-phase-commit sinks commit). A subtask whose
   * notification failed — a sink's commit threw — fails the attempt, as a failing
   * notifyCheckpointComplete fails the task in Flink: the next attempt restores and commits again.
   * Before, only a later record or checkpoint surfaced the failure, so after the final checkpoint or
   * a stop-with-savepoint a job finished with output never committed. Calls that failed because
   * the subtask has ended (teardown) are not failures of the commit.
   */
  private async notifyComplete(checkpointId: number): Promise<WeirError | undefined> {
    const coordinator = this.coordinator;
    const results = await Promise.allSettled([...this.refs.values()].map((r) => callTask(r, 'notifyCheckpointComplete', checkpointId)));
    for (const r of results) {
      if (r.status !== 'rejected' || endedSubtask(r.reason)) continue;
      const failure = r.reason instanceof WeirError ? r.reason
        : new WeirError(RuntimeErrorCode.USER_FUNCTION_FAILED, `a subtask failed when told checkpoint ${checkpointId} completed: ${(r.reason as Error)?.message ?? String(r.reason)}`, { checkpointId }, { cause: r.reason });
      if (coordinator === this.coordinator) this.opts.failJob(failure);
      return failure;
    }
    return undefined;
  }

  private callAll<K extends StreamTaskCall>(method: K, ...args: Parameters<StreamTaskApi[K]>): Promise<unknown> {
    return Promise.allSettled([...this.refs.values()].map((r) => callTask(r, method, ...args)));
  }
}

/** A control call that failed because its subtask or actor has ended (a teardown), not because of what it did. */
function endedSubtask(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return code === RuntimeErrorCode.TASK_ENDED || (isErrorCode(code) && ErrorCodes[code].area === 'actors');
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function checkpointRoot(config: CheckpointConfig, jobId: string): string {
  return path.join(path.resolve(config.directory), jobId);
}
