/**
 * The window benchmark's workloads, each two ways: with the window API, and hand-written the way
 * a job had to be before it — `process()` with MapState and event-time timers. Same input (events
 * in event-time order, 1 ms apart, 100 keys: 10 events per key per second), same results; the benchmark checks the counts.
 *   tumbling: count per key per 1 s window;
 *   sliding:  average value per key per 1 s window sliding by 100 ms (size = 10 × slide);
 *   median:   median value per key per 10 s window — a process window function, so the window
 *             keeps all of its 100 elements per key (hand-written: the values in a ListState,
 *             split by window at each timer).
 */
import {
  defineJob, ListStateDescriptor, MapStateDescriptor, SlidingEventTimeWindows, TumblingEventTimeWindows,
  type KeyedProcessFunction, type ListState, type MapState, type WindowAggregateFunction,
} from '../../index.ts';

export interface Event { key: number; value: number; ts: number }
export type Workload = 'tumbling' | 'sliding' | 'median';
export type Implementation = 'window-api' | 'hand-written';

export const KEYS = 100;
export const SIZE_MS = 1000;
export const SLIDE_MS = 100;
export const MEDIAN_SIZE_MS = 10_000;

/** [window size, slide] of a workload. */
function shape(workload: Workload): [number, number] {
  if (workload === 'median') return [MEDIAN_SIZE_MS, MEDIAN_SIZE_MS];
  return [SIZE_MS, workload === 'tumbling' ? SIZE_MS : SLIDE_MS];
}

function median(values: number[]): number {
  values.sort((a, b) => a - b);
  const mid = values.length >> 1;
  return values.length % 2 === 1 ? values[mid]! : (values[mid - 1]! + values[mid]!) / 2;
}

const toEvent = (i: number): Event => ({ key: (i * 7919) % KEYS, value: i % 97, ts: i });

const count: WindowAggregateFunction<Event, number, number> = {
  createAccumulator: () => 0,
  add: (_e, acc) => acc + 1,
  getResult: (acc) => acc,
  merge: (a, b) => a + b,
};

const average: WindowAggregateFunction<Event, [number, number], number> = {
  createAccumulator: () => [0, 0],
  add: (e, acc) => [acc[0] + e.value, acc[1] + 1],
  getResult: (acc) => acc[0] / acc[1],
  merge: (a, b) => [a[0] + b[0], a[1] + b[1]],
};

/** Windows of `size` sliding by `slide` (tumbling: slide = size), by hand: accumulators in a MapState by window start, a timer per window end. */
function handWritten(size: number, slide: number, avg: boolean): KeyedProcessFunction<number, Event, number> {
  let acc!: MapState<number, [number, number]>;
  return {
    open(ctx) {
      acc = ctx.getMapState(new MapStateDescriptor<number, [number, number]>('windows'));
    },
    processElement(e, ctx) {
      const last = e.ts - (e.ts % slide);
      for (let start = last; start > e.ts - size; start -= slide) {
        const cur = acc.get(start) ?? [0, 0];
        acc.put(start, [cur[0] + e.value, cur[1] + 1]);
        ctx.timerService().registerEventTimeTimer(start + size - 1);
      }
    },
    onTimer(ts, _ctx, out) {
      const start = ts - size + 1;
      const a = acc.get(start);
      if (!a) return;
      acc.remove(start);
      out.collect(avg ? a[0] / a[1] : a[1]);
    },
  };
}

/** Tumbling windows of `size` by hand: every (window start, value) in a ListState, a timer per window end; a firing takes its window's values out. */
function handWrittenMedian(size: number): KeyedProcessFunction<number, Event, number> {
  let values!: ListState<[number, number]>;
  return {
    open(ctx) {
      values = ctx.getListState(new ListStateDescriptor<[number, number]>('values'));
    },
    processElement(e, ctx) {
      const start = e.ts - (e.ts % size);
      values.add([start, e.value]);
      ctx.timerService().registerEventTimeTimer(start + size - 1);
    },
    onTimer(ts, _ctx, out) {
      const start = ts - size + 1;
      const mine: number[] = [];
      const rest: Array<[number, number]> = [];
      for (const x of values.get()) {
        if (x[0] === start) mine.push(x[1]);
        else rest.push(x);
      }
      values.update(rest);
      if (mine.length > 0) out.collect(median(mine));
    },
  };
}

export const windowBenchJob = defineJob('bench-windows', (env, p: { records: number; workload: Workload; impl: Implementation }) => {
  const keyed = env.fromSequence(0, p.records - 1)
    .map(toEvent)
    .assignTimestampsAndWatermarks({ timestamp: (e) => e.ts, maxOutOfOrdernessMs: 0 })
    .keyBy((e) => e.key);
  const [size, slide] = shape(p.workload);
  const out = p.workload === 'median'
    ? (p.impl === 'hand-written'
      ? keyed.process(handWrittenMedian(size))
      : keyed.window(TumblingEventTimeWindows.of(size)).process<number>({ process: (_k, _ctx, events, out) => out.collect(median(events.map((e) => e.value))) }))
    : p.impl === 'hand-written'
      ? keyed.process(handWritten(size, slide, p.workload === 'sliding'))
      : p.workload === 'tumbling'
        ? keyed.window(TumblingEventTimeWindows.of(size)).aggregate(count)
        : keyed.window(SlidingEventTimeWindows.of(size, slide)).aggregate(average);
  // The sink in its own vertex: the window vertex's recordsOut counts the results.
  out.uid('windows').name('Windows').rebalance().addSink(() => {});
});

/** Window results the job must emit for `records` events (the benchmark checks them). */
export function expectedResults(records: number, workload: Workload): number {
  const [size, slide] = shape(workload);
  const seen = new Set<string>();
  for (let i = 0; i < records; i++) {
    const e = toEvent(i);
    const last = e.ts - (e.ts % slide);
    for (let start = last; start > e.ts - size; start -= slide) seen.add(`${e.key}:${start}`);
  }
  return seen.size;
}
