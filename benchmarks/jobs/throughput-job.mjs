// The throughput workload as a Weir job: source → map → filter → keyBy → count, with a discarding
// sink. JavaScript importing `weir` (as benchmarks/jobs/startup-job.mjs): the same module runs
// against the build (plain `node`, the default of bench:throughput) and against the sources
// (`--conditions=weir-source` under tsx).
import { defineJob } from 'weir';
import { keep, toEvent } from './throughput-workload.mjs';

export const throughputJob = defineJob('bench-throughput', (env, p) => {
  env.fromSequence(0, p.records - 1)
    .map(toEvent)
    .filter(keep)
    .keyBy((e) => e.key)
    .count()
    .uid('count')
    .addSink(() => {});
});
