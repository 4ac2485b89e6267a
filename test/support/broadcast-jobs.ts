/**
 * Jobs of the broadcast-state tests (test/broadcast-state.test.ts, test/broadcast-faults.test.ts).
 *
 * The keyed job is Flink's rules pattern in event time, so that its output is exact whatever
 * the interleaving of the two inputs: rules (a broadcast stream, one source, in time order)
 * carry a validity time; each subtask keeps every version of every rule in broadcast state.
 * Events are buffered in keyed state until the watermark — the minimum of both inputs — passes
 * their time, so when an event's timer fires every rule valid at its time has been seen, and the
 * event is judged by the rule version valid then. Every subtask also reports each rule it stores
 * (side output `seen`): exactly once per subtask and rule, also after failures.
 */
import {
  defineJob, MapStateDescriptor, OutputTag, type KeyedBroadcastProcessFunction, type MapState, type BroadcastProcessFunction,
} from '../../index.ts';
import { claim } from './fault-jobs.ts';
import { spin } from './checkpoint-jobs.ts';

export interface Rule { id: number; category: number; threshold: number; ts: number }
export interface Event { seq: number; user: number; category: number; amount: number; ts: number }

export const RULES = new MapStateDescriptor<number, Array<[number, number]>>('rules');
export const SEEN = new OutputTag<string>('seen');
/** Threshold of a category before its first rule. */
export const DEFAULT_THRESHOLD = 50;

export interface RuleJobShape { events: number; users: number; categories: number; ruleEvery: number }

export const eventAt = (i: number, s: RuleJobShape): Event => ({ seq: i, user: i % s.users, category: (i * 7) % s.categories, amount: (i * 37) % 100, ts: i });
export const ruleAt = (j: number, s: RuleJobShape): Rule => ({ id: j, category: j % s.categories, threshold: (j * 53 + 11) % 100, ts: j * s.ruleEvery });
export const ruleCount = (s: RuleJobShape): number => Math.ceil(s.events / s.ruleEvery);

/** What the keyed job emits for each event, computed sequentially. */
export function rulesReference(s: RuleJobShape): string[] {
  const rules = Array.from({ length: ruleCount(s) }, (_, j) => ruleAt(j, s));
  const out: string[] = [];
  for (let i = 0; i < s.events; i++) {
    const e = eventAt(i, s);
    const valid = rules.filter((r) => r.category === e.category && r.ts <= e.ts).at(-1);
    out.push(judged(e, valid?.threshold ?? DEFAULT_THRESHOLD));
  }
  return out.sort();
}

const judged = (e: Event, threshold: number): string => `${e.seq}:${threshold}:${e.amount > threshold ? 'alert' : 'ok'}`;

export type BroadcastFaultPoint = 'rules-map' | 'events-map' | 'element' | 'broadcast' | 'exit' | 'sink-exit';
export interface RuleJobParams extends RuleJobShape {
  parallelism: number;
  ratePerSecond?: number;
  /** Rules per second (default: as fast as the job takes them). */
  rulesPerSecond?: number;
  /** Each fires once: at `point` on the event with seq `key` (a rule with id `key` for rules-map and broadcast). */
  faults?: Array<{ point: BroadcastFaultPoint; key: number; marker: string }>;
  sinkMicros?: number;
  /** Also run the non-keyed variant (BroadcastProcessFunction) as a second pipeline. */
  nonKeyed?: boolean;
}

/** A fault that fires once (across attempts and subtasks) at `point` for record `key` (event seq or rule id). */
function faultsAt(point: BroadcastFaultPoint, p: RuleJobParams): (key: number) => void {
  const mine = new Map((p.faults ?? []).filter((f) => f.point === point).map((f) => [f.key, f]));
  if (mine.size === 0) return () => {};
  return (key) => {
    const f = mine.get(key);
    if (!f || !claim(f.marker)) return;
    if (point === 'exit' || point === 'sink-exit') process.exit(7);
    throw new Error(`injected failure at ${point} on ${key}`);
  };
}

function rulesFunction(p: RuleJobParams): KeyedBroadcastProcessFunction<number, Event, Rule, string> {
  const elementFault = faultsAt('element', p);
  const broadcastFault = faultsAt('broadcast', p);
  const exitFault = faultsAt('exit', p);
  let pending!: MapState<number, Event[]>;
  let subtask = 0;
  return {
    open(ctx) {
      pending = ctx.getMapState(new MapStateDescriptor<number, Event[]>('pending'));
      subtask = ctx.taskInfo.subtask;
    },
    processElement(e, ctx) {
      elementFault(e.seq);
      pending.put(e.ts, [...(pending.get(e.ts) ?? []), e]);
      ctx.timerService().registerEventTimeTimer(e.ts);
    },
    processBroadcastElement(r, ctx) {
      broadcastFault(r.id);
      const rules = ctx.getBroadcastState(RULES);
      rules.put(r.category, [...(rules.get(r.category) ?? []), [r.ts, r.threshold]]);
      ctx.output(SEEN, `${subtask}:${r.id}`);
    },
    onTimer(t, ctx, out) {
      const rules = ctx.getBroadcastState(RULES);
      for (const e of pending.get(t) ?? []) {
        exitFault(e.seq);
        const versions = rules.get(e.category) ?? [];
        let threshold = DEFAULT_THRESHOLD;
        for (const [from, th] of versions) if (from <= t) threshold = th;
        out.collect(judged(e, threshold));
      }
      pending.remove(t);
    },
  };
}

/** The non-keyed variant: each subtask reports the size of its broadcast state after each rule; events pass through counted. */
function nonKeyedFunction(): BroadcastProcessFunction<Event, Rule, string> {
  let subtask = 0;
  return {
    open(ctx) { subtask = ctx.taskInfo.subtask; },
    processElement(e, ctx, out) {
      if (ctx.getBroadcastState(RULES).size < 0) throw new Error('impossible size');
      out.collect(`event:${e.seq}`);
    },
    processBroadcastElement(r, ctx, out) {
      const rules = ctx.getBroadcastState(RULES);
      rules.put(r.id, [[r.ts, r.threshold]]);
      out.collect(`rule:${subtask}:${r.id}:${rules.size}`);
    },
  };
}

export const rulesJob = defineJob('t-broadcast-rules', (env, p: RuleJobParams) => {
  const rulesMapFault = faultsAt('rules-map', p);
  const eventsMapFault = faultsAt('events-map', p);
  const sinkFault = faultsAt('sink-exit', p);
  const rules = env.fromGenerator((j) => ruleAt(j, p), { count: ruleCount(p), ...(p.rulesPerSecond ? { ratePerSecond: p.rulesPerSecond } : {}) }).setParallelism(1).uid('rules')
    .map((r) => {
      rulesMapFault(r.id);
      return r;
    }).setParallelism(1).uid('rules-map')
    .assignTimestampsAndWatermarks({ timestamp: (r) => r.ts, intervalMs: 0 });
  const events = env.fromGenerator((i) => eventAt(i, p), { count: p.events, ...(p.ratePerSecond ? { ratePerSecond: p.ratePerSecond } : {}) })
    .setParallelism(p.parallelism).uid('events')
    .map((e) => {
      eventsMapFault(e.seq);
      return e;
    }).setParallelism(p.parallelism).uid('events-map')
    .assignTimestampsAndWatermarks({ timestamp: (e) => e.ts, maxOutOfOrdernessMs: 10, intervalMs: 0 });
  const judgedEvents = events.keyBy((e) => e.user)
    .connect(rules.broadcast(RULES))
    .process(rulesFunction(p)).setParallelism(p.parallelism).uid('judge');
  judgedEvents.map((s) => {
    sinkFault(Number(s.slice(0, s.indexOf(':'))));
    spin(p.sinkMicros ?? 0);
    return s;
  }).setParallelism(p.parallelism).uid('slow').collect('out');
  judgedEvents.getSideOutput(SEEN).collect('seen');
  if (p.nonKeyed) {
    events.connect(rules.broadcast(RULES)).process(nonKeyedFunction()).setParallelism(p.parallelism).uid('non-keyed').collect('nonKeyed');
  }
});

/** What every subtask of the keyed job reports in `seen`: each rule once per subtask. */
export function seenReference(s: RuleJobShape, parallelism: number): string[] {
  const out: string[] = [];
  for (let sub = 0; sub < parallelism; sub++) for (let j = 0; j < ruleCount(s); j++) out.push(`${sub}:${j}`);
  return out.sort();
}

/** What the non-keyed pipeline emits: every event once; per subtask, each rule with the state's size after it. */
export function nonKeyedReference(s: RuleJobShape, parallelism: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < s.events; i++) out.push(`event:${i}`);
  for (let sub = 0; sub < parallelism; sub++) for (let j = 0; j < ruleCount(s); j++) out.push(`rule:${sub}:${j}:${j + 1}`);
  return out.sort();
}
