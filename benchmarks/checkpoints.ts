/**
 * npm run bench:checkpoints [-- --quick] [--duration=S] [--rate=N] [--keys=N] [--parallelism=N]
 *   [--interval=MS] [--timeout=MS] [--payload=B] [--modes=a,b] [--levels=none,100x]
 *   [--buffers=16384,65536] [--recovery-wait=S] [--no-recovery] [--readme | --no-readme]
 *
 * Question: what do aligned, unaligned, aligned-with-timeout and at-least-once
 * checkpoints cost under backpressure (duration, alignment, in-flight bytes
 * persisted, throughput, recovery time)? Workload and modes:
 * jobs/checkpoint-bench-job.ts. Per case (mode × backpressure × bufferBytes):
 *   1. start the unbounded job and wait until it runs;
 *   2. warm up until the in-flight records stop growing (the rings are full);
 *   3. measure for --duration seconds: sink records/s and every checkpoint
 *      triggered in the window (stats polled, merged by id);
 *   4. inject one failure (marker file) and wait for the failover to finish;
 *   5. cancel (no final checkpoint: the job is unbounded).
 * Output: a Markdown table on stdout, results/checkpoints.json, SVG + PNG
 * charts, and (full runs, or --readme) the generated section of README.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseBenchArgs, writeResults, machineInfo, RESULTS_DIR, formatNumber } from './support/index.ts';
import { ProgressBar, formatDuration } from './support/progress-bar.ts';
import { renderLineChart, svgToPng, formatBytes, type ChartSeries } from './support/chart.ts';
import { checkTargets, targetsTable } from './support/checkpoint-targets.ts';
import {
  checkpointBenchJob, checkpointingFor, sinkMicrosFor, CHECKPOINT_MODES, BACKPRESSURE_LEVELS, ALIGNED_TIMEOUT_MS,
  type CheckpointMode, type BackpressureLevel,
} from './jobs/checkpoint-bench-job.ts';
import { WeirError, type CheckpointStats, type JobMetrics } from '../index.ts';

// Cancelling a case aborts its pending checkpoint, which logs a warning; keep stderr for the progress bar.
process.env.WEIR_LOG_LEVEL ||= 'error';
const args = parseBenchArgs();
const flag = (name: string, full: number, quick: number): number => {
  const v = args.flags[name];
  const n = v === undefined ? (args.quick ? quick : full) : Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new WeirError('WEIR_INVALID_ARGUMENT', `--${name} must be a positive number, got ${String(v)}`, { flag: name });
  return n;
};
const list = (name: string, fallback: readonly string[], allowed: readonly string[]): string[] => {
  const v = args.flags[name];
  const items = typeof v === 'string' ? v.split(',').filter(Boolean) : [...fallback];
  for (const i of items) if (!allowed.includes(i)) throw new WeirError('WEIR_INVALID_ARGUMENT', `--${name}: unknown '${i}' (known: ${allowed.join(', ')})`, { flag: name });
  return items;
};
const DEFAULT_BUFFER = 256 * 1024;
const cfg = {
  durationS: flag('duration', 10, 1),
  rate: flag('rate', 20_000, 10_000),
  keys: flag('keys', 1000, 1000),
  parallelism: flag('parallelism', 2, 2),
  intervalMs: flag('interval', 1000, 200),
  timeoutMs: flag('timeout', 60_000, 60_000),
  payloadBytes: flag('payload', 100, 100),
  recoveryWaitS: flag('recovery-wait', 60, 5),
  warmupMinMs: args.quick ? 300 : 1000,
  warmupMaxMs: args.quick ? 1000 : 20_000,
};
const modes = list('modes', args.quick ? ['aligned', 'unaligned'] : CHECKPOINT_MODES, CHECKPOINT_MODES) as CheckpointMode[];
const levelNames = Object.keys(BACKPRESSURE_LEVELS);
const levels = list('levels', args.quick ? ['2x'] : levelNames, levelNames) as BackpressureLevel[];
const sweep = (typeof args.flags.buffers === 'string' ? args.flags.buffers.split(',').filter(Boolean).map(Number) : args.quick ? [] : [16_384, 65_536, 1_048_576])
  .filter((b) => b !== DEFAULT_BUFFER);
for (const b of sweep) if (!Number.isInteger(b) || b < 1024) throw new WeirError('WEIR_INVALID_ARGUMENT', `--buffers: sizes must be integers >= 1024, got ${b}`, { flag: 'buffers' });
const injectFailure = args.flags['no-recovery'] !== true;
const writeReadme = args.flags['no-readme'] !== true && (!args.quick || args.flags.readme === true);

interface Case { mode: CheckpointMode; backpressure: BackpressureLevel; bufferBytes: number }
/** One result row (the JSON schema of the issue, plus a few diagnostic fields). */
interface Row extends Case {
  checkpointMsP50: number | null; checkpointMsP95: number | null; checkpointMsMax: number | null;
  alignmentMsP50: number | null; startDelayMsP50: number | null; stateBytesP50: number | null; persistedInFlightBytesP50: number | null;
  completed: number; aborted: number; recordsPerSec: number | null; recoveryMs: number | null;
  /** Set when the failover had not finished after --recovery-wait: how long was waited (a lower bound). */
  recoveryPendingMs: number | null;
  /** How long cancel() took until `done` settled (slow when cancelling during a restart). */
  cancelMs: number | null;
  /** Checkpoints still in progress at the end of the window, and the age of the oldest (a lower bound on its duration). */
  inProgress: number; pendingMsMax: number | null;
  /** Completed checkpoints in which some subtask ended unaligned. */
  unalignedCompleted: number;
  sinkMicros: number; warmupMs: number; restoredCheckpointId: number | null; error?: string;
}

const cases: Case[] = [
  ...modes.flatMap((mode) => levels.map((backpressure) => ({ mode, backpressure, bufferBytes: DEFAULT_BUFFER }))),
  ...(levels.includes('100x') ? sweep.flatMap((bufferBytes) => modes.map((mode) => ({ mode, backpressure: '100x' as const, bufferBytes }))) : []),
];

/** Nearest-rank percentile; null for no values. */
function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Every case may fail over (once, injected) without checkpoints too: restart from scratch then. */
const RESTART_STRATEGY = { type: 'fixed-delay', attempts: 3, delayMs: 0 } as const;

/** How long a cancelled job may take to end before the case is reported stuck. */
const CANCEL_WAIT_MS = 60_000;
let stuckJobs = 0;

async function runCase(c: Case): Promise<Row> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-bench-cp-'));
  const marker = path.join(dir, 'fail-now');
  const sinkMicros = sinkMicrosFor(cfg.rate, c.backpressure);
  const row: Row = {
    ...c, checkpointMsP50: null, checkpointMsP95: null, checkpointMsMax: null, alignmentMsP50: null, startDelayMsP50: null,
    stateBytesP50: null, persistedInFlightBytesP50: null, completed: 0, aborted: 0, recordsPerSec: null, recoveryMs: null, recoveryPendingMs: null, cancelMs: null,
    inProgress: 0, pendingMsMax: null, unalignedCompleted: 0, sinkMicros: Math.round(sinkMicros), warmupMs: 0, restoredCheckpointId: null,
  };
  const checkpointing = checkpointingFor(c.mode, { intervalMs: cfg.intervalMs, timeoutMs: cfg.timeoutMs, directory: path.join(dir, 'checkpoints') });
  const client = checkpointBenchJob.execute({
    params: { keys: cfg.keys, ratePerSecond: cfg.rate, sinkMicros, payloadBytes: cfg.payloadBytes, failureMarker: marker },
    parallelism: cfg.parallelism, bufferBytes: c.bufferBytes, stateBackend: 'lmdb', stateDirectory: path.join(dir, 'state'),
    retainCollected: false, restartStrategy: RESTART_STRATEGY, ...(checkpointing ? { checkpointing } : {}),
  });
  let failure: Error | undefined;
  client.done.catch((e: Error) => { failure = e; });
  const check = () => { if (failure) throw failure; };
  const sinkIn = (m: JobMetrics) => m.vertices.find((v) => v.id === 'slow-sink')?.recordsIn ?? 0;
  const inFlight = (m: JobMetrics) => (m.vertices.find((v) => v.id === 'source')?.recordsOut ?? 0) - sinkIn(m);
  const seen = new Map<number, CheckpointStats>();
  const pollStats = () => { for (const s of client.checkpointStats()?.history ?? []) seen.set(s.checkpointId, s); };
  try {
    // 1. Running.
    await client.running;
    // 2. Warm-up: until in-flight records grow by < 3 % (or 100 records) per 500 ms.
    const w0 = Date.now();
    let prev = inFlight(await client.metrics());
    for (;;) {
      await sleep(500);
      check();
      const cur = inFlight(await client.metrics());
      const elapsed = Date.now() - w0;
      if ((elapsed >= cfg.warmupMinMs && cur - prev <= Math.max(100, 0.03 * cur)) || elapsed >= cfg.warmupMaxMs) break;
      prev = cur;
    }
    row.warmupMs = Date.now() - w0;
    // 3. Measurement window.
    const m0 = await client.metrics();
    const tStart = Date.now();
    const tStop = tStart + cfg.durationS * 1000;
    while (Date.now() < tStop) { pollStats(); check(); await sleep(Math.min(250, Math.max(1, tStop - Date.now()))); }
    const m1 = await client.metrics();
    const tEnd = Date.now();
    pollStats();
    row.recordsPerSec = Math.round((sinkIn(m1) - sinkIn(m0)) / ((tEnd - tStart) / 1000));
    const all = [...seen.values()];
    const inWindow = all.filter((s) => s.triggerTimestamp >= tStart && s.triggerTimestamp <= tEnd && s.kind === 'checkpoint');
    const done = inWindow.filter((s) => s.status === 'completed');
    const pending = all.filter((s) => s.status === 'in_progress');
    const p = (k: 'durationMs' | 'alignmentMs' | 'startDelayMs' | 'stateBytes' | 'persistedInFlightBytes', q = 50) => percentile(done.map((s) => s[k]), q);
    Object.assign(row, {
      checkpointMsP50: p('durationMs'), checkpointMsP95: p('durationMs', 95), checkpointMsMax: p('durationMs', 100),
      alignmentMsP50: p('alignmentMs'), startDelayMsP50: p('startDelayMs'), stateBytesP50: p('stateBytes'),
      persistedInFlightBytesP50: p('persistedInFlightBytes'), completed: done.length,
      aborted: inWindow.filter((s) => s.status === 'failed').length, inProgress: pending.length,
      pendingMsMax: pending.length ? Math.max(...pending.map((s) => tEnd - s.triggerTimestamp)) : null,
      unalignedCompleted: done.filter((s) => s.unalignedSubtasks > 0).length,
    });
    // 4. One injected failure; wait until the new attempt runs (client.failovers is live).
    if (injectFailure) {
      fs.writeFileSync(marker, '');
      const injectedAt = Date.now();
      const deadline = injectedAt + cfg.recoveryWaitS * 1000;
      while (Date.now() < deadline && !failure && !(client.failovers[0]?.runningAt ?? 0)) await sleep(10);
      if (!failure && !(client.failovers[0]?.runningAt ?? 0)) row.recoveryPendingMs = Date.now() - injectedAt;
    }
  } catch (e) {
    row.error = (e as Error).message;
  } finally {
    // 5. Cancel and read the failover record. A job that does not end is reported, not waited for forever.
    const cancelledAt = Date.now();
    const ended = Promise.all([client.cancel(), client.done.catch(() => undefined)]).then(([, r]) => ({ result: r }));
    const timer = new AbortController();
    const settled = await Promise.race([ended, sleep(CANCEL_WAIT_MS, undefined, { signal: timer.signal }).then(() => undefined, () => undefined)]);
    timer.abort(); // the timer must not keep the process alive
    row.cancelMs = Date.now() - cancelledAt;
    if (!settled) {
      stuckJobs++;
      row.error = `the job did not end within ${CANCEL_WAIT_MS / 1000} s of cancel() (status '${client.status}')`;
    }
    const fo = (settled?.result?.failovers ?? client.failovers)[0];
    row.recoveryMs = fo && fo.runningAt > 0 ? Math.round(fo.recoveryMs) : null;
    row.restoredCheckpointId = fo?.restoredCheckpointId ?? null;
    if (failure && !row.error) row.error = failure.message;
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return row;
}

// ─── Output: Markdown table, JSON, charts, README section ────────────────────
type Col = { header: string; value: (r: Row) => string; right?: boolean };
const ms = (v: number | null) => (v === null ? '–' : formatNumber(v, 0));
const bytes = (v: number | null) => (v === null ? '–' : formatBytes(v));
const COLUMNS: Col[] = [
  { header: 'mode', value: (r) => r.mode }, { header: 'backpressure', value: (r) => r.backpressure },
  { header: 'buffer', value: (r) => formatBytes(r.bufferBytes), right: true },
  { header: 'ckpt p50 ms', value: (r) => (r.checkpointMsP50 === null && r.pendingMsMax !== null ? `≥ ${ms(r.pendingMsMax)}` : ms(r.checkpointMsP50)), right: true },
  { header: 'p95 ms', value: (r) => ms(r.checkpointMsP95), right: true }, { header: 'max ms', value: (r) => ms(r.checkpointMsMax), right: true },
  { header: 'align p50 ms', value: (r) => ms(r.alignmentMsP50), right: true }, { header: 'start delay p50 ms', value: (r) => ms(r.startDelayMsP50), right: true },
  { header: 'state p50', value: (r) => bytes(r.stateBytesP50), right: true }, { header: 'in-flight p50', value: (r) => bytes(r.persistedInFlightBytesP50), right: true },
  { header: 'done / aborted / pending', value: (r) => (r.mode === 'off' ? '–' : `${r.completed} / ${r.aborted} / ${r.inProgress}`), right: true },
  { header: 'records/s', value: (r) => ms(r.recordsPerSec), right: true },
  { header: 'recovery ms', value: (r) => (r.recoveryMs === null && r.recoveryPendingMs !== null ? `≥ ${ms(r.recoveryPendingMs)}` : `${ms(r.recoveryMs)}${r.recoveryMs !== null && r.restoredCheckpointId === null && r.mode !== 'off' ? ' (no ckpt)' : ''}`), right: true },
];

function markdownTable(rows: readonly Row[]): string {
  const cells = rows.map((r) => COLUMNS.map((c) => c.value(r) + (c.header === 'mode' && r.error ? ' (error)' : '')));
  const line = (xs: string[]) => `| ${xs.join(' | ')} |`;
  return [line(COLUMNS.map((c) => c.header)), line(COLUMNS.map((c) => (c.right ? '---:' : '---'))), ...cells.map(line)].join('\n');
}

async function writeChart(dir: string, name: string, svg: string): Promise<string[]> {
  fs.writeFileSync(path.join(dir, `${name}.svg`), svg);
  const png = await svgToPng(svg);
  if (png) fs.writeFileSync(path.join(dir, `${name}.png`), png);
  return png ? [`${name}.svg`, `${name}.png`] : [`${name}.svg`];
}

async function writeCharts(rows: readonly Row[], dir: string): Promise<string[]> {
  const grid = rows.filter((r) => r.bufferBytes === DEFAULT_BUFFER && r.mode !== 'off');
  const lowerBoundNote = 'Open marker with ≥: no checkpoint completed in the window; the age of the one still pending (a lower bound).';
  const durationPoint = (r: Row) => (r.checkpointMsP50 === null && r.pendingMsMax !== null ? { y: r.pendingMsMax, lowerBound: true } : { y: r.checkpointMsP50 });
  const byMode = (rs: readonly Row[], x: (r: Row) => string, y: (r: Row) => { y: number | null; lowerBound?: boolean }): ChartSeries[] =>
    modes.filter((m) => m !== 'off').map((m) => ({ name: m, points: rs.filter((r) => r.mode === m).map((r) => ({ x: x(r), ...y(r) })) }));
  const files: string[] = [];
  files.push(...await writeChart(dir, 'checkpoints-duration', renderLineChart({
    title: `Checkpoint duration (p50) vs backpressure — buffer ${formatBytes(DEFAULT_BUFFER)}`, xLabel: 'sink slower than the source by',
    yLabel: 'end-to-end checkpoint duration, ms', yScale: 'log', categories: levels, series: byMode(grid, (r) => r.backpressure, durationPoint), note: lowerBoundNote,
  })));
  files.push(...await writeChart(dir, 'checkpoints-inflight', renderLineChart({
    title: `Persisted in-flight bytes (p50) vs backpressure — buffer ${formatBytes(DEFAULT_BUFFER)}`, xLabel: 'sink slower than the source by',
    yLabel: 'in-flight bytes per checkpoint', formatY: formatBytes, yBytes: true, categories: levels,
    series: byMode(grid, (r) => r.backpressure, (r) => ({ y: r.persistedInFlightBytesP50 })),
  })));
  const swept = rows.filter((r) => r.backpressure === '100x' && r.mode !== 'off');
  const sizes = [...new Set(swept.map((r) => r.bufferBytes))].sort((a, b) => a - b);
  if (sizes.length > 1) {
    files.push(...await writeChart(dir, 'checkpoints-buffers', renderLineChart({
      title: 'Checkpoint duration (p50) vs ring-buffer size — 100x backpressure', xLabel: 'bufferBytes (each channel\'s ring)',
      yLabel: 'end-to-end checkpoint duration, ms', yScale: 'log', categories: sizes.map(formatBytes),
      series: byMode(swept, (r) => formatBytes(r.bufferBytes), durationPoint), note: lowerBoundNote,
    })));
  }
  return files;
}

function readmeSection(rows: readonly Row[], charts: string[], totalMs: number): string {
  const m = machineInfo();
  const argv = process.argv.slice(2).filter((a) => a !== '--');
  const command = `npm run bench:checkpoints${argv.length ? ` -- ${argv.join(' ')}` : ''}`;
  const rel = args.quick ? 'results/quick/' : 'results/';
  const pngs = charts.filter((f) => f.endsWith('.png'));
  const images = (pngs.length ? pngs : charts).map((f) => `![${f}](${rel}${f})`).join('\n\n');
  return `## checkpoints — \`npm run bench:checkpoints\`

**Question:** what does each checkpointing mode cost under backpressure — how long checkpoints take, how much
in-flight data unaligned ones persist, what happens to throughput, and how long recovery takes?

Job (\`jobs/checkpoint-bench-job.ts\`): generator source (parallelism ${cfg.parallelism}, ${formatNumber(cfg.rate, 0)} records/s in
total, ${cfg.payloadBytes}-byte padding per record) → map → keyBy (${cfg.keys} keys) → keyed counter in LMDB (parallelism
${cfg.parallelism}, each subtask reads ${cfg.parallelism} channels) → sink (parallelism 1) spinning \`factor × 10⁶ / rate\` µs per
record, so its capacity is 1/factor of the source rate (none, 2x, 10x, 100x). Modes: aligned, unaligned, aligned-timeout
(aligned, switching to unaligned after ${ALIGNED_TIMEOUT_MS} ms), at-least-once, off. Checkpoints every ${cfg.intervalMs} ms, timeout
${formatNumber(cfg.timeoutMs, 0)} ms, tolerable failures unlimited. The source is unbounded: each case warms up until the in-flight records stop
growing (rings full), measures for ${cfg.durationS} s, injects one failure (a map throws once), waits for the failover and
cancels — there is no final checkpoint. Statistics cover the checkpoints **triggered in the ${cfg.durationS} s window** (polled
from \`client.checkpointStats()\`); percentiles are nearest-rank over completed ones; "≥ N" means none completed and one was
still pending after N ms. Sizes are per checkpoint, summed over subtasks. records/s = sink input during the window.
Recovery = \`JobResult.failovers[0].recoveryMs\` (failure noticed → every subtask of the restarted attempt deployed and
restored; restart strategy fixed-delay, delay 0); "(no ckpt)" = restarted from scratch, no completed checkpoint to restore;
"≥ N" = the failover had not finished when the benchmark gave up waiting (\`--recovery-wait\`, ${cfg.recoveryWaitS} s).
The last rows sweep \`bufferBytes\` at 100x.

Generated ${new Date().toISOString().slice(0, 10)} by \`${command}\` (${formatDuration(totalMs)}) on ${m.cpus} cores
(${m.cpuModel}), ${formatNumber(m.totalMemoryMiB / 1024, 1)} GiB memory, Node ${process.version}${args.quick ? ' — a **quick** smoke run, not a measurement' : ''}.

${markdownTable(rows)}

Targets (at ${formatBytes(DEFAULT_BUFFER)} rings; a "≥" figure is the age a checkpoint had reached without completing):

${targetsTable(checkTargets(rows, DEFAULT_BUFFER, ALIGNED_TIMEOUT_MS))}

${images}
`;
}

function updateReadme(section: string): void {
  const file = new URL('./README.md', import.meta.url);
  const begin = '<!-- checkpoints:begin -->';
  const end = '<!-- checkpoints:end -->';
  const text = fs.readFileSync(file, 'utf8');
  const block = `${begin}\n${section}${end}`;
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  const next = i >= 0 && j > i ? text.slice(0, i) + block + text.slice(j + end.length) : `${text.trimEnd()}\n\n${block}\n`;
  fs.writeFileSync(file, next);
}

// ─── Main ────────────────────────────────────────────────────────────────────
const label = (c: Case) => `${c.mode} / ${c.backpressure} / ${formatBytes(c.bufferBytes)}`;
const bar = new ProgressBar();
const t0 = performance.now();
bar.start(cases.length);
const rows: Row[] = [];
for (const [i, c] of cases.entries()) {
  bar.update(i, label(c));
  rows.push(await runCase(c));
}
bar.finish();
const totalMs = performance.now() - t0;
const outDir = args.quick ? path.join(RESULTS_DIR, 'quick') : RESULTS_DIR;
fs.mkdirSync(outDir, { recursive: true });
console.log(`checkpoints: ${cases.length} cases × ${cfg.durationS} s, ${formatNumber(cfg.rate, 0)} records/s, ${cfg.keys} keys, parallelism ${cfg.parallelism}, interval ${cfg.intervalMs} ms${injectFailure ? '' : ' (--no-recovery)'}\n`);
console.log(markdownTable(rows));
for (const r of rows) if (r.error) console.log(`\n${label(r)}: ${r.error}`);
const targets = checkTargets(rows, DEFAULT_BUFFER, ALIGNED_TIMEOUT_MS);
console.log(`\n${targetsTable(targets)}`);
const file = writeResults('checkpoints', rows, { quick: args.quick, config: cfg, durationMs: Math.round(totalMs), targets });
const charts = await writeCharts(rows, outDir);
console.log(`\nresults: ${file}\ncharts: ${charts.map((f) => path.join(outDir, f)).join(', ')}`);
if (writeReadme) {
  updateReadme(readmeSection(rows, charts, totalMs));
  console.log('README: benchmarks/README.md (checkpoints section)');
}
// A job that never ended after cancel() still holds worker threads; leave anyway (its case reports the error).
if (stuckJobs > 0) process.exit(1);
