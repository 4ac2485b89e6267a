/**
 * npm run bench:throughput [-- --quick] [--records=N] [--clicks=N] [--from-sources] [--no-long]
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
 *
 * The realistic JSONL click job (issue #18; benchmarks/jobs/click-job.mjs): `--clicks` JSON Lines
 * click events (default 1 M, ~51 MB; `--quick` 50 000) read with readTextFile (byte ranges, one per
 * source subtask) → keyBy user → count in ValueState (LMDB, the default backend) → exactly-once
 * file sink (checkpointing on), at parallelism 1 and 2, against a plain Node loop doing the same
 * (read the file, JSON.parse each line, count in a Map, write the counts). End to end; every
 * run's output is checked against the loop's. With the long cases the loop and parallelism 2 also
 * run on 4× the events: how much of the 1 M-event figure is start-up, warm-up and the end of input.
 *
 * Every Weir run is its own process (throughput-child.mjs): plain `node` against the build
 * (dist/, built by the npm script; what an installed Weir runs, without a TypeScript loader in
 * every worker), or against the sources through tsx with `--from-sources` (start-up then costs
 * ~0.5 s idle, ~1.8 s on the loaded 2-core machine, against ~0.15-0.3 s from dist/).
 * `--no-long` leaves out the checkpointing and metrics cases (6× the records each) and the long
 * click cases (4× the events; A/B runs).
 * A run narrowed by `--records`, `--clicks`, `--no-long` or `--from-sources` writes to results/partial/.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseBenchArgs, printTable, writeResults, progress, formatNumber } from './support/index.ts';
import { toEvent, keep, type Event } from './jobs/throughput-workload.mjs';
import { clickPlainLoop, writeClickFile } from './jobs/click-workload.mjs';

const args = parseBenchArgs();
const records = Number(args.flags.records ?? (args.quick ? 200_000 : 5_000_000));
const clicks = Number(args.flags.clicks ?? (args.quick ? 50_000 : 1_000_000));
const repeats = args.quick ? 1 : 3;
const fromSources = args.flags['from-sources'] === true;
const long = args.flags['no-long'] !== true;
const CHILD = new URL('./throughput-child.mjs', import.meta.url).pathname;
const CHILD_ARGS = fromSources ? ['--conditions=weir-source', '--import', 'tsx'] : [];

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

/** One Weir run in a child process (throughput-child.mjs); its ms from execute() to done. */
function child(spec: Record<string, unknown>): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [...CHILD_ARGS, CHILD, JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    p.on('error', reject);
    p.on('close', (code) => {
      if (code !== 0) return reject(new Error(`throughput-child ${JSON.stringify(spec)} exited with ${code}`));
      resolve((JSON.parse(out.trim().split('\n').pop()!) as { ms: number }).ms);
    });
  });
}

const weir = (parallelism: number, n: number, checkpointing: Checkpointing = 'off', metrics = false): Promise<number> =>
  child({ case: 'keyed', parallelism, records: n, checkpointing, metrics });

/** The click job at `parallelism`, end to end; its counts are checked against the loop's output file `expected`. */
const weirClicks = (parallelism: number, file: string, expected: string): Promise<number> => child({ case: 'clicks', parallelism, file, expected });

const best = async (label: string, f: () => Promise<number> | number): Promise<number> => {
  let min = Infinity;
  for (let r = 0; r < repeats; r++) {
    progress(label, r, repeats);
    min = Math.min(min, await f());
  }
  progress(label, repeats, repeats);
  return min;
};

const loadAverageAtStart = os.loadavg();
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

// The realistic JSONL click job: plain loop, Weir p1, Weir p2 on the same file.
async function clickCases(n: number, suffix: string, parallelisms: readonly number[]): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-bench-clickfile-'));
  try {
    const file = path.join(dir, 'clicks.jsonl');
    writeClickFile(file, n);
    const loopOut = path.join(dir, 'loop-out.jsonl');
    const ms = await best(`clicks plain loop (${formatNumber(n, 0)} events)`, () => time(() => {
      if (clickPlainLoop(file, loopOut) !== n) throw new Error('clicks plain loop: lines lost');
    }));
    rows.push({ case: `clicks-plain-loop${suffix}`, recordsPerSec: n / (ms / 1000), ms });
    for (const p of parallelisms) {
      const wms = await best(`clicks weir p${p} (${formatNumber(n, 0)} events)`, () => weirClicks(p, file, loopOut));
      rows.push({ case: `clicks-weir-p${p}${suffix}`, recordsPerSec: n / (wms / 1000), ms: wms });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
await clickCases(clicks, '', [1, 2]);
// The same at 4× the events, parallelism 2: what start-up, warm-up and the end of input weigh in
// the 1 M-event figure (on this machine they are ~0.3 s of a ~0.7 s run).
const longClicks = clicks * 4;
if (long) await clickCases(longClicks, '-long', [2]);

// The cost of checkpointing every second (no backpressure): the same job at parallelism 2,
// 6× the records so that a run spans several checkpoints (not just the final one).
const cpRecords = records * 6;
const cpCases = [['off', 'weir-p2-long'], ['aligned', 'weir-p2-checkpoints-1s-aligned'], ['unaligned', 'weir-p2-checkpoints-1s-unaligned']] as const;
for (const [mode, name] of long ? cpCases : []) {
  const ms = await best(`weir p2, ${formatNumber(cpRecords, 0)} records, checkpointing ${mode === 'off' ? 'off' : `every 1 s (${mode})`}`, () => weir(2, cpRecords, mode));
  rows.push({ case: name, recordsPerSec: cpRecords / (ms / 1000), ms });
}

// The cost of metrics: the long case again with the endpoint on and scraped every second.
if (long) {
  const ms = await best(`weir p2, ${formatNumber(cpRecords, 0)} records, metrics on (REST endpoint, /metrics scraped every 1 s)`, () => weir(2, cpRecords, 'off', true));
  rows.push({ case: 'weir-p2-metrics', recordsPerSec: cpRecords / (ms / 1000), ms });
}

process.stderr.write('\n');
console.log(`throughput: ${formatNumber(records, 0)} records, best of ${repeats}, source → map → filter → keyBy → count (10 000 keys, heap state); Weir from ${fromSources ? 'its sources (tsx)' : 'the build (dist/)'}; load average at the start ${loadAverageAtStart.map((x) => x.toFixed(2)).join(' / ')}, at the end ${os.loadavg().map((x) => x.toFixed(2)).join(' / ')}`);
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
const clicksLoop = rows.find((r) => r.case === 'clicks-plain-loop')!.recordsPerSec;
for (const p of [1, 2]) {
  const w = rows.find((r) => r.case === `clicks-weir-p${p}`)!.recordsPerSec;
  console.log(`clicks (${formatNumber(clicks, 0)} JSONL events): weir-p${p} / plain loop = ${(w / clicksLoop).toFixed(2)}×${p === 2 ? ' (target ≥ 0.8×)' : ''}`);
}
const clicksLong = rows.find((r) => r.case === 'clicks-weir-p2-long')?.recordsPerSec;
if (clicksLong !== undefined) {
  const loopLong = rows.find((r) => r.case === 'clicks-plain-loop-long')!.recordsPerSec;
  console.log(`clicks (${formatNumber(longClicks, 0)} JSONL events): weir-p2 / plain loop = ${(clicksLong / loopLong).toFixed(2)}×`);
}
const checkpointCost: Record<string, number> = {};
let metricsCostPercent: number | undefined;
const longOff = rows.find((r) => r.case === 'weir-p2-long')?.recordsPerSec;
if (longOff !== undefined) {
  for (const mode of ['aligned', 'unaligned']) {
    const cp = rows.find((r) => r.case === `weir-p2-checkpoints-1s-${mode}`)!.recordsPerSec;
    checkpointCost[mode] = Math.round((1 - cp / longOff) * 1000) / 10;
    const verdict = checkpointCost[mode]! <= 0 ? 'no measurable cost (faster than without: run-to-run noise)' : `${checkpointCost[mode]} % less throughput`;
    console.log(`checkpoints every 1 s (${mode}), ${formatNumber(cpRecords, 0)} records vs weir-p2-long (checkpointing off): ${verdict}; target ≤ 10 %`);
  }
  const withMetrics = rows.find((r) => r.case === 'weir-p2-metrics')!.recordsPerSec;
  const cost = Math.round((1 - withMetrics / longOff) * 1000) / 10;
  metricsCostPercent = cost;
  console.log(`metrics on (sampled and scraped every 1 s) vs weir-p2-long (metrics off): ${cost <= 0 ? 'no measurable cost (faster than without: run-to-run noise)' : `${cost} % less throughput`}; target ≤ 3 %`);
}
const file = writeResults('throughput', rows.map((r) => ({ ...r, recordsPerSec: Math.round(r.recordsPerSec), ...(r.steadyRecordsPerSec ? { steadyRecordsPerSec: Math.round(r.steadyRecordsPerSec) } : {}) })), { records, clicks, ...(long ? { clicksLong: longClicks } : {}), weirFrom: fromSources ? 'sources' : 'dist', loadAverageAtStart, loadAverageAtEnd: os.loadavg(), quick: args.quick, partial: ['records', 'clicks', 'no-long', 'from-sources'].some((f) => args.flags[f] !== undefined), repeats, checkpointCostPercent: checkpointCost, metricsCostPercent });
console.log(`results: ${file}`);
