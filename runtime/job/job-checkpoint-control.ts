/**
 * What a job offers the app and the REST endpoint about checkpoints (JobClient's triggerCheckpoint,
 * triggerSavepoint, abortCheckpoint, onCheckpoint, stopWithSavepoint): the checks they share —
 * checkpointing configured, the job running (a request made while it initializes or restarts waits
 * for it), the savepoint directory usable — in front of the job's JobCheckpointing. The job master
 * owns the state it reads, through {@link CheckpointControlHost}.
 */
import { WeirError } from '../../common/weir-error.ts';
import type { CompletedCheckpoint } from '../checkpoint/checkpoint-metadata.ts';
import type { CheckpointStats, CheckpointStatsTracker } from '../checkpoint/checkpoint-stats.ts';
import { RuntimeErrorCode } from '../errors.ts';
import type { CollectReader } from './collect-reader.ts';
import type { JobStatus } from './job-client.ts';
import type { JobCheckpointing } from './job-checkpointing.ts';
import { checkSavepointDirectory } from './savepoint-directory.ts';

/** The job master's side of the checkpoint controls. */
export interface CheckpointControlHost {
  readonly name: string;
  jobId(): string;
  /** Whether the job was started with the `checkpointing` option. */
  readonly checkpointingConfigured: boolean;
  /** The statistics tracker of the whole job (exists from `execute()` on when checkpointing is configured). */
  readonly statsTracker: CheckpointStatsTracker | undefined;
  /** The job's state as the master keeps it (a stopped-with-savepoint job is still 'cancelled' here). */
  state(): JobStatus;
  checkpointing(): JobCheckpointing | undefined;
  /** Resolves at the job's next status change (job-running.ts). */
  nextStatusChange(): Promise<unknown>;
  /** The current attempt's reader of collect sinks, if any. */
  collect(): CollectReader | undefined;
  /** Ends the job after a terminal savepoint: it then reports 'finished' with that savepoint. */
  stopAfterSavepoint(savepointDirectory: string): Promise<void>;
  /** An `onCheckpoint` listener threw: reported (the job and the other listeners go on). */
  listenerFailed(error: unknown, stats: CheckpointStats): void;
}

/** How long stop-with-savepoint waits for the collect sinks' records up to the savepoint's barrier. */
const COLLECT_BARRIER_WAIT_MS = 10_000;

export class JobCheckpointControl {
  /** A stop-with-savepoint was asked for and has not failed: the job is ending; later requests are refused at once. */
  private stopRequested = false;

  constructor(private readonly job: CheckpointControlHost) {}

  async triggerCheckpoint(): Promise<CompletedCheckpoint> {
    const checkpointing = await this.runningCheckpointing();
    this.refuseIfStopping();
    return checkpointing.triggerCheckpoint();
  }

  async triggerSavepoint(directory: string): Promise<CompletedCheckpoint> {
    const checkpointing = await this.runningCheckpointing();
    await checkSavepointDirectory(directory);
    this.refuseIfStopping();
    return checkpointing.savepoint(directory);
  }

  abortCheckpoint(checkpointId: number): boolean {
    this.requireCheckpointingOption();
    const checkpointing = this.job.checkpointing();
    return this.job.state() === 'running' && checkpointing !== undefined && checkpointing.abort(checkpointId);
  }

  onCheckpoint(listener: (stats: CheckpointStats) => void): () => void {
    const tracker = this.job.statsTracker;
    if (!tracker) throw new WeirError('WEIR_INVALID_ARGUMENT', `onCheckpoint: job ${this.job.jobId()} runs without checkpointing`, { jobId: this.job.jobId() });
    if (typeof listener !== 'function') throw new WeirError('WEIR_INVALID_ARGUMENT', 'onCheckpoint: expected a function (stats) => void', { jobId: this.job.jobId() });
    return tracker.onFinished((stats) => {
      try {
        listener(stats);
      } catch (e) {
        this.job.listenerFailed(e, stats);
      }
    });
  }

  async stopWithSavepoint(directory: string): Promise<CompletedCheckpoint> {
    // Terminal: every subtask processes its completion (sinks commit what it covers) before the stop.
    const checkpointing = await this.runningCheckpointing();
    this.refuseIfStopping(); // a second stop made while the first awaited
    this.stopRequested = true;
    let savepoint: CompletedCheckpoint;
    try {
      await checkSavepointDirectory(directory);
      savepoint = await checkpointing.savepoint(directory, { terminal: true });
    } catch (e) {
      this.stopRequested = false; // the job goes on
      throw e;
    }
    // The records the savepoint covers belong to this run's output: let the main thread read
    // up to the savepoint's barrier on every collect channel (bounded), release them, then stop.
    const collect = this.job.collect();
    if (collect) {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([collect.barrierRead(savepoint.checkpointId), new Promise((r) => (timer = setTimeout(r, COLLECT_BARRIER_WAIT_MS)))]);
      } finally {
        clearTimeout(timer); // left running, it held the app's process open for 10 s after the job ended
      }
      collect.release(savepoint.checkpointId);
    }
    await this.job.stopAfterSavepoint(savepoint.directory);
    return savepoint;
  }

  /** A second stop, or a savepoint asked for behind the stop's, met a stopped coordinator ("coordinator is stopped"). */
  private refuseIfStopping(): void {
    if (this.stopRequested) throw new WeirError(RuntimeErrorCode.JOB_NOT_RUNNING, `job '${this.job.name}' is stopping with a savepoint (requested before): no more checkpoints or savepoints`, { status: 'stopping' });
  }

  private requireCheckpointingOption(): void {
    if (!this.job.checkpointingConfigured) throw new WeirError(RuntimeErrorCode.INVALID_ARGUMENT, `job '${this.job.name}' runs without checkpointing: pass the 'checkpointing' option to execute()`);
  }

  /**
   * The job's checkpointing once an attempt runs: a request made while the job initializes
   * (or restarts after a failure) waits for it; one made after the job ended, or still waiting
   * when it ends, rejects with WEIR_JOB_NOT_RUNNING.
   */
  private async runningCheckpointing(): Promise<JobCheckpointing> {
    this.requireCheckpointingOption();
    for (;;) {
      this.refuseIfStopping();
      const state = this.job.state();
      const checkpointing = this.job.checkpointing();
      if (state === 'running' && checkpointing) return checkpointing;
      if (state !== 'initializing' && state !== 'restarting') {
        throw new WeirError(RuntimeErrorCode.JOB_NOT_RUNNING, `job '${this.job.name}' is ${state}: checkpoints and savepoints can only be taken while it runs`, { status: state });
      }
      await this.job.nextStatusChange();
    }
  }
}
