/**
 * Injected time, for every layer that needs "now" (state TTL and processing-time timers,
 * checkpoint timeouts and triggers, restart back-off).
 *
 * Production code uses {@link systemClock}; tests drive time deterministically with a
 * {@link ManualClock} (alone, or owned by runtime/checkpoint/scheduler.ts's `ManualScheduler`).
 */

/** A source of the current time in milliseconds (epoch ms for the system clock). */
export interface Clock {
  now(): number;
}

/** Wall-clock time (`Date.now()`). */
export const systemClock: Clock = Object.freeze({ now: () => Date.now() });

/** A clock that only moves when told to (tests). */
export class ManualClock implements Clock {
  private current: number;

  constructor(startMs = 0) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  /** Sets the time; may move backwards (tests of odd clocks; a `ManualScheduler` never does). */
  set(ms: number): void {
    this.current = ms;
  }

  /** Moves the time forward by `ms` and returns the new time. */
  advance(ms: number): number {
    this.current += ms;
    return this.current;
  }
}
