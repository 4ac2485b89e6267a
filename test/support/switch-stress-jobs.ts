/**
 * Job for the aligned→unaligned switch stress: a parallel sequence → rebalance → slow map →
 * keyBy → count. Rebalance edges connect every producer to every consumer, tiny rings keep them
 * full, and the slow map makes in-band barriers wait behind data long enough for the aligned
 * timeout to fire on both sides (consumer switch and producer-side overtaking). A slow map after
 * the counter (`sinkMicros`) keeps the counter's output blocked while it replays restored input.
 */
import { defineJob, ListStateDescriptor, ValueStateDescriptor, type KeyedProcessFunction, type ListState, type ValueState } from '../../index.ts';
import { spin, type Counted, type Rec } from './checkpoint-jobs.ts';

/** Counts records per key in ValueState 'count' and lists their ids in ListState 'seen'. */
function listingCounter(): KeyedProcessFunction<number, Rec, Counted> {
  let count!: ValueState<number>;
  let seen!: ListState<number>;
  return {
    open(ctx) {
      count = ctx.getState(new ValueStateDescriptor<number>('count'));
      seen = ctx.getListState(new ListStateDescriptor<number>('seen'));
    },
    processElement(r, _ctx, out) {
      const n = (count.value() ?? 0) + 1;
      count.update(n);
      seen.add(r.i);
      out.collect({ k: r.k, i: r.i, n });
    },
  };
}

export const switchStressJob = defineJob('t-switch-stress', (env, p: { n: number; keys: number; mapMicros: number; sinkMicros?: number }) => {
  env.fromSequence(0, p.n - 1).uid('numbers')
    .rebalance()
    .map((i): Rec => {
      spin(p.mapMicros);
      return { k: i % p.keys, i };
    })
    .uid('slow-map')
    .keyBy((r) => r.k)
    .process(listingCounter())
    .uid('counter')
    .rebalance()
    .map((c) => {
      spin(p.sinkMicros ?? 0);
      return c;
    })
    .uid('sink-map')
    .collect('out');
});
