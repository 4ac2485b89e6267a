/** Shared helpers of the benchmarks (re-exports only). */
export { parseBenchArgs, type BenchArgs } from './args.ts';
export { progress } from './progress.ts';
export { formatNumber, printTable, renderTable, type Column } from './table.ts';
export { machineInfo, RESULTS_DIR, writeResults } from './results.ts';
export { percentile } from './stats.ts';
export { startTsWorker } from './ts-worker.ts';
