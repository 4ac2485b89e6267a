/**
 * Main-thread side of a running job (Flink's JobMaster, for one host).
 *
 * Lifecycle: start the actor system → (restore?) → attempt 0 → … Each attempt
 * deploys every subtask (runtime/job/attempt.ts). A failure in an attempt — a
 * user function throwing, a snapshot or restore failing, a worker exiting or
 * crashing, too many failed checkpoints — tears the whole attempt down and,
 * if the restart strategy allows, deploys the next attempt from the latest
 * completed checkpoint (keyed and operator state, source splits, and the
 * in-flight data of unaligned checkpoints, replayed before any new input).
 * Errors that a restart cannot fix (a broken job module, unmatched state)
 * fail the job at once.
 */
import os from 'node:os';
import { ActorSystem, type ActorFailure } from '../../actors/index.ts';
import { jobWorkingStatePath, missingDirectories, removeEmptyDirectories, removeWorkingState } from '../task/working-state.ts';
import type { Logger } from 'pino';
import type { JobDefinition } from '../api/job-definition.ts';
import type { JobGraph } from '../graph/job-graph.ts';
import type { ResolvedExecuteOptions } from './execute-options.ts';
import type { FailoverRecord, JobControl, JobMetrics, JobPlan, JobResult, JobStatus } from './job-client.ts';
import { JobLifeLog } from './job-life-log.ts';
import { JobCheckpointControl } from './job-checkpoint-control.ts';
import type { RestEndpoint } from '../rest/rest-server.ts';
import { jobPlanOf, subtaskMetricsOf } from './job-metrics.ts';
import { CollectedRecords } from './collect-reader.ts';
import { RunningGate, type JobRunningInfo } from './job-running.ts';
import { actorSystemLogger, jobLogger, workerLogOptions, type EmbeddingOptions } from './embedding.ts';
import { Attempt } from './attempt.ts';
import type { TaskMetrics } from '../task/task-metrics.ts';
import { callTask, parseTaskMessage } from '../task/task-protocol.ts';
import { InFlightReplayTracker } from './in-flight-replay.ts';
import { WeirError, reviveError } from '../../common/weir-error.ts';
import { RuntimeErrorCode, workerLost } from '../errors.ts';
import { isRestartable } from '../../common/error-codes.ts';
import { createInitialSplits, type InitialSplits } from './source-splits.ts';
import { PushSources } from './push-sources.ts';
import { onDemandCheckpoints } from './on-demand-checkpoints.ts';
import { JobCheckpointing, checkpointRoot } from './job-checkpointing.ts';
import type { CompletedCheckpoint } from '../checkpoint/checkpoint-metadata.ts';
import { CheckpointStatsTracker, type CheckpointStats, type CheckpointStatsSnapshot } from '../checkpoint/checkpoint-stats.ts';
import { RestartTracker, resolveRestartStrategy, restartDelay } from '../recovery/restart-strategy.ts';
import { planRestore, type RestorePlan } from '../recovery/restore-planner.ts';
import { resolveInitialRestore } from '../recovery/restore-source.ts';
import { checkpointsOnDisk } from '../recovery/retained-checkpoints.ts';
import { systemClock } from '../../common/clock.ts';
import { acquireJobId, type JobIdLease } from './job-id-lease.ts';

export class JobMaster implements JobControl {
  jobId: string;
  readonly name: string;
  readonly done: Promise<JobResult>;
  private state: JobStatus = 'initializing';
  private system: ActorSystem | undefined;
  private attempt: Attempt | undefined;
  private attemptNumber = 0;
  private readonly collected: CollectedRecords;
  private readonly startedAtMs = Date.now();
  private endedAt: number | undefined;
  private cancelRequested = false;
  private attemptFailure: Error | undefined;
  private rejectAttempt: ((e: Error) => void) | undefined;
  private readonly finalMetrics = new Map<string, TaskMetrics>();
  private readonly sinkNameList: string[];
  private logger: Logger;
  private life: JobLifeLog;
  /** The endpoint's base URL once it listens (`client.restUrl()`). */
  readonly restUrl: Promise<string>;
  private checkpointing: JobCheckpointing | undefined;
  /** Checkpoint statistics of the whole job (every attempt); exists from `execute()` on when checkpointing is enabled. */
  private readonly checkpointStatsTracker: CheckpointStatsTracker | undefined;
  private readonly failovers: FailoverRecord[] = [];
  private readonly replay = new InFlightReplayTracker();
  private restoredFrom: { checkpointId: number; path: string } | undefined;
  /** Set once stop-with-savepoint took its savepoint: the job then ends 'finished' with this path. */
  private stopSavepointPath: string | undefined;
  /** The job id, held from when it is final (after a restore chose it) to the end (job-id-lease.ts). */
  private lease: JobIdLease | undefined;
  /** The state directory and its ancestors this job created (removed at its end while empty). */
  private createdStateDirectories: string[] = [];
  /** Ends the restart delay in progress (a cancel). */
  private endRestartDelay: (() => void) | undefined;
  private readingEnded: Promise<void>;
  private endReading!: () => void;
  private readonly gate: RunningGate;
  /** What the app pushes into push sources (job/push-sources.ts). */
  private readonly push: PushSources;
  /** Checkpoints a full buffer asks for when checkpointing has no interval (on-demand-checkpoints.ts). */
  private readonly needCheckpoint: (() => void) | undefined;
  /** triggerCheckpoint, savepoints, abort, onCheckpoint, stop-with-savepoint (job-checkpoint-control.ts). */
  private readonly checkpointControl: JobCheckpointControl;

  constructor(
    private readonly def: JobDefinition<unknown>,
    private readonly opts: ResolvedExecuteOptions<unknown>,
    private readonly graph: JobGraph,
    private readonly embedding: EmbeddingOptions & { readonly typescript: boolean },
    /** The HTTP endpoint (`execute({ rest })`): listening before the first attempt deploys, closed when the job ends. */
    private readonly rest?: RestEndpoint,
  ) {
    this.jobId = opts.jobId;
    this.name = def.name;
    this.sinkNameList = [...new Set(graph.vertices.flatMap((v) => v.operators.flatMap((o) => (o.spec.kind === 'sink' && o.spec.sink.type === 'collect' ? [o.spec.sink.name] : []))))];
    this.collected = new CollectedRecords(this.sinkNameList, opts.retainCollected, (sink, limit) => this.logger.warn({ sink, limit },
      `collect sink '${sink}' has no results() reader yet and retainCollected is false: it keeps only the newest ${limit} records for the first reader, older ones are dropped — create the iterator before the job produces, or retain`));
    this.readingEnded = new Promise((r) => (this.endReading = r));
    this.logger = jobLogger(embedding, opts.jobId);
    this.life = new JobLifeLog(this.logger, def.name);
    this.life.submitted({ parallelism: opts.parallelism, checkpointing: opts.checkpointing !== undefined, restore: opts.restore });
    this.gate = new RunningGate(def.name);
    this.checkpointStatsTracker = opts.checkpointing ? new CheckpointStatsTracker() : undefined;
    this.checkpointStatsTracker?.onFinished((stats) => this.life.checkpoint(stats));
    this.restUrl = rest ? rest.url : Promise.reject(new WeirError(RuntimeErrorCode.INVALID_ARGUMENT, `job '${def.name}' runs without a REST endpoint: pass the 'rest' option to execute()`));
    this.restUrl.catch(() => {});
    this.needCheckpoint = opts.checkpointing?.intervalMs === null ? onDemandCheckpoints(() => this.triggerCheckpoint()) : undefined;
    this.push = new PushSources(graph, opts.checkpointing !== undefined, this.needCheckpoint);
    this.checkpointControl = new JobCheckpointControl({
      name: this.name,
      jobId: () => this.jobId, // changes when a restore continues another run's checkpoints
      checkpointingConfigured: opts.checkpointing !== undefined,
      statsTracker: this.checkpointStatsTracker,
      state: () => this.state,
      checkpointing: () => this.checkpointing,
      nextStatusChange: () => this.gate.next(),
      collect: () => this.attempt?.collect,
      stopAfterSavepoint: async (savepointDirectory) => {
        this.stopSavepointPath = savepointDirectory;
        await this.cancel();
      },
      listenerFailed: (err, stats) => this.logger.warn({ err, checkpointId: stats.checkpointId }, `an onCheckpoint listener threw on checkpoint ${stats.checkpointId} (ignored: the job and the other listeners go on)`),
    });
    this.done = this.run();
  }

  status(): JobStatus { return this.state === 'cancelled' && this.stopSavepointPath !== undefined ? 'finished' : this.state; }
  startedAt(): number { return this.startedAtMs; }
  plan(): JobPlan { return jobPlanOf(this.graph); }
  pushRecord(name: string, record: unknown): Promise<number> { return this.push.push(name, record); }
  endPush(name: string): Promise<void> { return this.push.end(name); }
  pushPosition(name: string): number { return this.push.position(name); }
  get running(): Promise<JobRunningInfo> { return this.gate.first; }
  sinkNames(): string[] { return this.sinkNameList; }
  attempts(): number { return this.attemptNumber + 1; }
  failoverHistory(): FailoverRecord[] { return [...this.failovers]; }

  private async run(): Promise<JobResult> {
    let failure: Error | undefined;
    try {
      // 1. Where to start from (a restore is resolved and planned before anything runs).
      let restore = await this.initialRestore();
      // User sources' splits, once per job run: a source that cannot make them fails the job at start.
      this.initialSplits = await createInitialSplits(this.graph);
      if (this.rest) this.life.restEndpoint(await this.rest.listen()); // a port that cannot be bound fails the job
      const workerLog = workerLogOptions(this.embedding);
      const systemLogger = actorSystemLogger(this.embedding);
      // Cancelled already (an AbortSignal aborted before execute()): no worker starts, the first attempt returns 'cancelled'.
      if (!this.cancelRequested) this.system = await ActorSystem.start({
        threads: this.threads(), name: `weir-${this.jobId}`, logBindings: { job: this.jobId }, typescript: this.embedding.typescript,
        ...(systemLogger ? { logger: systemLogger } : {}), ...(workerLog ? { workerLog } : {}),
      });
      this.system?.onFailure((f) => this.onActorFailure(f));
      this.system?.onMessage((actorId, msg) => this.onMessage(actorId, msg));
      const restarts = new RestartTracker(resolveRestartStrategy(this.opts.restartStrategy, this.opts.checkpointing !== undefined), systemClock);
      // 2. Attempts until finished, cancelled or out of restarts.
      for (;;) {
        const outcome = await this.runAttempt(restore);
        if (outcome === 'finished' || outcome === 'cancelled') {
          this.state = outcome;
          break;
        }
        const failedAt = Date.now();
        this.state = 'restarting';
        await this.attempt!.teardown('failover');
        const code = (outcome as WeirError).code;
        if (this.cancelRequested) {
          this.state = 'cancelled';
          break;
        }
        if (!isRestartable(code)) throw outcome; // a failure a restart cannot fix (common/error-codes.ts)
        const decision = restarts.onFailure();
        if (!decision.restart) {
          throw new WeirError((outcome as WeirError).code ?? 'WEIR_JOB_FAILED', `job '${this.name}' failed and will not be restarted (${decision.reason}): ${outcome.message}`, { ...(outcome as WeirError).details, attempts: this.attemptNumber + 1 }, { cause: outcome });
        }
        this.life.failover(outcome, this.attemptNumber + 1, decision.delayMs, this.checkpointing?.latestForRecovery()?.checkpointId ?? restore?.checkpoint.checkpointId ?? null);
        // Before the restart delay: checkpoints in flight end now (a new coordinator), and the
        // failover is visible (client, REST, dashboard) while the job waits to restart.
        this.checkpointing?.resetForNewAttempt();
        await this.checkpointing?.removeAbandoned('earlier attempts');
        const latest = this.checkpointing?.latestForRecovery();
        restore = latest ? { checkpoint: latest, rootDir: latest.kind === 'savepoint' ? latest.directory : checkpointRoot(this.opts.checkpointing!, this.jobId) } : restore;
        this.failovers.push({ attempt: this.attemptNumber + 1, cause: { ...(code ? { code } : {}), message: outcome.message, ...(outcome instanceof WeirError ? { details: outcome.details } : {}) }, failedAt, restoredCheckpointId: restore?.checkpoint.checkpointId ?? null, runningAt: 0, recoveryMs: 0, replayedAt: 0, replayMs: 0, checkpointsDuringReplay: 0 });
        // A cancel during the failover's teardown came before the delay existed: no delay then.
        if (decision.delayMs > 0 && !this.cancelRequested) {
          const delay = restartDelay(decision.delayMs);
          this.endRestartDelay = delay.end; // a cancel ends the delay at once
          await delay.done;
        }
        if (this.cancelRequested) {
          this.state = 'cancelled';
          break;
        }
        // A failover's restore counts as Flink's does (restored count, latest restore).
        if (restore) this.checkpointing?.stats.reportRestored({ checkpointId: restore.checkpoint.checkpointId, kind: restore.checkpoint.kind, path: restore.checkpoint.directory, restoreTimestamp: Date.now() });
        this.attemptNumber++;
      }
    } catch (e) {
      failure = e as Error;
    } finally {
      await this.teardown(failure ? 'failed' : this.state === 'cancelled' ? 'cancelled' : 'finished');
      this.push.close(failure ?? new WeirError(RuntimeErrorCode.JOB_NOT_RUNNING, `job '${this.name}' has ended: no more records can be pushed`));
      this.endedAt = Date.now();
      // Not awaited: a request in progress may be what ended the job (stop, cancel); it still gets its answer.
      void this.rest?.close(failure ?? new WeirError(RuntimeErrorCode.JOB_NOT_RUNNING, `job '${this.name}' ended before its REST endpoint listened`));
      this.endReading();
      this.gate.ended(failure ?? new WeirError(RuntimeErrorCode.JOB_CANCELLED, `job '${this.name}' was ${this.state === 'cancelled' ? 'cancelled' : 'finished'} before it ran`));
    }
    if (failure) {
      this.state = 'failed';
      this.life.failed(failure);
      throw failure;
    }
    // Stopped with a savepoint: torn down like a cancel, reported as Flink does (FINISHED, with the savepoint).
    if (this.state === 'cancelled' && this.stopSavepointPath !== undefined) this.state = 'finished';
    this.life.ended(this.state === 'cancelled' ? 'cancelled' : 'finished', this.endedAt! - this.startedAtMs, this.stopSavepointPath);
    return {
      jobId: this.jobId,
      name: this.name,
      status: this.state === 'cancelled' ? 'cancelled' : 'finished',
      durationMs: this.endedAt! - this.startedAtMs,
      metrics: await this.metrics(),
      attempts: this.attemptNumber + 1,
      failovers: [...this.failovers],
      ...(this.restoredFrom ? { restoredFrom: this.restoredFrom } : {}),
      ...(this.stopSavepointPath !== undefined ? { savepointPath: this.stopSavepointPath } : {}),
      ...(this.checkpointing ? { checkpoints: this.checkpointing.stats.toJSON() } : {}),
      collected: Object.fromEntries(this.sinkNameList.map((n) => [n, this.collected.collected(n)])),
    };
  }

  private threads(): number {
    const subtasks = this.graph.vertices.reduce((n, v) => n + v.parallelism, 0);
    return this.opts.threads ?? Math.max(1, Math.min(os.availableParallelism(), subtasks));
  }

  /**
   * A restore from a checkpoint continues the restored run's job id (its checkpoints, its
   * metrics series, its log lines): from here on every line carries that id.
   */
  private continueJobId(jobId: string): void {
    this.logger.info({ continuesJob: jobId }, `job id ${jobId}: continuing the restored run's checkpoints (instead of ${this.jobId})`);
    this.jobId = jobId;
    this.logger = jobLogger(this.embedding, jobId);
    this.life = new JobLifeLog(this.logger, this.name);
  }

  /** Resolve `restore` and set up checkpointing (which continues the restored job's checkpoints). */
  private async initialRestore(): Promise<{ checkpoint: CompletedCheckpoint; rootDir: string } | undefined> {
    let initial;
    if (this.opts.restore !== undefined) {
      initial = await resolveInitialRestore(this.opts.restore, { checkpointDirectory: this.opts.checkpointing?.directory, jobName: this.name, jobId: this.opts.jobIdExplicit ? this.jobId : undefined, loggerFor: (id) => jobLogger(this.embedding, id) });
      if (!this.opts.jobIdExplicit && initial.checkpoint.kind === 'checkpoint' && initial.jobId !== this.jobId) this.continueJobId(initial.jobId);
      // Plan now so unmatched state fails the job before anything runs.
      planRestore(initial.checkpoint.metadata, initial.rootDir, this.graph, { allowNonRestoredState: this.opts.allowNonRestoredState, source: initial.checkpoint.directory });
      this.restoredFrom = { checkpointId: initial.checkpoint.checkpointId, path: initial.checkpoint.directory };
      this.life.restoring({ ...this.restoredFrom, kind: initial.checkpoint.kind });
    }
    // Before anything writes under the id (retention below deletes old checkpoints).
    this.createdStateDirectories = missingDirectories(this.opts.stateDirectory);
    this.lease = await acquireJobId(this.jobId, [
      ...(this.opts.checkpointing ? [checkpointRoot(this.opts.checkpointing, this.jobId)] : []),
      ...(this.opts.stateBackend === 'lmdb' ? [jobWorkingStatePath(this.opts.stateDirectory, this.jobId)] : []),
    ]);
    if (this.opts.checkpointing) {
      this.checkpointing = new JobCheckpointing({
        jobId: this.jobId,
        config: this.opts.checkpointing,
        graph: this.graph,
        logger: this.logger,
        failJob: (error) => this.failAttempt(error),
        ...(this.checkpointStatsTracker ? { stats: this.checkpointStatsTracker } : {}),
        onComplete: (id) => {
          this.replay.checkpointCompleted();
          this.attempt?.collect?.release(id);
          const completed = this.checkpointing?.latestForRecovery();
          if (completed?.checkpointId === id) this.push.onCheckpointComplete(completed);
        },
      });
      if (initial) this.checkpointing.stats.reportRestored({ checkpointId: initial.checkpoint.checkpointId, kind: initial.checkpoint.kind, path: initial.checkpoint.directory, restoreTimestamp: Date.now() });
      // What earlier runs of this job id left: retention is enforced (old checkpoints deleted) before anything runs.
      await this.checkpointing.adoptCheckpointsOnDisk(await checkpointsOnDisk(this.opts.checkpointing.directory, this.jobId, initial?.checkpoint, this.logger));
    }
    return initial;
  }

  /** One attempt: 'finished', 'cancelled', or the error that failed it. */
  /** User sources' splits, made once per job run (job/source-splits.ts). */
  private initialSplits: InitialSplits | undefined;

  private async runAttempt(restore: { checkpoint: CompletedCheckpoint; rootDir: string } | undefined): Promise<'finished' | 'cancelled' | Error> {
    if (this.cancelRequested) return 'cancelled';
    this.attemptFailure = undefined;
    const failed = new Promise<never>((_, reject) => (this.rejectAttempt = reject));
    failed.catch(() => {});
    let plan: RestorePlan | undefined;
    try {
      if (restore) plan = planRestore(restore.checkpoint.metadata, restore.rootDir, this.graph, { allowNonRestoredState: this.opts.allowNonRestoredState, source: restore.checkpoint.directory });
    } catch (e) {
      return e as Error;
    }
    const cp = this.opts.checkpointing;
    this.attempt = new Attempt({
      jobId: this.jobId,
      jobName: this.def.name,
      moduleUrl: this.def.moduleUrl,
      attempt: this.attemptNumber,
      graph: this.graph,
      options: this.opts,
      checkpointing: cp ? { mode: cp.mode, root: checkpointRoot(cp, this.jobId), incremental: cp.incremental } : undefined,
restore: plan,
      ...(this.needCheckpoint ? { collectNeedsCheckpoint: this.needCheckpoint } : {}),
      collected: this.collected,
      initialSplits: this.initialSplits ?? new Map(),
    });
    this.replay.attemptStarting();
    try {
      await Promise.race([this.attempt.deploy(this.system!), failed]);
      if (this.cancelRequested) return 'cancelled';
      this.life.deployed(this.attemptNumber, this.attempt.keys.length);
      for (const c of this.attempt.pushChannels) this.push.attach(c.name, c.channel, c.doorbell, plan?.subtasks.get(c.key)?.operator[c.uid]?.[0]);
      this.state = 'running';
      const last = this.failovers.at(-1);
      if (last && last.runningAt === 0) {
        last.runningAt = Date.now();
        last.recoveryMs = last.runningAt - last.failedAt;
      }
      this.replay.attemptRunning(last && last.attempt === this.attemptNumber ? last : undefined,
        [...(plan?.subtasks ?? [])].filter(([, s]) => s.channelState.length > 0).map(([key]) => key), Date.now());
      this.checkpointing?.attach(this.attempt.entries());
      this.life.running(this.attemptNumber, restore ? { checkpointId: restore.checkpoint.checkpointId, kind: restore.checkpoint.kind, path: restore.checkpoint.directory } : null);
      this.gate.running({ jobId: this.jobId, attempt: this.attemptNumber, runningAt: Date.now(), ...(this.restoredFrom ? { restoredFrom: this.restoredFrom } : {}) });
      await Promise.race([this.attempt.completion(), failed]);
      return this.attemptFailure ?? 'finished';
    } catch (e) {
      if (this.cancelRequested && !this.attemptFailure) return 'cancelled';
      return this.attemptFailure ?? (e as Error);
    }
  }

  private onActorFailure(f: ActorFailure): void {
    if (!this.attempt?.keyOf(f.actorId)) return; // a straggler of a torn-down attempt
    const cause = reviveError(f.cause);
    this.failAttempt(f.kind === 'actor-error'
      ? cause
      : workerLost(f.actorId, f.reason ?? `host ${f.host} failed (${f.kind}): ${cause.message}`, { host: f.host, kind: f.kind }, cause));
  }

  private failAttempt(error: Error): void {
    if (this.attemptFailure || this.cancelRequested) return;
    if (this.state !== 'running' && this.state !== 'initializing') return;
    this.attemptFailure = error;
    this.rejectAttempt?.(error);
  }

  private onMessage(actorId: string, msg: unknown): void {
    const key = this.attempt?.keyOf(actorId);
    if (!key) return; // a message from a torn-down attempt
    const m = parseTaskMessage(msg);
    if (!m) {
      this.logger.warn({ subtask: key }, 'unknown control message from a subtask ignored');
      return;
    }
    if (this.checkpointing?.onMessage(key, m)) return;
    if (m.type === 'metrics') this.finalMetrics.set(key, m.metrics);
    else if (m.type === 'in-flight-replayed') this.replay.subtaskReplayed(key, Date.now());
  }

  async cancel(): Promise<void> {
    if (this.state === 'finished' || this.state === 'failed' || this.state === 'cancelled') return;
    this.cancelRequested = true;
    this.state = 'cancelling';
    this.endRestartDelay?.();
    this.rejectAttempt?.(new WeirError(RuntimeErrorCode.JOB_CANCELLED, `job '${this.name}' was cancelled`));
    await this.done.catch(() => {});
  }

  private async teardown(status: 'finished' | 'cancelled' | 'failed'): Promise<void> {
    if (this.checkpointing) {
      this.checkpointing.stop(status);
      await this.checkpointing.whenIdle().catch(() => {});
    }
    if (this.attempt && status !== 'finished') await this.attempt.teardown(`job ${status}`);
    this.attempt?.collect?.stop();
    await this.system?.shutdown();
    this.system = undefined;
    if (!this.lease) return; // the id was never ours: what is under it belongs to another job
    await this.checkpointing?.removeAbandoned('all'); // after the workers: a subtask may write into an aborted checkpoint until it stops
    // Every worker is gone: the working copies of keyed state are scratch now (task/working-state.ts).
    await removeWorkingState(this.opts.stateDirectory, this.jobId)
      .catch((err) => this.logger.warn({ err, directory: this.opts.stateDirectory }, 'could not remove the job\'s working state directory'));
    await this.lease.release();
    await removeEmptyDirectories(this.createdStateDirectories);
    await this.checkpointing?.removeJobDirectoryIfEmpty(status);
  }

  async metrics(): Promise<JobMetrics> {
    const live = new Map(this.finalMetrics);
    const attempt = this.system && this.state === 'running' ? this.attempt : undefined;
    if (attempt) {
      const results = await Promise.allSettled(attempt.entries().map(async ([key, r]) => [key, await callTask(r, 'metrics')] as const));
      for (const r of results) if (r.status === 'fulfilled') live.set(r.value[0], r.value[1]);
    }
    const { vertices, channels } = subtaskMetricsOf(this.graph, live, attempt?.channelUsage() ?? []);
    return { jobId: this.jobId, status: this.state, durationMs: (this.endedAt ?? Date.now()) - this.startedAtMs, attempt: this.attemptNumber, vertices, channels };
  }

  collectedRecords(name: string): unknown[] { return this.collected.collected(name); }
  subscribe(name: string, listener: (records: unknown[]) => void): () => void { return this.collected.subscribe(name, listener); }
  pauseResults(): void { this.attempt?.collect?.pauseReading(); }
  resumeResults(): void { this.attempt?.collect?.resumeReading(); }
  readingDone(): Promise<void> { return this.readingEnded; }

  triggerCheckpoint(): Promise<CompletedCheckpoint> { return this.checkpointControl.triggerCheckpoint(); }
  triggerSavepoint(directory: string): Promise<CompletedCheckpoint> { return this.checkpointControl.triggerSavepoint(directory); }
  abortCheckpoint(checkpointId: number): boolean { return this.checkpointControl.abortCheckpoint(checkpointId); }
  checkpointStats(): CheckpointStatsSnapshot | undefined { return this.checkpointing?.stats.toJSON(); }
  onCheckpoint(listener: (stats: CheckpointStats) => void): () => void { return this.checkpointControl.onCheckpoint(listener); }
  stopWithSavepoint(directory: string): Promise<CompletedCheckpoint> { return this.checkpointControl.stopWithSavepoint(directory); }
}
