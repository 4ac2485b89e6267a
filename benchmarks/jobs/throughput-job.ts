/**
 * The throughput workload: source → map → filter → keyBy → count, with a
 * discarding sink. Shared by Weir and the two baselines so they do the same work.
 */
import { defineJob } from '../../index.ts';

export interface Event { key: number; value: number }

export const toEvent = (i: number): Event => ({ key: (i * 7919) % 10_000, value: i });
export const keep = (e: Event): boolean => e.value % 10 !== 0;

export const throughputJob = defineJob('bench-throughput', (env, p: { records: number }) => {
  env.fromSequence(0, p.records - 1)
    .map(toEvent)
    .filter(keep)
    .keyBy((e) => e.key)
    .count()
    .uid('count')
    .addSink(() => {});
});
