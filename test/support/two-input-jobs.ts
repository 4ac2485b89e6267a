/**
 * Jobs of the two-input tests (test/two-inputs.test.ts). Every worker imports this module, so the
 * jobs are defined at top level; inputs arrive as params.
 */
import {
  defineJob, MapStateDescriptor, OutputTag, ValueStateDescriptor, type KeyedCoProcessFunction, type MapState, type ValueState,
} from '../../index.ts';
import { spin } from './checkpoint-jobs.ts';
import { jitteredTime, type Control, type Datum, type Emitted, type Ev } from './join-reference.ts';

export interface CoParams { nums: number[]; more: number[]; words: string[] }

/**
 * Non-keyed connect: input 1 is a union of two sources, input 2 a third; a map chained after the
 * two-input operator tags each result with the input it came from.
 */
export const coProcessJob = defineJob('t-co-process', (env, p: CoParams) => {
  const numbers = env.fromArray(p.nums).union(env.fromArray(p.more));
  numbers.connect(env.fromArray(p.words))
    .process<{ side: number; v: number | string }>({
      processElement1(n, _ctx, out) { out.collect({ side: 1, v: n * 2 }); },
      processElement2(w, _ctx, out) { out.collect({ side: 2, v: w.toUpperCase() }); },
    }).uid('co')
    .map((r) => `${r.side}:${r.v}`)
    .collect('out');
});

const ODD = new OutputTag<{ odd: number }>('odd');

/**
 * A side output connected to its producer's main output (keyed by the pair's number): odd numbers
 * leave on the side output, even ones on the main one; the keyed co-process pairs n with n + 1.
 */
export const sideOutputConnectJob = defineJob('t-side-output-connect', (env, p: { n: number }) => {
  const routed = env.fromSequence(1, p.n).process<{ even: number }>({
    processElement(n, ctx, out) {
      if (n % 2 === 0) out.collect({ even: n });
      else ctx.output(ODD, { odd: n });
    },
  }).uid('route');
  routed.getSideOutput(ODD).connect(routed)
    .keyBy((o) => o.odd + 1, (e) => e.even)
    .process<string>({
      processElement1(o, _ctx, out) { out.collect(`odd ${o.odd}`); },
      processElement2(e, _ctx, out) { out.collect(`even ${e.even}`); },
    }).uid('pair')
    .collect('out');
});

export interface ControlParams { controls: Control[]; data: Datum[]; bound: number }

/**
 * Flink's classic control stream, in event time so that the result is exact: controls (input 1)
 * enable or disable a key, data (input 2) of an enabled key pass. Both buffer in shared keyed
 * state until the watermark reaches their time; the event-time timer then applies the control
 * first and emits the key's data if the key is enabled.
 */
function controlFunction(): KeyedCoProcessFunction<string, Control, Datum, Emitted> {
  let controls!: MapState<number, boolean>;
  let pending!: MapState<number, number[]>;
  let enabled!: ValueState<boolean>;
  return {
    open(ctx) {
      controls = ctx.getMapState(new MapStateDescriptor<number, boolean>('controls'));
      pending = ctx.getMapState(new MapStateDescriptor<number, number[]>('pending'));
      enabled = ctx.getState(new ValueStateDescriptor<boolean>('enabled'));
    },
    processElement1(c, ctx) {
      controls.put(c.t, c.enabled);
      ctx.timerService().registerEventTimeTimer(c.t);
    },
    processElement2(d, ctx) {
      pending.put(d.t, [...(pending.get(d.t) ?? []), d.value]);
      ctx.timerService().registerEventTimeTimer(d.t);
    },
    onTimer(t, ctx, out) {
      if (ctx.timeDomain() !== 'event-time' || ctx.timestamp() !== t) throw new Error(`unexpected timer context at ${t}`);
      const c = controls.get(t);
      if (c !== undefined) {
        enabled.update(c);
        controls.remove(t);
      }
      const values = pending.get(t);
      if (values) {
        if (enabled.value()) for (const value of values) out.collect({ key: ctx.getCurrentKey(), t, value });
        pending.remove(t);
      }
    },
  };
}

export const controlJob = defineJob('t-control-stream', (env, p: ControlParams) => {
  const controls = env.fromArray(p.controls).assignTimestampsAndWatermarks({ timestamp: (c) => c.t, maxOutOfOrdernessMs: p.bound, intervalMs: 1 });
  const data = env.fromArray(p.data).assignTimestampsAndWatermarks({ timestamp: (d) => d.t, maxOutOfOrdernessMs: p.bound, intervalMs: 1 });
  controls.connect(data)
    .keyBy((c) => c.key, (d) => d.user)
    .process(controlFunction()).uid('control')
    .collect('out');
});

export interface JoinParams {
  left: Ev[];
  right: Ev[];
  lower: number;
  upper: number;
  lowerExclusive: boolean;
  upperExclusive: boolean;
  bound: number;
}

/** left (keyed) interval-join right (keyed), both out of order within `bound`. */
export const intervalJoinJob = defineJob('t-interval-join', (env, p: JoinParams) => {
  const left = env.fromArray(p.left).assignTimestampsAndWatermarks({ timestamp: (e) => e.t, maxOutOfOrdernessMs: p.bound, intervalMs: 1 });
  const right = env.fromArray(p.right).assignTimestampsAndWatermarks({ timestamp: (e) => e.t, maxOutOfOrdernessMs: p.bound, intervalMs: 1 });
  let joined = left.keyBy((e) => e.key).intervalJoin(right.keyBy((e) => e.key)).between(p.lower, p.upper);
  if (p.lowerExclusive) joined = joined.lowerBoundExclusive();
  if (p.upperExclusive) joined = joined.upperBoundExclusive();
  joined.process<string>({
    processElement(l, r, ctx, out) {
      if (ctx.leftTimestamp() !== l.t || ctx.rightTimestamp() !== r.t) throw new Error('wrong timestamps in the join context');
      out.collect(`${l.id}:${r.id}@${ctx.timestamp()}`);
    },
  }).uid('join')
    .collect('out');
});

/** Left event i of the join fault jobs (join-fault-jobs.ts; right events: the same with an offset id and time). */
export function recoveryEvent(i: number, keys: number, bound: number, side: 'left' | 'right'): Ev {
  return side === 'left'
    ? { id: i, key: `k${i % keys}`, t: jitteredTime(i, 2, bound) }
    : { id: 1_000_000 + i, key: `k${(i * 7) % keys}`, t: jitteredTime(i, 2, bound) + 3 };
}

/** An interval join whose right input has no timestamp assigner: rejected when the graph is built. */
export const noTimestampsJoinJob = defineJob('t-interval-join-no-timestamps', (env) => {
  const left = env.fromArray<Ev>([]).assignTimestampsAndWatermarks({ timestamp: (e) => e.t });
  left.keyBy((e) => e.key).intervalJoin(env.fromArray<Ev>([]).keyBy((e) => e.key)).between(0, 1)
    .process<string>({ processElement(l, r, _ctx, out) { out.collect(`${l.id}:${r.id}`); } })
    .collect('out');
});

export interface RescaleJoinParams { count: number; keys: number; bound: number; lower: number; upper: number; spinMicros: number }
export interface Owned { id: number; owner: string; t: number }

/** Left event i of the rescale job (keyed by `key`) and right event i (keyed by another field, `owner`). */
export function rescaleEvents(i: number, p: RescaleJoinParams): { left: Ev; right: Owned } {
  return {
    left: { id: i, key: `k${i % p.keys}`, t: jitteredTime(i, 2, p.bound) },
    right: { id: 1_000_000 + i, owner: `k${(i * 7) % p.keys}`, t: jitteredTime(i + 5, 2, p.bound) - 7 },
  };
}

/**
 * Non-parallel generators → timestamps → keyBy (a different key selector per input) → a slow
 * interval join (backpressure: unaligned checkpoints persist in-flight data on both keyed edges)
 * → collect. Only the join is rescaled on restore.
 */
export const rescaleJoinJob = defineJob('t-interval-join-rescale', (env, p: RescaleJoinParams) => {
  const left = env.fromGenerator((i) => rescaleEvents(i, p).left, { count: p.count }).setParallelism(1).uid('left-events')
    .assignTimestampsAndWatermarks({ timestamp: (e) => e.t, maxOutOfOrdernessMs: p.bound, intervalMs: 5 });
  const right = env.fromGenerator((i) => rescaleEvents(i, p).right, { count: p.count }).setParallelism(1).uid('right-events')
    .assignTimestampsAndWatermarks({ timestamp: (e) => e.t, maxOutOfOrdernessMs: p.bound, intervalMs: 5 });
  left.keyBy((e) => e.key)
    .intervalJoin(right.keyBy((e) => e.owner))
    .between(p.lower, p.upper)
    .process<string>({
      processElement(l, r, ctx, out) {
        spin(p.spinMicros);
        out.collect(`${l.id}:${r.id}@${ctx.timestamp()}`);
      },
    }).uid('join')
    .collect('out');
});
