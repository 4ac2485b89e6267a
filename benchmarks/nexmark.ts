/**
 * npm run bench:nexmark [-- --quick] [--events=N] [--queries=q0,q5] [--parallelism=1,2] [--checkpoint-cost | --no-checkpoint-cost] [--cost-runs=N]
 *
 * Question: how many Nexmark events per second, per core, does Weir process, next to Flink's
 * published per-core figures (nexmark/nexmark README, Flink 1.13: 8 TaskManagers × 1 slot,
 * RocksDB, exactly-once incremental checkpoints every 3 min, 100 M events) and next to the same
 * query as a plain single-threaded loop (q0–q2, q12)?
 *
 * Each query (examples/nexmark) runs alone on the generator source with its results dropped (the
 * reference's blackhole sink), LMDB state, exactly-once UNALIGNED checkpoints every 10 s, at each
 * parallelism. events/s = events ÷ the time from `running` (every subtask deployed: worker
 * start-up excluded, as Flink's figures exclude job submission) to `done` (the final checkpoint
 * included); per core = events/s ÷ min(parallelism, cores). With the checkpoint cost (default in
 * full runs) each query also runs `--cost-runs` (default 5) pairs of runs at the highest
 * parallelism, checkpointing off and on, back to back (the order alternating), and the cost is
 * 1 − the median of the pairs' on ÷ off ratios (nearest rank): single runs vary by ±20 % and the
 * machine's speed drifts over tens of seconds, more than the cost measured, so each "on" run is
 * compared with the "off" run next to it rather than with the whole series.
 * Output: a table, results/nexmark.json, results/nexmark.svg (+ .png) — `--quick` to results/quick/,
 * a run narrowed by `--events`, `--queries` or `--parallelism` to results/partial/.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nexmarkJob, QUERY_NAMES, type QueryName } from '../examples/nexmark/job.ts';
import { formatNumber, parseBenchArgs, percentile, printTable, progress, RESULTS_DIR, writeResults } from './support/index.ts';
import { svgToPng } from './support/chart.ts';
import { renderBarChart, type BarSeries } from './support/bar-chart.ts';
import { plainLoop, PLAIN_LOOP_QUERIES, type PlainLoopQuery } from './support/nexmark-plain-loops.ts';

const args = parseBenchArgs();
const cores = os.availableParallelism?.() ?? os.cpus().length;
const queries = (typeof args.flags.queries === 'string' ? args.flags.queries.split(',') : QUERY_NAMES) as QueryName[];
const parallelisms = (typeof args.flags.parallelism === 'string' ? args.flags.parallelism.split(',').map(Number) : [1, 2]);
const checkpointCost = args.flags['checkpoint-cost'] === true || (!args.quick && args.flags['no-checkpoint-cost'] !== true);
const costRuns = Math.max(1, Number(args.flags['cost-runs'] ?? 5));
const partial = ['events', 'queries', 'parallelism'].some((f) => args.flags[f] !== undefined);
const INTERVAL_MS = 10_000;
/** Flink 1.13's published throughput per core (events/s). */
const FLINK_PER_CORE: Partial<Record<QueryName, number>> = { q0: 155_000, q1: 158_000, q2: 175_000, q4: 34_300, q5: 22_100, q7: 12_300, q12: 75_700 };
/**
 * Events per run: measured on the 2-vCPU host so that a run at parallelism 2 takes > 10 s (at
 * least one periodic checkpoint besides the final one, also in the fastest cost-run seen) and one
 * at parallelism 1 ~15–30 s.
 */
const FULL_EVENTS: Record<QueryName, number> = {
  q0: 90_000_000, q1: 90_000_000, q2: 90_000_000, q3: 20_000_000, q4: 4_000_000, q5: 1_500_000, q7: 6_000_000, q8: 12_000_000, q12: 2_500_000,
};
const eventsFor = (q: QueryName): number => Number(args.flags.events ?? (args.quick ? 20_000 : FULL_EVENTS[q]));

interface Row {
  query: QueryName;
  parallelism: number;
  events: number;
  eventsPerSec: number;
  eventsPerSecPerCore: number;
  flinkPerCore: number | null;
  ms: number;
  checkpoints: number;
}

interface Run { ms: number; checkpoints: number }

async function runWeir(query: QueryName, parallelism: number, events: number, checkpointing: boolean): Promise<Run> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-bench-nexmark-'));
  try {
    const client = nexmarkJob.execute({
      params: { config: { events }, queries: [query], sink: 'discard' },
      parallelism,
      stateBackend: 'lmdb',
      stateDirectory: path.join(dir, 'state'),
      ...(checkpointing ? { checkpointing: { intervalMs: INTERVAL_MS, unaligned: true, mode: 'exactly-once' as const, directory: path.join(dir, 'checkpoints') } } : {}),
    });
    await client.running;
    const t0 = performance.now();
    const result = await client.done;
    const ms = performance.now() - t0;
    if (result.status !== 'finished') throw new Error(`${query} p${parallelism}: ${result.status}`);
    const generated = result.metrics.vertices.filter((v) => v.name.includes('Nexmark')).reduce((n, v) => n + v.recordsIn, 0);
    if (generated < events) throw new Error(`${query} p${parallelism}: the source emitted ${generated} of ${events} events`);
    return { ms, checkpoints: result.checkpoints?.counts.completed ?? 0 };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const load = os.loadavg().map((x) => Math.round(x * 100) / 100);
const startedAt = performance.now();
const rows: Row[] = [];
const plain: Array<{ query: PlainLoopQuery; events: number; eventsPerSec: number }> = [];
interface Cost { off: number; on: number; costPercent: number; pairCostPercents: number[]; runs: number; offRuns: number[]; onRuns: number[] }
const costs: Record<string, Cost> = {};
const plainQueries = PLAIN_LOOP_QUERIES.filter((q) => queries.includes(q));
const steps = queries.length * (parallelisms.length + (checkpointCost ? 2 * costRuns : 0)) + plainQueries.length;
let step = 0;

for (const query of plainQueries) {
  progress(`plain loop ${query}`, step++, steps);
  const events = Math.min(eventsFor(query), 10_000_000);
  plainLoop(query, { events: Math.ceil(events / 5) }); // JIT warm-up
  const t0 = performance.now();
  const out = plainLoop(query, { events });
  const ms = performance.now() - t0;
  if (out === 0) throw new Error(`plain loop ${query}: no output`);
  plain.push({ query, events, eventsPerSec: events / (ms / 1000) });
}
for (const query of queries) {
  const events = eventsFor(query);
  for (const p of parallelisms) {
    progress(`weir ${query} p${p} (${formatNumber(events, 0)} events)`, step++, steps);
    const run = await runWeir(query, p, events, true);
    const eventsPerSec = events / (run.ms / 1000);
    rows.push({ query, parallelism: p, events, eventsPerSec, eventsPerSecPerCore: eventsPerSec / Math.min(p, cores), flinkPerCore: FLINK_PER_CORE[query] ?? null, ms: run.ms, checkpoints: run.checkpoints });
  }
  if (checkpointCost) {
    const p = Math.max(...parallelisms);
    const runs: Record<'off' | 'on', number[]> = { off: [], on: [] };
    for (let i = 0; i < costRuns; i++) {
      const order: Array<'off' | 'on'> = i % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
      for (const mode of order) {
        progress(`weir ${query} p${p}, checkpointing ${mode} (pair ${i + 1}/${costRuns})`, step++, steps);
        runs[mode].push(events / ((await runWeir(query, p, events, mode === 'on')).ms / 1000));
      }
    }
    const pairCosts = runs.on.map((on, i) => (1 - on / runs.off[i]!) * 100);
    costs[query] = {
      off: Math.round(percentile(runs.off, 50)!), on: Math.round(percentile(runs.on, 50)!),
      costPercent: Math.round(percentile(pairCosts, 50)! * 10) / 10, pairCostPercents: pairCosts.map((c) => Math.round(c * 10) / 10),
      runs: costRuns, offRuns: runs.off.map(Math.round), onRuns: runs.on.map(Math.round),
    };
  }
}
progress('done', steps, steps);

console.log(`\nnexmark: LMDB state, exactly-once unaligned checkpoints every ${INTERVAL_MS / 1000} s, results dropped; ${cores} cores, load average at start ${load.join(' / ')}`);
const k = (v: unknown): string => (typeof v === 'number' ? `${formatNumber(v / 1000, 1)} K` : '—');
printTable(rows.map((r) => ({
  ...r,
  plainLoop: plain.find((x) => x.query === r.query)?.eventsPerSec ?? null,
  vsFlink: r.flinkPerCore ? `${(r.eventsPerSecPerCore / r.flinkPerCore).toFixed(2)}×` : '—',
})), [
  'query', { key: 'parallelism', header: 'p', format: String }, { key: 'events', format: (v) => formatNumber(v as number, 0) },
  { key: 'eventsPerSec', header: 'events/s', format: k }, { key: 'eventsPerSecPerCore', header: 'per core', format: k },
  { key: 'flinkPerCore', header: 'Flink per core', format: k, align: 'right' }, { key: 'vsFlink', header: 'Weir/Flink', align: 'right' },
  { key: 'plainLoop', header: 'plain loop (1 core)', format: k, align: 'right' }, { key: 'checkpoints', header: 'checkpoints', format: String },
]);
for (const [q, c] of Object.entries(costs)) {
  const spread = (xs: number[]) => `${k(Math.min(...xs))}–${k(Math.max(...xs))}`;
  console.log(`${q}: checkpointing every ${INTERVAL_MS / 1000} s costs ${c.costPercent} % (median of ${c.runs} pairs: ${c.pairCostPercents.join(' / ')} %; off ${k(c.off)}/s [${spread(c.offRuns)}], on ${k(c.on)}/s [${spread(c.onRuns)}]; target ≤ 10 %)`);
}

const results = rows.map((r) => ({ ...r, eventsPerSec: Math.round(r.eventsPerSec), eventsPerSecPerCore: Math.round(r.eventsPerSecPerCore), ms: Math.round(r.ms) }));
const file = writeResults('nexmark', results, {
  quick: args.quick, partial, cores, loadAverageAtStart: load, checkpointIntervalMs: INTERVAL_MS, stateBackend: 'lmdb', checkpointing: 'exactly-once unaligned',
  flinkPerCore: FLINK_PER_CORE, plainLoop: plain.map((x) => ({ ...x, eventsPerSec: Math.round(x.eventsPerSec) })), checkpointCost: costs,
  durationMs: Math.round(performance.now() - startedAt),
});

// Chart: per-core events/s per query, Weir at each parallelism, Flink, the plain loop (log scale).
const series: BarSeries[] = [
  ...parallelisms.map((p) => ({ name: `Weir p${p} per core`, values: queries.map((q) => rows.find((r) => r.query === q && r.parallelism === p)?.eventsPerSecPerCore ?? null) })),
  { name: 'Flink 1.13 per core', values: queries.map((q) => FLINK_PER_CORE[q] ?? null) },
  { name: 'plain loop (1 core)', values: queries.map((q) => plain.find((x) => x.query === q)?.eventsPerSec ?? null) },
];
const svg = renderBarChart({
  title: 'Nexmark: events/s per core', xLabel: 'query', yLabel: 'events/s per core', categories: queries, series, yScale: 'log',
  note: `LMDB, unaligned exactly-once checkpoints every 10 s; ${cores} cores; load ${load[0]} at start${args.quick ? '; --quick' : ''}`,
});
const chartDir = path.dirname(file);
fs.writeFileSync(path.join(chartDir, 'nexmark.svg'), svg);
const png = await svgToPng(svg);
if (png) fs.writeFileSync(path.join(chartDir, 'nexmark.png'), png);
console.log(`results: ${file}\nchart: ${path.join(chartDir, 'nexmark.svg')}${png ? ' (+ .png)' : ''}${args.quick ? '' : `\n(results dir: ${RESULTS_DIR})`}`);
