/**
 * The subtask's mailbox (Flink's `TaskMailbox` + `MailboxExecutor`): every action that is not
 * the processing of input — control calls from the job master (trigger, notify complete or
 * aborted, end input, savepoint preparation), processing-time timers — is submitted as a mail
 * and runs on the task loop, between two records, at the points the loop chooses: between two
 * input frames, between two slices of a frame, while output is blocked on a full ring, and
 * while the task is idle. Nothing else mutates task state, so an action never lands in the
 * middle of another at some unrelated `await`.
 *
 * Mails run in submission order. A mail must not await the task's output drain (the loop may
 * be running it inside a drain: it would wait for itself).
 *
 * Pure: no timers, no I/O. `wake` is how the loop learns of a mail while it waits (the task
 * rings its doorbell and interrupts its other waits, stream-task.ts `interruptible`).
 */
import { WeirError } from '../../common/weir-error.ts';
import { RuntimeErrorCode } from '../errors.ts';

interface QueuedMail {
  readonly description: string;
  readonly run: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

export class TaskMailbox {
  private queue: QueuedMail[] = [];
  private closedWith: Error | undefined;
  /** Mails run so far (for tests and metrics). */
  mailsRun = 0;

  /** `wake` is called after every submit (from whatever context submitted it). */
  constructor(private readonly wake: () => void = () => {}) {}

  /** Whether a mail waits (the hot-path check: a property read). */
  get hasMail(): boolean {
    return this.queue.length > 0;
  }

  get isClosed(): boolean {
    return this.closedWith !== undefined;
  }

  /**
   * Queue `action`; resolves with its result once the loop ran it, rejects with its error, or
   * with the reason the mailbox closed before it ran. Never throws.
   */
  submit<T>(description: string, action: () => T | Promise<T>): Promise<Awaited<T>> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    return new Promise<Awaited<T>>((resolve, reject) => {
      this.queue.push({ description, run: action, resolve: resolve as (v: unknown) => void, reject });
      this.wake();
    });
  }

  /**
   * Run the mails queued now, in order (mails they submit wait for the next call). A mail's
   * failure goes to its submitter; the loop goes on. Resolves with how many ran.
   */
  async runMails(): Promise<number> {
    const batch = this.queue;
    if (batch.length === 0) return 0;
    this.queue = [];
    for (const m of batch) {
      this.mailsRun++;
      try {
        m.resolve(await m.run());
      } catch (e) {
        m.reject(e);
      }
    }
    return batch.length;
  }

  /** Descriptions of the queued mails, oldest first (diagnostics). */
  pending(): string[] {
    return this.queue.map((m) => m.description);
  }

  /**
   * No more mails: queued ones are rejected with `reason` (default: the task has ended) and so
   * is every later submit. Idempotent.
   */
  close(reason?: Error): void {
    if (this.closedWith) return;
    this.closedWith = reason ?? new WeirError(RuntimeErrorCode.TASK_ENDED, 'the subtask has ended: its mailbox accepts no more actions');
    const dropped = this.queue;
    this.queue = [];
    for (const m of dropped) m.reject(this.closedWith);
  }
}
