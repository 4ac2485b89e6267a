/**
 * npm run bench:throughput [-- --quick] [--records=N]
 *
 * Records/s of source → map → filter → keyBy → count (heap state, 10 000 keys)
 * at parallelism 1 and 2, against the same work as (a) a plain single-threaded
 * loop and (b) a Node objectMode `stream.pipeline`. Weir's figure is end to end
 * (including starting the workers); `steadyRecordsPerSec` subtracts the
 * start-up time measured with a one-record run of the same job. Three more cases
 * run the parallelism-2 job on 6× the records with checkpointing off and every
 * second (aligned, unaligned; the end includes the final checkpoint) and report
 * the cost of checkpointing in percent. One more runs it with metrics on — the REST endpoint
 * (sampling every subtask once a second) scraped at /metrics every second — and reports the
 * cost of metrics in percent (target ≤ 3 %).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseBenchArgs, printTable, writeResults, progress, formatNumber } from './support/index.ts';
import { throughputJob, toEvent, keep, type Event } from './jobs/throughput-job.ts';

const args = parseBenchArgs();
const records = Number(args.flags.records ?? (args.quick ? 200_000 : 5_000_000));
const repeats = args.quick ? 1 : 3;

interface Row { case: string; recordsPerSec: number; steadyRecordsPerSec?: number; ms: number; startupMs?: number }

function plainLoop(n: number): number {
  const counts = new Map<number, number>();
  let emitted = 0;
  const sink = (_k: number, _c: number) => { emitted++; };
  for (let i = 0; i < n; i++) {
    const e = toEvent(i);
    if (!keep(e)) continue;
    const c = (counts.get(e.key) ?? 0) + 1;
    counts.set(e.key, c);
    sink(e.key, c);
  }
  return emitted;
}

async function nodeStreams(n: number): Promise<number> {
  const counts = new Map<number, number>();
  let emitted = 0;
  function* gen() { for (let i = 0; i < n; i++) yield i; }
  await pipeline(
    Readable.from(gen()),
    new Transform({ objectMode: true, transform(i: number, _e, cb) { cb(null, toEvent(i)); } }),
    new Transform({ objectMode: true, transform(e: Event, _e, cb) { if (keep(e)) cb(null, e); else cb(); } }),
    new Transform({ objectMode: true, transform(e: Event, _e, cb) { const c = (counts.get(e.key) ?? 0) + 1; counts.set(e.key, c); cb(null, [e.key, c]); } }),
    new Writable({ objectMode: true, write(_r, _e, cb) { emitted++; cb(); } }),
  );
  return emitted;
}

/** Checkpointing of a case: none, or every second (aligned or unaligned), into a fresh temporary directory. */
type Checkpointing = 'off' | 'aligned' | 'unaligned';

async function weir(parallelism: number, n: number, checkpointing: Checkpointing = 'off', metrics = false): Promise<number> {
  const dir = checkpointing === 'off' ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), 'weir-bench-tp-'));
  const t0 = performance.now();
  const client = throughputJob.execute({
    params: { records: n },
    parallelism,
    stateBackend: 'heap',
    ...(dir ? { checkpointing: { intervalMs: 1000, unaligned: checkpointing === 'unaligned', directory: dir } } : {}),
    ...(metrics ? { rest: { port: 0, discoveryDirectory: false as const } } : {}),
  });
  // Metrics on: a Prometheus-like scraper every second (the endpoint samples every subtask each second too).
  let scrapes = 0;
  const scraper = metrics ? setInterval(() => void client.restUrl().then((u) => fetch(`${u}/metrics`)).then((r) => r.text()).then(() => scrapes++, () => {}), 1000) : undefined;
  const result = await client.done;
  if (scraper) clearInterval(scraper);
  if (metrics && scrapes === 0 && performance.now() - t0 > 2000) throw new Error('metrics case: /metrics was never scraped');
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  const ms = performance.now() - t0;
  const out = result.metrics.vertices.find((v) => v.name.includes('Count'))!.recordsIn;
  const expected = n - Math.ceil(n / 10);
  if (out !== expected) throw new Error(`weir p${parallelism}: counted ${out} records, expected ${expected}`);
  return ms;
}

const best = async (label: string, f: () => Promise<number> | number): Promise<number> => {
  let min = Infinity;
  for (let r = 0; r < repeats; r++) {
    progress(label, r, repeats);
    min = Math.min(min, await f());
  }
  progress(label, repeats, repeats);
  return min;
};

const rows: Row[] = [];
const time = async (f: () => unknown) => { const t0 = performance.now(); await f(); return performance.now() - t0; };

const loopMs = await best('plain loop', () => time(() => plainLoop(records)));
rows.push({ case: 'plain-loop', recordsPerSec: records / (loopMs / 1000), ms: loopMs });
const streamsMs = await best('node streams', () => time(() => nodeStreams(records)));
rows.push({ case: 'node-streams', recordsPerSec: records / (streamsMs / 1000), ms: streamsMs });
for (const p of [1, 2]) {
  const startup = await best(`weir p${p} start-up`, () => weir(p, 1));
  const ms = await best(`weir p${p}`, () => weir(p, records));
  rows.push({ case: `weir-p${p}`, recordsPerSec: records / (ms / 1000), steadyRecordsPerSec: records / (Math.max(1, ms - startup) / 1000), ms, startupMs: startup });
}

// The cost of checkpointing every second (no backpressure): the same job at parallelism 2,
// 6× the records so that a run spans several checkpoints (not just the final one).
const cpRecords = records * 6;
const cpCases = [['off', 'weir-p2-long'], ['aligned', 'weir-p2-checkpoints-1s-aligned'], ['unaligned', 'weir-p2-checkpoints-1s-unaligned']] as const;
for (const [mode, name] of cpCases) {
  const ms = await best(`weir p2, ${formatNumber(cpRecords, 0)} records, checkpointing ${mode === 'off' ? 'off' : `every 1 s (${mode})`}`, () => weir(2, cpRecords, mode));
  rows.push({ case: name, recordsPerSec: cpRecords / (ms / 1000), ms });
}

// The cost of metrics: the long case again with the endpoint on and scraped every second.
{
  const ms = await best(`weir p2, ${formatNumber(cpRecords, 0)} records, metrics on (REST endpoint, /metrics scraped every 1 s)`, () => weir(2, cpRecords, 'off', true));
  rows.push({ case: 'weir-p2-metrics', recordsPerSec: cpRecords / (ms / 1000), ms });
}

process.stderr.write('\n');
console.log(`throughput: ${formatNumber(records, 0)} records, best of ${repeats}, source → map → filter → keyBy → count (10 000 keys, heap state)`);
printTable(rows, [
  'case',
  { key: 'recordsPerSec', header: 'records/s' },
  { key: 'steadyRecordsPerSec', header: 'records/s w/o start-up' },
  { key: 'ms', header: 'ms' },
  { key: 'startupMs', header: 'start-up ms' },
]);
const streams = rows.find((r) => r.case === 'node-streams')!.recordsPerSec;
const p2 = rows.find((r) => r.case === 'weir-p2')!.recordsPerSec;
console.log(`weir-p2 / node-streams = ${(p2 / streams).toFixed(2)}×; weir-p2 / plain-loop = ${(p2 / rows[0]!.recordsPerSec).toFixed(2)}×`);
const checkpointCost: Record<string, number> = {};
const long = rows.find((r) => r.case === 'weir-p2-long')!.recordsPerSec;
for (const mode of ['aligned', 'unaligned']) {
  const cp = rows.find((r) => r.case === `weir-p2-checkpoints-1s-${mode}`)!.recordsPerSec;
  checkpointCost[mode] = Math.round((1 - cp / long) * 1000) / 10;
  const verdict = checkpointCost[mode]! <= 0 ? 'no measurable cost (faster than without: run-to-run noise)' : `${checkpointCost[mode]} % less throughput`;
  console.log(`checkpoints every 1 s (${mode}), ${formatNumber(cpRecords, 0)} records vs weir-p2-long (checkpointing off): ${verdict}; target ≤ 10 %`);
}
const withMetrics = rows.find((r) => r.case === 'weir-p2-metrics')!.recordsPerSec;
const metricsCostPercent = Math.round((1 - withMetrics / long) * 1000) / 10;
console.log(`metrics on (sampled and scraped every 1 s) vs weir-p2-long (metrics off): ${metricsCostPercent <= 0 ? 'no measurable cost (faster than without: run-to-run noise)' : `${metricsCostPercent} % less throughput`}; target ≤ 3 %`);
const file = writeResults('throughput', rows.map((r) => ({ ...r, recordsPerSec: Math.round(r.recordsPerSec), ...(r.steadyRecordsPerSec ? { steadyRecordsPerSec: Math.round(r.steadyRecordsPerSec) } : {}) })), { records, quick: args.quick, repeats, checkpointCostPercent: checkpointCost, metricsCostPercent });
console.log(`results: ${file}`);
