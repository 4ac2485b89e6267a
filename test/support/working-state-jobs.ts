/**
 * A keyed count on LMDB for the working-state test: a chained map throws once (a failover: a
 * second attempt with its own working copies) when the marker file exists, claimed by deleting it;
 * `failAlways` makes every attempt throw (the job fails once out of restarts).
 */
import { defineJob, ValueStateDescriptor, type ValueState } from '../../index.ts';
import { claim } from './fault-jobs.ts';

export const workingStateJob = defineJob('t-working-state', (env, p: { n: number; marker?: string; failAlways?: boolean }) => {
  let count!: ValueState<number>;
  env.fromSequence(0, p.n - 1)
    .map((i) => {
      if (i === Math.floor(p.n / 2) && (p.failAlways || (p.marker !== undefined && claim(p.marker)))) throw new Error(`injected failure at record ${i}`);
      return i;
    })
    .keyBy((i) => i % 10)
    .process<number>({
      open(ctx) { count = ctx.getState(new ValueStateDescriptor<number>('count')); },
      processElement(_i, _ctx, out) {
        const n = (count.value() ?? 0) + 1;
        count.update(n);
        out.collect(n);
      },
    })
    .collect('out');
});
