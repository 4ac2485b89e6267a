/**
 * "Is the job running yet?" as promises instead of polling `client.status`.
 *
 * Call order (the job master owns one gate per job):
 *   1. `running(info)` each time an attempt has every subtask running (the first call
 *      resolves {@link RunningGate.first}, every call wakes {@link RunningGate.next} waiters);
 *   2. `ended(error)` once when the job ends: `first` rejects with `error` if no attempt
 *      ever ran, and every waiter still waiting rejects with `WEIR_JOB_NOT_RUNNING`.
 */
import { WeirError } from '../../common/weir-error.ts';

/** What `client.running` resolves with: the attempt that runs and since when. */
export interface JobRunningInfo {
  readonly jobId: string;
  /** The attempt whose subtasks all run (0 = the first). */
  readonly attempt: number;
  /** Epoch ms when every subtask of that attempt was running (restored, when restoring). */
  readonly runningAt: number;
  /** The checkpoint or savepoint the job was started from (`restore` option). */
  readonly restoredFrom?: { checkpointId: number; path: string };
}

export class RunningGate {
  /** Resolves when the first attempt runs; rejects if the job ends before any attempt ran. */
  readonly first: Promise<JobRunningInfo>;
  private resolveFirst!: (info: JobRunningInfo) => void;
  private rejectFirst!: (e: Error) => void;
  private waiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  private endError: Error | undefined;

  constructor(private readonly jobName: string) {
    this.first = new Promise<JobRunningInfo>((resolve, reject) => {
      this.resolveFirst = resolve;
      this.rejectFirst = reject;
    });
    this.first.catch(() => {}); // nobody awaiting `running` must not crash the process
  }

  /** An attempt runs (every subtask deployed and restored). */
  running(info: JobRunningInfo): void {
    this.resolveFirst(info);
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.resolve();
  }

  /** The job ended (finished, failed or cancelled); `cause` = why, for the `first` promise. */
  ended(cause: Error): void {
    if (this.endError) return;
    this.endError = new WeirError('WEIR_JOB_NOT_RUNNING', `job '${this.jobName}' ended before it ran again: ${cause.message}`, { cause: (cause as WeirError).code }, { cause });
    this.rejectFirst(cause);
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(this.endError);
  }

  /** Resolves at the next `running()`; rejects `WEIR_JOB_NOT_RUNNING` once the job ended. */
  next(): Promise<void> {
    if (this.endError) return Promise.reject(this.endError);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }
}
