/**
 * Jobs of the window and side-output tests (test/windows.test.ts, test/window-recovery.test.ts).
 * Defined at top level (workers import this module); inputs arrive as params. The window input
 * is a non-parallel array source whose timestamp assigner emits a watermark after every record
 * (intervalMs 0), so each window subtask sees records and watermarks in one defined order, the
 * order test/support/window-reference.ts replays.
 */
import fs from 'node:fs';
import { claim } from './fault-jobs.ts';
import {
  defineJob, OutputTag, TumblingEventTimeWindows, SlidingEventTimeWindows, EventTimeSessionWindows, ContinuousEventTimeTrigger,
  PurgingTrigger, CountTrigger, type SingleOutputStream, type WindowAggregateFunction, type ProcessWindowFunction, type TimeWindow,
} from '../../index.ts';

export interface Ev { k: string; ts: number; v: number }
export interface KV { k: string; v: number }
export interface CountSum { count: number; sum: number }
export interface Stamped { r: unknown; ts: number | null }

export type WindowCase =
  | 'tumbling-reduce' | 'tumbling-offset-aggregate' | 'sliding-lateness' | 'session-process' | 'dynamic-session'
  | 'continuous' | 'purging-count' | 'count' | 'count-sliding' | 'window-all' | 'process-window-state';

export interface WindowJobParams { case: WindowCase; events: Ev[]; ooo: number }

export const LATE = new OutputTag<Ev>('late');
/** Where the 'process-window-state' case's clear() reports each cleaned-up window. */
export const CLEARED = new OutputTag<{ k: string; start: number; firings: number }>('cleared');

export const countSum: WindowAggregateFunction<{ v: number }, CountSum, CountSum> = {
  createAccumulator: () => ({ count: 0, sum: 0 }),
  add: (e, acc) => ({ count: acc.count + 1, sum: acc.sum + e.v }),
  getResult: (acc) => acc,
  merge: (a, b) => ({ count: a.count + b.count, sum: a.sum + b.sum }),
};

/** Adds the key and window to a pre-aggregated result. */
export const withWindow: ProcessWindowFunction<CountSum, unknown, string, TimeWindow> = {
  process(key, ctx, [res], out) {
    out.collect({ k: key, start: ctx.window.start, end: ctx.window.end, ...res });
  },
};

const sumKV = (a: KV, b: KV): KV => ({ k: a.k, v: a.v + b.v });

/** The window stage of each case (the reference in windows.test.ts mirrors each one). */
function windowStage(p: WindowJobParams, input: SingleOutputStream<Ev>): SingleOutputStream<any> {
  const keyed = input.keyBy((e) => e.k);
  // Chained to the non-parallel source (parallelism 1), so the window subtasks see the source's order.
  const kv = () => input.map((e): KV => ({ k: e.k, v: e.v })).setParallelism(1).keyBy((e) => e.k);
  switch (p.case) {
    case 'tumbling-reduce': return kv().window(TumblingEventTimeWindows.of(10)).reduce(sumKV);
    case 'tumbling-offset-aggregate': return keyed.window(TumblingEventTimeWindows.of(10, 3)).aggregate(countSum, withWindow);
    case 'sliding-lateness': return keyed.window(SlidingEventTimeWindows.of(20, 5)).allowedLateness(15).sideOutputLateData(LATE).aggregate(countSum, withWindow);
    case 'session-process':
      return keyed.window(EventTimeSessionWindows.withGap(7)).allowedLateness(5).sideOutputLateData(LATE).process<unknown>({
        process(key, ctx, elements, out) {
          out.collect({ k: key, start: ctx.window.start, end: ctx.window.end, vs: elements.map((e) => e.v).sort((a, b) => a - b) });
        },
      });
    case 'dynamic-session': return keyed.window(EventTimeSessionWindows.withDynamicGap<Ev>((e) => (e.v % 2 === 0 ? 4 : 9))).aggregate(countSum, withWindow);
    case 'continuous':
      return keyed.window(TumblingEventTimeWindows.of(30)).trigger(ContinuousEventTimeTrigger.of(10)).aggregate(countSum, withWindow);
    case 'purging-count':
      return keyed.window(TumblingEventTimeWindows.of(20)).trigger(PurgingTrigger.of(CountTrigger.of(2))).process<unknown>({
        process(key, ctx, elements, out) {
          out.collect({ k: key, start: ctx.window.start, vs: elements.map((e) => e.v) });
        },
      });
    case 'count': return kv().countWindow(3).reduce(sumKV);
    case 'count-sliding':
      return keyed.countWindow(4, 2).aggregate(countSum, {
        process(key, _ctx, [res], out) { out.collect({ k: key, ...res }); },
      });
    case 'process-window-state':
      // Numbers each firing of a window in per-window state (late records re-fire it); clear() reports the window.
      return keyed.window(TumblingEventTimeWindows.of(10)).allowedLateness(20).process<unknown>({
        process(key, ctx, elements, out) {
          const firings = ctx.windowState().getState<number>('firings');
          const n = (firings.value() ?? 0) + 1;
          firings.update(n);
          ctx.windowState().getState<string>('key').update(key);
          out.collect({ k: key, start: ctx.window.start, n: elements.length, firing: n });
        },
        clear(ctx) {
          const k = ctx.windowState().getState<string>('key').value()!;
          ctx.output(CLEARED, { k, start: ctx.window.start, firings: ctx.windowState().getState<number>('firings').value() ?? 0 });
        },
      });
    case 'window-all':
      return input.windowAll(SlidingEventTimeWindows.of(20, 10)).allowedLateness(5).sideOutputLateData(LATE).process<unknown>({
        process(ctx, elements, out) {
          out.collect({ start: ctx.window.start, end: ctx.window.end, n: elements.length, sum: elements.reduce((s, e) => s + e.v, 0) });
        },
      });
  }
}

/** array → timestamps (watermark after every record) → window case → stamp (result + its timestamp) → collect('out'); late data → collect('late'). */
/**
 * Several window cases in one job (they share the job's start-up), each its own pipeline:
 * collects `out:<case>`, `late:<case>` and `cleared:<case>`.
 */
export const windowJob = defineJob('t-windows', (env, p: { cases: Array<Omit<WindowJobParams, 'ooo'>>; ooo: number }) => {
  for (const c of p.cases) {
    const input = env.fromArray(c.events).assignTimestampsAndWatermarks({ timestamp: (e) => e.ts, maxOutOfOrdernessMs: p.ooo, intervalMs: 0 });
    const windows = windowStage({ ...c, ooo: p.ooo }, input).uid(`window-${c.case}`);
    windows.process<Stamped>({
      processElement(r, ctx, out) { out.collect({ r, ts: ctx.timestamp() ?? null }); },
    }).collect(`out:${c.case}`);
    windows.getSideOutput(LATE).collect(`late:${c.case}`);
    windows.getSideOutput(CLEARED).collect(`cleared:${c.case}`);
  }
});

// ---- side outputs ----

export const SMALL = new OutputTag<number>('small');
export const ODD = new OutputTag<string>('odd');

/**
 * One process function (non-keyed) emits to two tags and the main output; a keyed process
 * function emits to a tag too; a map's side output (it has none) is empty; a tag with the same
 * id as another tag object is the same side output.
 */
export const sideOutputJob = defineJob('t-side-outputs', (env, p: { n: number }) => {
  const split = env.fromSequence(0, p.n - 1).process<number>({
    processElement(x, ctx, out) {
      if (x < 10) ctx.output(SMALL, x);
      if (x % 2 === 1) ctx.output(ODD, `odd:${x}`);
      out.collect(x * 10);
    },
  }).uid('split');
  split.collect('main');
  split.getSideOutput(SMALL).collect('small');
  split.getSideOutput(new OutputTag<string>('odd')).map((s) => s.toUpperCase()).collect('odd');
  const keyed = split.keyBy((x) => x % 3).process<number>({
    processElement(x, ctx, out) {
      if (x % 7 === 0) ctx.output(SMALL, x);
      else out.collect(x);
    },
  }).uid('keyed');
  keyed.getSideOutput(SMALL).collect('keyed-side');
  keyed.map((x) => x + 1).getSideOutput(SMALL).collect('none');
});

// ---- recovery ----

export interface WindowRecoveryParams { events: Ev[]; ooo: number; ratePerSecond: number; parallelism: number; failMarker: string }

/**
 * A paced, non-parallel generator over `events` → timestamps (a watermark after every record) →
 * keyBy → sliding event-time windows (20/5) with allowed lateness 15 and a late side output,
 * aggregated in the window (where a failure is injected: while `failMarker` exists, the next
 * `add` claims it and throws) → stamp → collect('out'); late data → collect('late').
 */
export const windowRecoveryJob = defineJob('t-window-recovery', (env, p: WindowRecoveryParams) => {
  const failing: WindowAggregateFunction<Ev, CountSum, CountSum> = {
    ...countSum,
    add(e, acc) {
      if (fs.existsSync(p.failMarker) && claim(p.failMarker)) throw new Error(`injected failure in the window on ${JSON.stringify(e)}`);
      return countSum.add(e, acc);
    },
  };
  const windows = env.fromGenerator((i) => p.events[i]!, { count: p.events.length, ratePerSecond: p.ratePerSecond }).setParallelism(1).uid('events')
    .assignTimestampsAndWatermarks({ timestamp: (e) => e.ts, maxOutOfOrdernessMs: p.ooo, intervalMs: 0 })
    .keyBy((e) => e.k)
    .window(SlidingEventTimeWindows.of(20, 5)).allowedLateness(15).sideOutputLateData(LATE)
    .aggregate(failing, withWindow).setParallelism(p.parallelism).uid('windows');
  windows.process<Stamped>({
    processElement(r, ctx, out) { out.collect({ r, ts: ctx.timestamp() ?? null }); },
  }).setParallelism(p.parallelism).uid('stamp').collect('out');
  windows.getSideOutput(LATE).collect('late');
});

// ---- failures ----

/** A window job that fails: `what` = 'reduce' (the reduce function throws on v = 7), 'no-timestamps' (event-time windows without timestamps), 'async' (an aggregate returns a Promise). */
export const failingWindowJob = defineJob('t-window-failures', (env, p: { what: 'reduce' | 'no-timestamps' | 'async' | 'trigger-throws' | 'trigger-result' }) => {
  const src = env.fromArray(Array.from({ length: 20 }, (_, i): Ev => ({ k: `k${i % 2}`, ts: i, v: i })));
  const input = p.what === 'no-timestamps' ? src : src.assignTimestampsAndWatermarks({ timestamp: (e) => e.ts });
  let windowed = input.keyBy((e) => e.k).window(TumblingEventTimeWindows.of(5));
  if (p.what === 'trigger-throws' || p.what === 'trigger-result') {
    // A JavaScript user's trigger: throws on v = 7, or answers 'fire' (not a TriggerResult).
    const what = p.what;
    windowed = windowed.trigger({
      onElement: (e: Ev) => { if (what === 'trigger-throws' && e.v === 7) throw new Error('trigger failed on 7'); return (what === 'trigger-result' ? 'fire' : 'CONTINUE') as never; },
      onEventTime: () => 'FIRE', onProcessingTime: () => 'CONTINUE', clear: () => {}, toString: () => 'MyTrigger',
    });
  }
  const out = p.what === 'async'
    ? windowed.aggregate({ createAccumulator: () => 0, add: (_e, a: number) => Promise.resolve(a) as unknown as number, getResult: (a) => a })
    : windowed.reduce((a, b) => {
      if (p.what === 'reduce' && b.v === 7) throw new Error('reduce failed on 7');
      return { ...a, v: a.v + b.v };
    });
  out.uid('failing-window').name('FailingWindow').collect('out');
});

/** Session-window misuses every restart would meet again: per-window state, or a dynamic gap of 0. */
export const sessionMisuseJob = defineJob('t-session-misuse', (env, p: { what: 'window-state' | 'zero-gap' }) => {
  const input = env.fromArray(Array.from({ length: 10 }, (_, i): Ev => ({ k: 'k', ts: i, v: i }))).assignTimestampsAndWatermarks({ timestamp: (e) => e.ts });
  const sessions = p.what === 'zero-gap' ? EventTimeSessionWindows.withDynamicGap<Ev>((e) => (e.v === 5 ? 0 : 3)) : EventTimeSessionWindows.withGap(3);
  input.keyBy((e) => e.k).window(sessions).process<number>({
    process(_k, ctx, elements, out) {
      if (p.what === 'window-state') ctx.windowState().getState<number>('n').update(1);
      out.collect(elements.length);
    },
  }).name('Sessions').collect('out');
});
