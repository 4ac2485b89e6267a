/**
 * npm run bench:windows [-- --quick] [--records=N] [--parallelism=N]
 *
 * Question: is the window operator at least as fast as the same job hand-written with
 * `process()` + keyed state + timers (what users wrote before windows existed)? Three workloads
 * (jobs/window-bench-job.ts): a tumbling 1 s count, a sliding 1 s / 100 ms average (every
 * record in 10 windows) and a tumbling 10 s median (a process window function: every element
 * kept, 100 per key and window), 100 keys, event time, on the heap and LMDB backends.
 * Each case runs the window API and the hand-written job alternately, best of N, end to end
 * (start-up included, the same for both), and checks the number of window results.
 * Output: a table, results/windows.json, and the ratio window-api / hand-written per case.
 */
import { parseBenchArgs, printTable, writeResults, progress, formatNumber } from './support/index.ts';
import { windowBenchJob, expectedResults, type Implementation, type Workload } from './jobs/window-bench-job.ts';

const args = parseBenchArgs();
const records = Number(args.flags.records ?? (args.quick ? 50_000 : 1_000_000));
const parallelism = Number(args.flags.parallelism ?? 2);
const repeats = args.quick ? 1 : 3;

interface Row { case: string; workload: Workload; backend: 'heap' | 'lmdb'; impl: Implementation; recordsPerSec: number; ms: number; results: number }

async function run(workload: Workload, backend: 'heap' | 'lmdb', impl: Implementation): Promise<{ ms: number; results: number }> {
  const t0 = performance.now();
  const result = await windowBenchJob.execute({ params: { records, workload, impl }, parallelism, stateBackend: backend }).done;
  const ms = performance.now() - t0;
  const results = result.metrics.vertices.find((v) => v.name.includes('Windows'))!.recordsOut;
  return { ms, results };
}

const rows: Row[] = [];
const cases = (['tumbling', 'sliding', 'median'] as const).flatMap((w) => (['heap', 'lmdb'] as const).map((b) => [w, b] as const));
let step = 0;
const steps = cases.length * 2 * repeats;
for (const [workload, backend] of cases) {
  const expected = expectedResults(records, workload);
  const best = new Map<Implementation, { ms: number; results: number }>();
  for (let r = 0; r < repeats; r++) {
    for (const impl of ['window-api', 'hand-written'] as const) {
      progress(`${workload} ${backend} ${impl}`, step++, steps);
      const m = await run(workload, backend, impl);
      if (m.results !== expected) throw new Error(`${workload}/${backend}/${impl}: ${m.results} window results, expected ${expected}`);
      if (!best.has(impl) || m.ms < best.get(impl)!.ms) best.set(impl, m);
    }
  }
  for (const impl of ['window-api', 'hand-written'] as const) {
    const m = best.get(impl)!;
    rows.push({ case: `${workload}-${backend}-${impl}`, workload, backend, impl, recordsPerSec: records / (m.ms / 1000), ms: m.ms, results: m.results });
  }
}
progress('done', steps, steps);
process.stderr.write('\n');
console.log(`windows: ${formatNumber(records, 0)} records, 100 keys, parallelism ${parallelism}, best of ${repeats}, end to end`);
printTable(rows, ['case', { key: 'recordsPerSec', header: 'records/s' }, { key: 'ms', header: 'ms' }, { key: 'results', header: 'window results' }]);
const ratios: Record<string, number> = {};
for (const [workload, backend] of cases) {
  const api = rows.find((r) => r.workload === workload && r.backend === backend && r.impl === 'window-api')!;
  const hand = rows.find((r) => r.workload === workload && r.backend === backend && r.impl === 'hand-written')!;
  ratios[`${workload}-${backend}`] = Math.round((api.recordsPerSec / hand.recordsPerSec) * 100) / 100;
  console.log(`${workload} (${backend}): window API / hand-written = ${ratios[`${workload}-${backend}`]}× (target ≥ 1: the operator must not be slower)`);
}
const file = writeResults('windows', rows.map((r) => ({ ...r, recordsPerSec: Math.round(r.recordsPerSec), ms: Math.round(r.ms) })), { records, parallelism, repeats, quick: args.quick, ratios });
console.log(`results: ${file}`);
