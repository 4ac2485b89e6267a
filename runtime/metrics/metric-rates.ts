/**
 * Per-second rates of a subtask between two samples of its metrics (Flink's meters and
 * `*TimeMsPerSecond` gauges, computed from cumulative counters instead of per-record timers).
 * Pure: the sampler (metrics-sampler.ts) chooses the samples.
 *
 * - numRecordsIn/OutPerSecond: counter delta over the wall time between the samples. A counter
 *   that went down belongs to a new attempt (a failover restarted the subtask from 0): its
 *   current value is the delta.
 * - busy / idle / backPressuredTimeMsPerSecond: each time's delta over the subtask's own elapsed
 *   time in the window (the sum of the three deltas), × 1000 — so they always add up to 1000.
 */
import type { TaskMetrics } from '../task/task-metrics.ts';

export interface SubtaskRates {
  numRecordsInPerSecond: number;
  numRecordsOutPerSecond: number;
  busyTimeMsPerSecond: number;
  idleTimeMsPerSecond: number;
  backPressuredTimeMsPerSecond: number;
}

export const ZERO_RATES: SubtaskRates = Object.freeze({
  numRecordsInPerSecond: 0, numRecordsOutPerSecond: 0, busyTimeMsPerSecond: 0, idleTimeMsPerSecond: 0, backPressuredTimeMsPerSecond: 0,
});

type Counters = Pick<TaskMetrics, 'recordsIn' | 'recordsOut' | 'busyMs' | 'idleMs' | 'backPressuredMs'>;

const delta = (older: number, newer: number): number => (newer >= older ? newer - older : newer);

/** Rates of one subtask between `older` and `newer`, taken `elapsedMs` apart (wall time). */
export function ratesBetween(older: Counters, newer: Counters, elapsedMs: number): SubtaskRates {
  if (!(elapsedMs > 0)) return { ...ZERO_RATES };
  const reset = newer.busyMs + newer.idleMs + newer.backPressuredMs < older.busyMs + older.idleMs + older.backPressuredMs;
  const from = reset ? { recordsIn: 0, recordsOut: 0, busyMs: 0, idleMs: 0, backPressuredMs: 0 } : older;
  const busy = delta(from.busyMs, newer.busyMs);
  const idle = delta(from.idleMs, newer.idleMs);
  const bp = delta(from.backPressuredMs, newer.backPressuredMs);
  const total = busy + idle + bp;
  const perSecond = (ms: number) => (total > 0 ? Math.min(1000, Math.max(0, (ms / total) * 1000)) : 0);
  return {
    numRecordsInPerSecond: (delta(from.recordsIn, newer.recordsIn) * 1000) / elapsedMs,
    numRecordsOutPerSecond: (delta(from.recordsOut, newer.recordsOut) * 1000) / elapsedMs,
    busyTimeMsPerSecond: perSecond(busy),
    idleTimeMsPerSecond: perSecond(idle),
    backPressuredTimeMsPerSecond: perSecond(bp),
  };
}

/** Flink's back-pressure level of a subtask from its back-pressured time per second: ok ≤ 100, low ≤ 500, high above. */
export function backPressureLevel(backPressuredTimeMsPerSecond: number): 'ok' | 'low' | 'high' {
  return backPressuredTimeMsPerSecond > 500 ? 'high' : backPressuredTimeMsPerSecond > 100 ? 'low' : 'ok';
}
