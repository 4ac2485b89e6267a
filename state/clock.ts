/**
 * Injected time for the state layer (TTL, processing-time timers).
 *
 * Everything in `state/` that needs "now" takes a {@link Clock} so tests can drive
 * time deterministically with a {@link ManualClock}; production code uses {@link systemClock}.
 */

/** A source of the current time in milliseconds. */
export interface Clock {
  now(): number;
}

/** Wall-clock time (`Date.now()`). */
export const systemClock: Clock = Object.freeze({ now: () => Date.now() });

/** A clock that only moves when told to (tests). */
export class ManualClock implements Clock {
  private current: number;

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  /** Sets the time; may move backwards (tests of odd clocks). */
  set(ms: number): void {
    this.current = ms;
  }

  /** Moves the time forward by `ms` and returns the new time. */
  advance(ms: number): number {
    this.current += ms;
    return this.current;
  }
}
