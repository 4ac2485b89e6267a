/**
 * Time on the task loop: whatever fires at a wall-clock time on a subtask runs as a mail
 * (mailbox.ts), never from a bare `setTimeout` callback in the middle of the loop's work.
 *   - {@link mailboxScheduler}: a {@link Scheduler} whose callbacks are mails (the barrier
 *     handler's aligned-checkpoint timeout);
 *   - {@link ProcessingTimeTimers}: the chain's processing-time callbacks (keyed processing-time
 *     timers, periodic watermarks — Flink's `ProcessingTimeService`). Operators return the next
 *     time they need from `onProcessingTime`, and ask for an earlier one through
 *     `OperatorContext.requestProcessingTime` (e.g. when a record registers a timer).
 */
import { systemClock, type Clock } from '../../common/clock.ts';
import { RealScheduler, type Cancel, type Scheduler } from '../checkpoint/scheduler.ts';
import type { TaskMailbox } from './mailbox.ts';

/** What a task is built from besides its actor context and args (tests inject their own). */
export interface TaskServices {
  readonly clock: Clock;
  /** Wall-clock callbacks (run as mails). */
  readonly scheduler: Scheduler;
}

export const realTaskServices = (): TaskServices => ({ clock: systemClock, scheduler: new RealScheduler({ unref: true }) });

/** `inner`'s timers, with each callback run as a mail of `mailbox` (a cancel before it ran still holds). */
export function mailboxScheduler(inner: Scheduler, mailbox: TaskMailbox, description: string): Scheduler {
  return {
    schedule(atMs: number, fn: () => void): Cancel {
      let cancelled = false;
      const cancelTimer = inner.schedule(atMs, () => {
        if (cancelled) return;
        mailbox.submit(description, () => {
          if (!cancelled) fn();
        }).catch(() => {}); // the task ended first: nothing to time out any more
      });
      return () => {
        cancelled = true;
        cancelTimer();
      };
    },
  };
}

export class ProcessingTimeTimers {
  private armedAt: number | undefined;
  private cancelArmed: Cancel | undefined;
  private closed = false;

  /** `fire(now)` runs the chain's due callbacks and returns the next time any needs, if one does. */
  constructor(
    private readonly scheduler: Scheduler,
    private readonly clock: Clock,
    private readonly mailbox: TaskMailbox,
    private readonly fire: (now: number) => number | undefined,
    /** A callback threw (an operator's onProcessingTime, a user onTimer): the task fails with it. */
    private readonly onFailure: (error: unknown) => void,
  ) {}

  /**
   * Fire what is due and arm the next (on the task loop: a mail or the loop itself). Due means
   * before the current millisecond, as Flink's processing-time service (its +1 ms delay): a
   * callback for time t runs once the clock passed t, so a record arriving during millisecond t
   * still belongs to a window whose last millisecond is t. Firing at t itself fired such windows
   * twice — once early, once more for the record (a helper's review: 20–74 split windows a run).
   */
  fireDue(): void {
    this.disarm();
    const next = this.fire(this.clock.now() - 1);
    if (next !== undefined) this.requestAt(next);
  }

  /** Call the chain back once the clock passed `atMs` (or earlier, if something else is armed earlier). */
  requestAt(atMs: number): void {
    if (this.closed || (this.armedAt !== undefined && this.armedAt <= atMs)) return;
    this.disarm();
    this.armedAt = atMs;
    this.cancelArmed = this.scheduler.schedule(atMs + 1, () => {
      this.armedAt = undefined;
      this.cancelArmed = undefined;
      this.mailbox.submit('processing-time timers', () => this.fireDue()).catch((e: unknown) => {
        // A closed mailbox (the task ended first) needs nothing; a throwing callback fails the task.
        if (!this.mailbox.isClosed) this.onFailure(e);
      });
    });
  }

  /** The time armed, if any (tests, metrics). */
  get nextAt(): number | undefined {
    return this.armedAt;
  }

  close(): void {
    this.closed = true;
    this.disarm();
  }

  private disarm(): void {
    this.cancelArmed?.();
    this.cancelArmed = undefined;
    this.armedAt = undefined;
  }
}
