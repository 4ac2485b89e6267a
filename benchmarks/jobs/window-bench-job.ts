/**
 * The window benchmark's workloads, each two ways: with the window API, and hand-written the way
 * a job had to be before it — `process()` with MapState and event-time timers. Same input (events
 * in event-time order, 1 ms apart, 100 keys: 10 events per key per second), same results; the benchmark checks the counts.
 *   tumbling: count per key per 1 s window;
 *   sliding:  average value per key per 1 s window sliding by 100 ms (size = 10 × slide).
 */
import {
  defineJob, MapStateDescriptor, SlidingEventTimeWindows, TumblingEventTimeWindows,
  type KeyedProcessFunction, type MapState, type WindowAggregateFunction,
} from '../../index.ts';

export interface Event { key: number; value: number; ts: number }
export type Workload = 'tumbling' | 'sliding';
export type Implementation = 'window-api' | 'hand-written';

export const KEYS = 100;
export const SIZE_MS = 1000;
export const SLIDE_MS = 100;

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

export const windowBenchJob = defineJob('bench-windows', (env, p: { records: number; workload: Workload; impl: Implementation }) => {
  const keyed = env.fromSequence(0, p.records - 1)
    .map(toEvent)
    .assignTimestampsAndWatermarks({ timestamp: (e) => e.ts, maxOutOfOrdernessMs: 0 })
    .keyBy((e) => e.key);
  const slide = p.workload === 'tumbling' ? SIZE_MS : SLIDE_MS;
  const out = p.impl === 'hand-written'
    ? keyed.process(handWritten(SIZE_MS, slide, p.workload === 'sliding'))
    : p.workload === 'tumbling'
      ? keyed.window(TumblingEventTimeWindows.of(SIZE_MS)).aggregate(count)
      : keyed.window(SlidingEventTimeWindows.of(SIZE_MS, SLIDE_MS)).aggregate(average);
  // The sink in its own vertex: the window vertex's recordsOut counts the results.
  out.uid('windows').name('Windows').rebalance().addSink(() => {});
});

/** Window results the job must emit for `records` events (the benchmark checks them). */
export function expectedResults(records: number, workload: Workload): number {
  const slide = workload === 'tumbling' ? SIZE_MS : SLIDE_MS;
  const seen = new Set<string>();
  for (let i = 0; i < records; i++) {
    const e = toEvent(i);
    const last = e.ts - (e.ts % slide);
    for (let start = last; start > e.ts - SIZE_MS; start -= slide) seen.add(`${e.key}:${start}`);
  }
  return seen.size;
}
