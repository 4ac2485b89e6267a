/**
 * What `job.execute()` returns: Flink's JobClient for an embedded job.
 * A promise of completion, cancel(), status, metrics and collected results.
 */
import type { TaskMetrics } from '../task/task-metrics.ts';
import { invalidArgument } from '../errors.ts';
import type { CompletedCheckpoint } from '../checkpoint/checkpoint-metadata.ts';
import type { CheckpointStats, CheckpointStatsSnapshot } from '../checkpoint/checkpoint-stats.ts';
import type { JobRunningInfo } from './job-running.ts';

export type { JobRunningInfo } from './job-running.ts';

export type JobStatus = 'initializing' | 'running' | 'restarting' | 'finished' | 'failed' | 'cancelling' | 'cancelled';

/** One failover: what failed, which checkpoint the next attempt restored, how long recovery took. */
export interface FailoverRecord {
  /** The attempt that was started (1 = first restart). */
  attempt: number;
  /** The failure: its code and message, and a WeirError's details (operator, uid, subtask, record…). */
  cause: { code?: string; message: string; details?: Record<string, unknown> };
  /** Epoch ms when the failure was noticed. */
  failedAt: number;
  restoredCheckpointId: number | null;
  /** Epoch ms when every subtask of the new attempt was running (restored); 0 while restoring. */
  runningAt: number;
  /** runningAt − failedAt (includes the restart delay). */
  recoveryMs: number;
  /**
   * Epoch ms when every subtask had also replayed the in-flight data of the restored checkpoint
   * (unaligned checkpoints; = runningAt when there was none); 0 while replaying.
   */
  replayedAt: number;
  /** replayedAt − runningAt: how long the replay of restored in-flight data took; 0 while replaying. */
  replayMs: number;
  /** Checkpoints that completed after runningAt and before replayedAt (checkpoints during recovery). */
  checkpointsDuringReplay: number;
}

/**
 * One subtask's metrics: what it reports ({@link TaskMetrics}) plus the occupancy of its
 * channels, sampled by the job master from the rings (Flink's `inPoolUsage` / `outPoolUsage`):
 * bytes queued over ring capacity, 0..1, over all input (output) channels of the subtask.
 */
export interface SubtaskMetrics extends TaskMetrics {
  inPoolUsage: number;
  outPoolUsage: number;
}

/** One data channel between two subtasks right now (vertex ids, subtask numbers). */
export interface ChannelMetrics {
  readonly from: { readonly vertex: string; readonly subtask: number };
  readonly to: { readonly vertex: string; readonly subtask: number };
  readonly usedBytes: number;
  readonly capacityBytes: number;
  /** Bytes the producer may keep on the ring: the capacity, or less under buffer debloating (the consumer's limit). */
  readonly debloatedBufferBytes: number;
}

export interface VertexMetrics {
  readonly id: string;
  readonly name: string;
  readonly parallelism: number;
  readonly recordsIn: number;
  readonly recordsOut: number;
  readonly bytesOut: number;
  readonly subtasks: readonly SubtaskMetrics[];
}

export interface JobMetrics {
  readonly jobId: string;
  readonly status: JobStatus;
  /** Current attempt (0 = the first run). */
  readonly attempt: number;
  readonly durationMs: number;
  readonly vertices: readonly VertexMetrics[];
  /** Occupancy of the data channels of the running attempt (empty when no attempt runs). */
  readonly channels: readonly ChannelMetrics[];
}

export interface JobResult {
  readonly jobId: string;
  readonly name: string;
  readonly status: 'finished' | 'cancelled';
  readonly durationMs: number;
  readonly metrics: JobMetrics;
  /** Records of each collect sink, by name (empty when `retainCollected: false`). */
  readonly collected: Readonly<Record<string, unknown[]>>;
  /** Checkpoint statistics (Flink's checkpoint tab), when checkpointing was enabled. */
  readonly checkpoints?: CheckpointStatsSnapshot;
  /** Attempts run (1 + failovers). */
  readonly attempts: number;
  readonly failovers: readonly FailoverRecord[];
  /** The checkpoint or savepoint the job was started from (`restore` option). */
  readonly restoredFrom?: { checkpointId: number; path: string };
  /** Stopped with a savepoint (`stopWithSavepoint`): its directory; the status is then 'finished' (as Flink reports it). */
  readonly savepointPath?: string;
}

/** The job's dataflow as deployed (Flink's job plan): vertices (operator chains) and the edges between them. */
export interface JobPlan {
  readonly vertices: ReadonlyArray<{ readonly id: string; readonly name: string; readonly parallelism: number; readonly maxParallelism: number; readonly operators: readonly string[]; readonly isSource: boolean; readonly isKeyed: boolean }>;
  /** `from` / `to`: vertex ids; `partitioning`: forward, hash, rebalance, broadcast …; `sideOutput`: the tag when the edge carries a side output. */
  readonly edges: ReadonlyArray<{ readonly from: string; readonly to: string; readonly partitioning: string; readonly sideOutput?: string }>;
}

/** Implemented by the job master; the client is a thin view over it. */
export interface JobControl {
  readonly jobId: string;
  readonly name: string;
  readonly done: Promise<JobResult>;
  readonly running: Promise<JobRunningInfo>;
  status(): JobStatus;
  plan(): JobPlan;
  readonly restUrl: Promise<string>;
  /** Epoch ms when execute() was called. */
  startedAt(): number;
  cancel(): Promise<void>;
  metrics(): Promise<JobMetrics>;
  collectedRecords(name: string): unknown[];
  subscribe(name: string, listener: (records: unknown[]) => void): () => void;
  sinkNames(): string[];
  pauseResults(): void;
  resumeResults(): void;
  readingDone(): Promise<void>;
  triggerCheckpoint(): Promise<CompletedCheckpoint>;
  triggerSavepoint(directory: string): Promise<CompletedCheckpoint>;
  abortCheckpoint(checkpointId: number): boolean;
  checkpointStats(): CheckpointStatsSnapshot | undefined;
  onCheckpoint(listener: (stats: CheckpointStats) => void): () => void;
  stopWithSavepoint(directory: string): Promise<CompletedCheckpoint>;
  attempts(): number;
  failoverHistory(): FailoverRecord[];
  pushRecord(name: string, record: unknown): Promise<number>;
  endPush(name: string): Promise<void>;
  pushPosition(name: string): number;
}

export class JobClient {
  /** @internal */
  constructor(private readonly control: JobControl) {
    // Nobody awaiting `done` must not crash the process; awaiting it still rejects.
    control.done.catch(() => {});
    control.running.catch(() => {});
  }

  get jobId(): string { return this.control.jobId; }
  get name(): string { return this.control.name; }
  /**
   * Resolves when every sink finished (bounded job) — its collect sinks' records delivered to the
   * app — or after cancel(); rejects with the failure's WeirError. A `results()` iterator that is
   * neither read nor closed (`break`, `return()`) back-pressures the job once its queue is full, so
   * `done` waits for it, as a stream waits for its reader.
   */
  get done(): Promise<JobResult> { return this.control.done; }
  get status(): JobStatus { return this.control.status(); }
  /**
   * Resolves once every subtask of the job runs (deployed and, when restoring, restored) —
   * the first attempt that gets there; rejects with the job's error if it fails or is
   * cancelled (`WEIR_JOB_CANCELLED`) before. Await it instead of polling `status`.
   */
  get running(): Promise<JobRunningInfo> { return this.control.running; }

  /** The job's vertices (operator chains) with their parallelism, and the edges between them. */
  plan(): JobPlan { return this.control.plan(); }

  /**
   * Base URL of the job's HTTP endpoint (`execute({ rest })`: metrics, REST API, dashboard) once it
   * listens — with `port: 0`, the port chosen. Rejects `WEIR_INVALID_ARGUMENT` without `rest`, and
   * `WEIR_REST_LISTEN_FAILED` when it could not listen.
   */
  restUrl(): Promise<string> { return this.control.restUrl; }

  /** Epoch ms when the job was submitted (`execute()`). */
  get startTime(): number { return this.control.startedAt(); }

  // Every method returning a promise rejects, never throws (see `rejecting`).

  /** Stop every subtask and free the workers. `done` then resolves with status 'cancelled'. */
  cancel(): Promise<void> { return rejecting(() => this.control.cancel()); }

  /** Records in/out per vertex and subtask (live while running, final after). */
  metrics(): Promise<JobMetrics> { return rejecting(() => this.control.metrics()); }

  /**
   * Take a checkpoint now; resolves when its `_metadata` is durable (rejects `WEIR_CHECKPOINT_FAILED`
   * with `details.reason`). Requested while the job initializes or restarts, it waits until the job
   * runs; after the job ended it rejects `WEIR_JOB_NOT_RUNNING`; without checkpointing `WEIR_INVALID_ARGUMENT`.
   */
  triggerCheckpoint(): Promise<CompletedCheckpoint> { return rejecting(() => this.control.triggerCheckpoint()); }

  /** Take a savepoint (always aligned, self-contained) into `<directory>/savepoint-<job>-<id>`; waits for the job to run, like triggerCheckpoint(). */
  triggerSavepoint(directory: string): Promise<CompletedCheckpoint> {
    return rejecting(() => this.control.triggerSavepoint(savepointDirectory(directory, 'triggerSavepoint')));
  }

  /** Abort an in-progress checkpoint (the job keeps running). Returns false if it was not pending (or the job does not run). */
  abortCheckpoint(checkpointId: number): boolean { return this.control.abortCheckpoint(checkpointId); }

  /**
   * Take a savepoint, then stop the job (Flink's stop-with-savepoint); `done` resolves with status
   * 'finished' and `savepointPath` set (as Flink reports it). Waits for the job to run, like triggerCheckpoint().
   */
  stopWithSavepoint(directory: string): Promise<CompletedCheckpoint> {
    return rejecting(() => this.control.stopWithSavepoint(savepointDirectory(directory, 'stopWithSavepoint')));
  }

  /** Attempts so far (1 + failovers). */
  /**
   * Push a record into the push source `name` (`env.fromPushSource(name)`). Resolves, in push order,
   * with the record's sequence number once the job holds it; waits while the source's buffer is
   * full (backpressure: `maxBufferedRecords`). Rejects when the source was ended, the name is
   * unknown (`WEIR_INVALID_ARGUMENT`) or the job has ended. Guarantee: see docs/api.md (push sources).
   */
  push<T>(name: string, record: T): Promise<number> { return rejecting(() => this.control.pushRecord(name, record)); }

  /** No more records for push source `name`: once the job has them all, the source ends its input. */
  endPush(name: string): Promise<void> { return rejecting(() => this.control.endPush(name)); }

  /**
   * The sequence number the next record pushed into `name` gets. After a restore (from a
   * checkpoint of an earlier process) and once `running` resolved, it is where the job's input
   * resumes: an app that can replay its input pushes again from there.
   */
  pushPosition(name: string): number { return this.control.pushPosition(name); }

  get attempts(): number { return this.control.attempts(); }

  /** Failovers so far: cause, restored checkpoint, recovery time. */
  get failovers(): FailoverRecord[] { return this.control.failoverHistory(); }

  /** Checkpoint statistics as Flink's checkpoint tab shows them (history newest first); undefined without checkpointing. */
  checkpointStats(): CheckpointStatsSnapshot | undefined { return this.control.checkpointStats(); }

  /**
   * Call `listener` with the statistics of each checkpoint or savepoint that completes or fails
   * from now on (`stats.status` says which), across failovers. Returns the function that
   * unsubscribes. Wait for checkpoints with it instead of sleeping. Throws
   * `WEIR_INVALID_ARGUMENT` when the job runs without checkpointing.
   */
  onCheckpoint(listener: (stats: CheckpointStats) => void): () => void { return this.control.onCheckpoint(listener); }

  /** The names of the job's `collect` sinks (what `results(name)` and `collected(name)` take). */
  collectSinkNames(): string[] {
    return [...this.control.sinkNames()];
  }

  /** Records a collect sink delivered so far. */
  collected<T = unknown>(sink?: string): T[] {
    const name = this.sinkName(sink);
    return this.control.collectedRecords(name) as T[];
  }

  /**
   * Stream a collect sink's records as they arrive. Iteration ends when the job
   * ends — finished or cancelled; when it failed, `next()` rejects with the job's error once every
   * record was delivered (as Flink's collect iterator throws). A slow consumer back-pressures the job (reading pauses beyond 10 000
   * queued records; an iterator left unread and not closed holds the job there: close it with
   * `break` or `return()`). Nothing emitted before the call is lost: with `retainCollected` (default)
   * each iterator starts at the sink's first record; with `retainCollected: false` the first
   * iterator of a sink also gets the records that arrived before it (up to 10 000, the oldest
   * dropped beyond), later iterators only what arrives after they were created.
   */
  results<T = unknown>(sink?: string, options: { highWaterMark?: number } = {}): AsyncIterableIterator<T> {
    const name = this.sinkName(sink);
    const hwm = options.highWaterMark ?? 10_000;
    // 0, a negative or NaN bound would pause the sink for good after its first record.
    if (!Number.isSafeInteger(hwm) || hwm < 1) {
      throw invalidArgument(`results('${name}'): highWaterMark must be an integer >= 1, got ${String(hwm)}`, { option: 'highWaterMark' });
    }
    const control = this.control;
    let queue: unknown[] = [];
    let head = 0;
    let wake: (() => void) | undefined;
    let paused = false;
    const unsubscribe = control.subscribe(name, (records) => {
      for (let i = 0; i < records.length; i++) queue.push(records[i]);
      if (queue.length - head > hwm && !paused) {
        paused = true;
        control.pauseResults();
      }
      wake?.();
    });
    let ended = false;
    void control.readingDone().then(() => {
      ended = true;
      wake?.();
    }, () => {
      ended = true;
      wake?.();
    });
    const iterator: AsyncIterableIterator<T> = {
      [Symbol.asyncIterator]() { return iterator; },
      async next(): Promise<IteratorResult<T>> {
        for (;;) {
          if (head < queue.length) {
            const v = queue[head] as T;
            queue[head++] = undefined; // read: no longer held here (memory stays within highWaterMark records)
            if (head > 4096 && head * 2 > queue.length) {
              queue = queue.slice(head);
              head = 0;
            }
            if (paused && queue.length - head < hwm / 2) {
              paused = false;
              control.resumeResults();
            }
            return { value: v, done: false };
          }
          if (ended) {
            unsubscribe();
            if (paused) control.resumeResults();
            // Every record delivered: a job that failed rejects here (an app reading only results() learns it).
            const failure = await control.done.then(() => undefined, (e: unknown) => e);
            if (failure !== undefined) throw failure;
            return { value: undefined as never, done: true };
          }
          await new Promise<void>((r) => (wake = r));
          wake = undefined;
        }
      },
      async return(): Promise<IteratorResult<T>> {
        unsubscribe();
        if (paused) control.resumeResults();
        ended = true;
        return { value: undefined as never, done: true };
      },
    };
    return iterator;
  }

  /** The sink a call names; without a name, `collect()`'s unnamed sink ('default'), else the job's only collect sink. */
  private sinkName(sink: string | undefined): string {
    const names = this.control.sinkNames();
    const name = sink ?? (names.length === 1 && !names.includes('default') ? names[0]! : 'default');
    if (!names.includes(name)) {
      throw invalidArgument(`no collect sink named '${name}' in job '${this.name}' (collect sinks: ${names.length ? names.join(', ') : 'none'})`, { sink: name });
    }
    return name;
  }
}

/** Run `f`; a synchronous throw becomes a rejected promise (promise-returning APIs never throw). */
function rejecting<T>(f: () => Promise<T>): Promise<T> {
  try {
    return f();
  } catch (e) {
    return Promise.reject(e);
  }
}

function savepointDirectory(directory: unknown, method: string): string {
  if (typeof directory !== 'string' || directory.length === 0) {
    throw invalidArgument(`${method}(directory): expected a directory path (a non-empty string), got ${typeof directory === 'string' ? '""' : String(directory)}`, { directory: String(directory) });
  }
  return directory;
}
