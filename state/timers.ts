/**
 * Keyed timers (Flink's `TimerService` + `InternalTimerService`).
 *
 * Timers are stored in the keyed-state backend, per key group, so they are snapshotted,
 * restored and rescaled with the state. A timer is identified by (key, timestamp, domain):
 * registering it twice keeps one. Firing removes the timer, makes its key the backend's
 * current key and calls `onTimer(ts, key)`; timers registered by `onTimer` that are already
 * due fire in the same call. Firing runs inside `backend.batch()`.
 */

/** Event time or processing time. */
export type TimeDomain = 'event' | 'processing';

/** Initial watermark before any was advanced (Flink: Long.MIN_VALUE). */
export const NO_WATERMARK = Number.NEGATIVE_INFINITY;

/** The timer API the runtime (and user functions through it) use. */
export interface TimerService {
  /** The backend clock's now. */
  currentProcessingTime(): number;
  /** The last watermark passed to {@link advanceWatermark} ({@link NO_WATERMARK} before). */
  currentWatermark(): number;
  /** For the current key; dedup per (key, timestamp, domain). */
  registerProcessingTimeTimer(ts: number): void;
  registerEventTimeTimer(ts: number): void;
  /** Deleting a timer that does not exist is a no-op. */
  deleteProcessingTimeTimer(ts: number): void;
  deleteEventTimeTimer(ts: number): void;
  /** Fire every event-time timer <= watermark in timestamp order; onTimer is called with the key set as current key. Returns the count. */
  advanceWatermark(watermark: number, onTimer: (ts: number, key: unknown) => void): number;
  /** Fire due processing-time timers (ts <= now) in timestamp order (overdue timers after restore fire on the first call). */
  fireProcessingTimers(now: number, onTimer: (ts: number, key: unknown) => void): number;
  /** Timestamp of the earliest processing-time timer, so the runtime can schedule a wake-up. */
  nextProcessingTimer(): number | undefined;
  /** Timestamp of the earliest event-time timer. */
  nextEventTimeTimer(): number | undefined;
  /** Number of registered timers (both domains). */
  size(): number;
}
