/**
 * When a periodic checkpoint is due (Flink's periodic trigger with `maxConcurrentCheckpoints` and
 * `minPauseBetweenCheckpoints`): a pure decision, so the rules are testable without a coordinator.
 */

export interface PeriodicTickInput {
  /** When this tick was scheduled for. */
  readonly at: number;
  readonly now: number;
  readonly intervalMs: number;
  readonly minPauseMs: number;
  readonly maxConcurrent: number;
  /** Checkpoints in progress. */
  readonly pending: number;
  /** When the last checkpoint ended (completed or failed), -Infinity if none did. */
  readonly lastEnd: number;
}

export type PeriodicTickDecision =
  /** Checkpoints in progress (max concurrent reached, or any while a min pause is set): try again an interval later. */
  | { readonly action: 'skip'; readonly nextAt: number }
  /** Too soon after the last checkpoint ended: try again when the min pause is over. */
  | { readonly action: 'postpone'; readonly nextAt: number }
  /** Trigger now; the next tick is an interval from now. */
  | { readonly action: 'trigger'; readonly nextAt: number };

export function decidePeriodicTick(t: PeriodicTickInput): PeriodicTickDecision {
  const busy = t.pending >= t.maxConcurrent || (t.minPauseMs > 0 && t.pending > 0);
  if (busy) return { action: 'skip', nextAt: t.at + t.intervalMs };
  const earliest = t.lastEnd + t.minPauseMs;
  if (t.now < earliest) return { action: 'postpone', nextAt: earliest };
  return { action: 'trigger', nextAt: t.now + t.intervalMs };
}
