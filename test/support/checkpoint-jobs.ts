/**
 * Jobs for the checkpointing tests: multi-input keyed subtasks (keyBy after a
 * parallel stage, and a union) under forced backpressure (a sink that spins).
 */
import { defineJob, ValueStateDescriptor, type KeyedProcessFunction, type ValueState } from '../../index.ts';

export interface Rec { k: number; i: number }
export interface Counted { k: number; i: number; n: number }

/** Busy-wait: a sink slower than the sources, so rings fill up. */
export function spin(micros: number): void {
  if (micros <= 0) return;
  const end = performance.now() + micros / 1000;
  while (performance.now() < end) { /* spin */ }
}

/** Counts records per key in keyed state; emits the running count with each record. Spins `micros` per record. */
export function counter(micros = 0): KeyedProcessFunction<number, Rec, Counted> {
  let count!: ValueState<number>;
  return {
    open(ctx) {
      count = ctx.getState(new ValueStateDescriptor<number>('count'));
    },
    processElement(r, _ctx, out) {
      spin(micros);
      const n = (count.value() ?? 0) + 1;
      count.update(n);
      out.collect({ k: r.k, i: r.i, n });
    },
  };
}

export interface CheckpointJobParams {
  /** Records of the parallel source (0 … a-1) and of the second, unioned source (a … a+b-1). */
  a: number;
  b: number;
  keys: number;
  /** Microseconds the sink spends per record. */
  sinkMicros: number;
}

/** source A (p=2) ∪ source B (p=1) → keyBy → count (p=2) → slow sink (p=1). */
export const backpressuredJob = defineJob('t-cp-backpressured', (env, p: CheckpointJobParams) => {
  const a = env.fromSequence(0, p.a - 1).setParallelism(2).uid('source-a').map((i): Rec => ({ k: i % p.keys, i })).setParallelism(2).uid('map-a');
  const b = env.fromSequence(p.a, p.a + p.b - 1).setParallelism(1).uid('source-b').map((i): Rec => ({ k: i % p.keys, i })).setParallelism(1).uid('map-b');
  a.union(b)
    .keyBy((r) => r.k)
    .process(counter())
    .setParallelism(2)
    .uid('counter')
    .map((c) => {
      spin(p.sinkMicros);
      return c;
    })
    .setParallelism(1)
    .uid('slow')
    .collect('out');
});

/**
 * Single parallel source (→ map, chained) → keyBy → count → slow sink: for reading checkpoints back.
 * `counterMicros` makes the counter itself slow (a frame then takes many slices to process).
 */
export const countingJob = defineJob('t-cp-counting', (env, p: { n: number; keys: number; sinkMicros: number; counterMicros?: number }) => {
  env.fromSequence(0, p.n - 1).setParallelism(2).uid('numbers')
    .map((i): Rec => ({ k: i % p.keys, i })).setParallelism(2)
    .keyBy((r) => r.k)
    .process(counter(p.counterMicros ?? 0))
    .setParallelism(2)
    .uid('counter')
    .map((c) => {
      spin(p.sinkMicros);
      return c;
    })
    .setParallelism(1)
    .uid('slow')
    .collect('out');
});
