/**
 * Two-input jobs the task unit tests drive through the in-thread harness
 * (stream-task-test-harness.ts). Vertex indices are noted per job: the harness runs one vertex's subtask.
 */
import { defineJob, ValueStateDescriptor, type ValueState } from '../../../index.ts';

/**
 * vertices 0, 1, 2: array sources a1, a2, b → vertex 3: `a1.union(a2).connect(b)` co-process
 * (input 1 = channels 0 and 1, input 2 = channel 2) → collect, chained. Emits `1:<v>` / `2:<v>`.
 */
export const coProcessHarnessJob = defineJob('harness-co-process', (env) => {
  const a = env.fromArray([0]).union(env.fromArray([0]));
  a.connect(env.fromArray(['']))
    .process<string>({
      processElement1(v, _ctx, out) { out.collect(`1:${v}`); },
      processElement2(v, _ctx, out) { out.collect(`2:${v}`); },
    }).setParallelism(1)
    .collect('out');
});

export interface HarnessEv { id: string; key: string; t: number }

/**
 * vertices 0, 1: array source + timestamps (left, right) → vertex 2: interval join
 * between(lower, upper) keyed by `key` (channel 0 = left, channel 1 = right) → collect.
 */
export const intervalJoinHarnessJob = defineJob('harness-interval-join', (env, p: { lower: number; upper: number }) => {
  const ev = (): HarnessEv[] => [];
  const left = env.fromArray(ev()).assignTimestampsAndWatermarks({ timestamp: (e) => e.t });
  const right = env.fromArray(ev()).assignTimestampsAndWatermarks({ timestamp: (e) => e.t });
  left.keyBy((e) => e.key).intervalJoin(right.keyBy((e) => e.key)).between(p.lower, p.upper)
    .process<string>({ processElement(l, r, ctx, out) { out.collect(`${l.id}+${r.id}@${ctx.timestamp()}`); } })
    .setParallelism(1)
    .collect('out');
});

/**
 * vertices 0, 1: array sources → vertex 2: `connect().keyBy(k1, k2)` keyed co-process (channel 0 =
 * input 1, channel 1 = input 2) → collect. Input 1 stores the last value of its key and registers
 * a processing-time timer `delayMs` later; input 2 reads what input 1 stored for the same key.
 */
export const keyedCoProcessHarnessJob = defineJob('harness-keyed-co-process', (env, p: { delayMs: number }) => {
  let last!: ValueState<string>;
  env.fromArray<{ k: string; v: string }>([])
    .connect(env.fromArray<{ user: string }>([]))
    .keyBy((a) => a.k, (b) => b.user)
    .process<string>({
      open(ctx) { last = ctx.getState(new ValueStateDescriptor<string>('last')); },
      processElement1(a, ctx, out) {
        last.update(a.v);
        ctx.timerService().registerProcessingTimeTimer(ctx.timerService().currentProcessingTime() + p.delayMs);
        out.collect(`1:${a.k}=${a.v}`);
      },
      processElement2(b, ctx, out) { out.collect(`2:${b.user} sees ${last.value() ?? 'nothing'} (key ${ctx.getCurrentKey()})`); },
      onTimer(ts, ctx, out) { out.collect(`fired:${ctx.getCurrentKey()}@${ts}:${ctx.timeDomain()}`); },
    }).setParallelism(1)
    .collect('out');
});
