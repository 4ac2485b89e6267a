// The keyed-count workload of `bench:throughput`, shared by the Weir job (throughput-job.mjs) and
// the two baselines (benchmarks/throughput.ts) so that they do the same work. Plain JavaScript:
// the Weir cases run under plain `node` against the build (throughput-child.mjs).

/** Record i of the source. */
export const toEvent = (i) => ({ key: (i * 7919) % 10_000, value: i });
/** The filter: drops every tenth record. */
export const keep = (e) => e.value % 10 !== 0;
