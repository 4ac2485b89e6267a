/**
 * A scheduler of callbacks at wall-clock times, for everything in the runtime that waits
 * (checkpoint coordinator: periodic triggers, timeouts, pauses; barrier handlers: aligned
 * timeouts). Not Flink's keyed `TimerService` (that is state/timers.ts: event- and
 * processing-time timers per key).
 *
 * Call order: a component reads `clock.now()` to decide, and asks
 * `scheduler.schedule(atMs, fn)` to be called back at an absolute time on the
 * same clock; the returned `Cancel` is idempotent. Production code uses
 * `systemClock` + {@link RealScheduler}; tests use {@link ManualScheduler}
 * (which owns a `ManualClock`, common/clock.ts) and move time by hand, so
 * timeouts, pauses and periodic triggers are deterministic.
 *
 * Manual callbacks fire in (atMs, scheduling order) order; while a timer fires,
 * the manual clock reads exactly that timer's `atMs`. Timers scheduled by a
 * firing callback for a time that is already due fire in the same advance.
 */
import { ManualClock, systemClock, type Clock } from '../../common/clock.ts';

/** Cancels a scheduled timer; calling it twice, or after the timer fired, is a no-op. */
export type Cancel = () => void;

/** Schedules callbacks at absolute times of a {@link Clock}. */
export interface Scheduler {
  /** Call `fn` once when the clock reaches `atMs` (immediately-ish if `atMs` is in the past). */
  schedule(atMs: number, fn: () => void): Cancel;
}

/** Node's `setTimeout` caps delays at 2^31-1 ms; longer waits are chained. */
const MAX_TIMEOUT_MS = 2_147_483_647;

/** A {@link Scheduler} on real `setTimeout`s, measured against a clock (default {@link systemClock}). */
export class RealScheduler implements Scheduler {
  private readonly clock: Clock;
  private readonly unref: boolean;

  /** `unref: true` lets the process exit while timers are pending. */
  constructor(opts: { clock?: Clock; unref?: boolean } = {}) {
    this.clock = opts.clock ?? systemClock;
    this.unref = opts.unref ?? false;
  }

  schedule(atMs: number, fn: () => void): Cancel {
    let handle: NodeJS.Timeout | undefined;
    let cancelled = false;
    const arm = (): void => {
      const delay = Math.max(0, atMs - this.clock.now());
      handle = setTimeout(() => {
        handle = undefined;
        if (cancelled) return;
        if (delay > MAX_TIMEOUT_MS) {
          arm(); // a chained long wait: not due yet
          return;
        }
        cancelled = true;
        fn();
      }, Math.min(delay, MAX_TIMEOUT_MS));
      if (this.unref) handle.unref();
    };
    arm();
    return () => {
      cancelled = true;
      if (handle !== undefined) clearTimeout(handle);
      handle = undefined;
    };
  }
}

interface ManualTimer {
  atMs: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * A deterministic scheduler for tests. Nothing fires until {@link advance} /
 * {@link advanceTo} / {@link runDue} is called.
 */
export class ManualScheduler implements Scheduler {
  readonly clock: ManualClock;
  private timers: ManualTimer[] = [];
  private seq = 0;

  constructor(clock: ManualClock = new ManualClock()) {
    this.clock = clock;
  }

  schedule(atMs: number, fn: () => void): Cancel {
    const timer: ManualTimer = { atMs, seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }

  /** Number of timers scheduled and neither fired nor cancelled. */
  get pendingCount(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /** Time of the earliest live timer, or undefined. */
  nextAt(): number | undefined {
    const next = this.earliest();
    return next?.atMs;
  }

  /** Move the clock forward by `ms`, firing every timer that becomes due, in order. */
  advance(ms: number): void {
    this.advanceTo(this.clock.now() + ms);
  }

  /** Move the clock to `targetMs`, firing every timer due on the way (clock = timer time while it fires). */
  advanceTo(targetMs: number): void {
    for (;;) {
      const next = this.earliest();
      if (!next || next.atMs > targetMs) break;
      this.fire(next);
    }
    this.clock.set(Math.max(this.clock.now(), targetMs));
  }

  /** Fire the timers due at the current time without moving the clock. */
  runDue(): void {
    this.advanceTo(this.clock.now());
  }

  private fire(timer: ManualTimer): void {
    timer.cancelled = true;
    this.timers = this.timers.filter((t) => !t.cancelled);
    if (timer.atMs > this.clock.now()) this.clock.set(timer.atMs);
    timer.fn();
  }

  private earliest(): ManualTimer | undefined {
    let best: ManualTimer | undefined;
    for (const t of this.timers) {
      if (t.cancelled) continue;
      if (!best || t.atMs < best.atMs || (t.atMs === best.atMs && t.seq < best.seq)) best = t;
    }
    return best;
  }
}
