/**
 * The windowed job of the rescaling tests (test/window-rescale.test.ts) and the inputs and
 * reference shared with test/window-recovery.test.ts.
 *
 * The job: a non-parallel generator over `events` → timestamps (a watermark after every record)
 * → keyBy → sliding event-time windows (20/5) with allowed lateness 15 and a late side output,
 * aggregated by a slow aggregate (it spins `spinMicros` per element and window: the windows'
 * keyed input queues up, so unaligned checkpoints persist in-flight data) → stamp →
 * collect('out'); late data → collect('late'). Only the window (and the stamp chained to it) is
 * rescaled, unless `sourceParallelism` makes the generator parallel too.
 */
import { defineJob, SlidingEventTimeWindows, type WindowAggregateFunction } from '../../index.ts';
import { countSum, LATE, withWindow, type CountSum, type Ev, type Stamped } from './window-jobs.ts';
import { spin } from './checkpoint-jobs.ts';
import { referenceWindows } from './window-reference.ts';
import { rng } from './random.ts';

export const OOO = 6;
export const SIZE = 20;
export const SLIDE = 5;
export const LATENESS = 15;

/** `sourceParallelism` (default 1): the generator's; > 1 makes the sources rescale too. */
export interface WindowRescaleParams { events: Ev[]; parallelism: number; spinMicros: number; sourceParallelism?: number }

export const windowRescaleJob = defineJob('t-window-rescale', (env, p: WindowRescaleParams) => {
  const slow: WindowAggregateFunction<Ev, CountSum, CountSum> = {
    ...countSum,
    add(e, acc) {
      spin(p.spinMicros);
      return countSum.add(e, acc);
    },
  };
  const windows = env.fromGenerator((i) => p.events[i]!, { count: p.events.length }).setParallelism(p.sourceParallelism ?? 1).uid('events')
    .assignTimestampsAndWatermarks({ timestamp: (e) => e.ts, maxOutOfOrdernessMs: OOO, intervalMs: 0 })
    .keyBy((e) => e.k)
    .window(SlidingEventTimeWindows.of(SIZE, SLIDE)).allowedLateness(LATENESS).sideOutputLateData(LATE)
    .aggregate(slow, withWindow).setParallelism(p.parallelism).uid('windows');
  windows.process<Stamped>({
    processElement(r, ctx, out) { out.collect({ r, ts: ctx.timestamp() ?? null }); },
  }).setParallelism(p.parallelism).uid('stamp').collect('out');
  windows.getSideOutput(LATE).collect('late');
});

/**
 * Out-of-order event time with ~6 % records far behind (late, or within the allowed lateness, so
 * windows fire late too): the exact output depends on where each watermark falls between the
 * records — what an aligned checkpoint or savepoint preserves.
 */
export function outOfOrderEvents(seed: number, n: number, keys = 7): Ev[] {
  const r = rng(seed);
  const out: Ev[] = [];
  let max = 0;
  for (let i = 0; i < n; i++) {
    let ts = Math.max(0, i * 2 + Math.floor((r() - 0.5) * 4 * OOO));
    if (r() < 0.06) ts = Math.max(0, max - OOO - 5 - Math.floor(r() * 50));
    max = Math.max(max, ts);
    out.push({ k: `k${Math.floor(r() * keys)}`, ts, v: Math.floor(r() * 10) });
  }
  return out;
}

/**
 * Event time rising with the sequence, except ~4 % records a second or more behind (late by far
 * more than the allowed lateness). The output does not depend on where the watermarks fall: no
 * window fires before all its records arrived, and a late record is late under any watermark a
 * subtask can have had within the last few hundred records. That is what restoring an unaligned
 * checkpoint at another parallelism needs — the watermarks inside re-routed in-flight data are
 * dropped, and the restored subtasks start from the smallest old watermark — for its output to be
 * exactly the sequential reference's.
 */
export function inOrderEvents(seed: number, n: number): Ev[] {
  const r = rng(seed);
  const out: Ev[] = [];
  for (let i = 0; i < n; i++) {
    const ts = i > 300 && r() < 0.04 ? Math.max(0, i * 2 - 1000 - Math.floor(r() * 500)) : i * 2;
    out.push({ k: `k${Math.floor(r() * 7)}`, ts, v: Math.floor(r() * 10) });
  }
  return out;
}

/** What the job must emit for `events` (results with their timestamps, and the late records), in one sequential pass. */
export function windowRescaleReference(events: Ev[]): { out: Stamped[]; late: Ev[] } {
  return referenceWindows(events, {
    ooo: OOO, key: (e: Ev) => e.k, ts: (e: Ev) => e.ts, assigner: { kind: 'sliding', size: SIZE, slide: SLIDE }, lateness: LATENESS,
    emit: (k, w, es) => [{ k, start: w.start, end: w.end, count: es.length, sum: es.reduce((s, e) => s + e.v, 0) }],
  });
}
