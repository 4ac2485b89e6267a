/**
 * The waits of a subtask's loop that something other than their own promise must end: a mail
 * (the mailbox rings), or the task's stop. Each wait registers its own waker and removes it once
 * settled, so nothing accumulates on a long-lived promise however often the loop waits — a race
 * against one "stopped" promise kept a reaction per wait until the task stopped (every time an
 * async I/O operator at capacity blocked the input).
 */
export class TaskWaits {
  /** Waits a mail or the stop ends. */
  private readonly onMailOrStop = new Set<() => void>();
  /** Waits only the stop ends. */
  private readonly onStop = new Set<() => void>();

  constructor(private readonly ended: () => boolean, private readonly hasMail: () => boolean) {}

  /** `p`, or undefined once a mail arrived or the task stopped (at once if either already happened). */
  async interruptible<T>(p: Promise<T>): Promise<T | undefined> {
    if (this.hasMail() || this.ended()) return undefined;
    return this.race(p, this.onMailOrStop);
  }

  /** `p`, or undefined once the task stopped (e.g. an operator's blocked input nothing else ends). */
  async untilStopped<T>(p: Promise<T>): Promise<T | undefined> {
    if (this.ended()) return undefined;
    return this.race(p, this.onStop);
  }

  /** A mail arrived. */
  mailArrived(): void {
    for (const w of this.onMailOrStop) w();
  }

  /** The task stopped: every wait ends. */
  stopped(): void {
    for (const w of this.onStop) w();
    this.mailArrived();
  }

  private async race<T>(p: Promise<T>, wakers: Set<() => void>): Promise<T | undefined> {
    let wake!: () => void;
    const woken = new Promise<undefined>((r) => (wake = () => r(undefined)));
    wakers.add(wake);
    try {
      return await Promise.race([p, woken]);
    } finally {
      wakers.delete(wake);
    }
  }
}
