/**
 * npm run bench:checkpoints [-- --quick] [--checkpoints=N] [--max-case-s=S] [--modes=a,b] [--levels=none,100x]
 *   [--buffers=16384,65536] [--recovery-modes=a,b | --no-recovery-case] [--recovery-wait=S] [--no-recovery]
 *   [--flink-replica | --no-flink-replica] [--replica-sleeps=10,1,0.2] [--replica-modes=a,b] [--replica-parallelism=N]
 *   [--replica-buffer=B] [--replica-record=B] [--rate=N] [--keys=N] [--parallelism=N] [--interval=MS] [--timeout=MS]
 *   [--payload=B] [--off-s=S] [--min-window-s=S] [--readme | --no-readme] [--note=TEXT]
 *
 * Question: what do aligned, aligned+debloat, aligned-with-timeout, unaligned, unaligned+debloat
 * and at-least-once checkpoints cost under backpressure (duration measured to completion next to
 * the expected aligned duration, alignment, in-flight bytes persisted, throughput, recovery)?
 * Workload and modes: jobs/checkpoint-bench-job.ts. Three case groups:
 *   - the grid, mode × backpressure (+ a ring-size sweep at 100x): support/checkpoint-case.ts
 *     `runCase` — after the warm-up, measure until --checkpoints checkpoints triggered after it
 *     have completed (cap --max-case-s), then one injected failure;
 *   - the recovery case, 100x with 1 MiB rings per mode: `runRecoveryCase` — recovery time until
 *     the restored in-flight data is replayed, and whether a checkpoint completed meanwhile;
 *   - the Flink replica (--flink-replica): support/flink-replica-case.ts.
 * Output: Markdown tables on stdout, results/checkpoints.json (writeResults), SVG + PNG charts and
 * (full runs, or --readme) the generated section of README.md (support/checkpoint-report.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseBenchArgs, writeResults, RESULTS_DIR, formatNumber } from './support/index.ts';
import { ProgressBar } from './support/progress-bar.ts';
import { formatBytes } from './support/chart.ts';
import { checkTargets, targetsTable } from './support/checkpoint-targets.ts';
import { runCase, runRecoveryCase, stuckJobs, type Case, type CaseConfig, type Row } from './support/checkpoint-case.ts';
import { runReplicaCase, REPLICA_MODES, REPLICA_SLEEPS_MS, type ReplicaConfig, type ReplicaRow } from './support/flink-replica-case.ts';
import { gridTable, recoveryTable, replicaTable, readmeSection, updateReadme, writeCharts, type ReportContext } from './support/checkpoint-report.ts';
import { CHECKPOINT_MODES, BACKPRESSURE_LEVELS, ALIGNED_TIMEOUT_MS, type CheckpointMode, type BackpressureLevel } from './jobs/checkpoint-bench-job.ts';
import { WeirError } from '../index.ts';

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
const onOff = (name: string, full: boolean): boolean => (args.flags[`no-${name}`] === true ? false : args.flags[name] === true ? true : full && !args.quick);
const DEFAULT_BUFFER = 256 * 1024;
const RECOVERY_BUFFER = 1024 * 1024;
const cfg: CaseConfig = {
  checkpoints: Math.round(flag('checkpoints', 3, 1)),
  maxCaseS: flag('max-case-s', 600, 30),
  offWindowS: flag('off-s', 5, 1),
  minWindowS: flag('min-window-s', 3, 0.5),
  rate: flag('rate', 20_000, 10_000),
  keys: flag('keys', 1000, 1000),
  parallelism: flag('parallelism', 2, 2),
  intervalMs: flag('interval', 1000, 200),
  timeoutMs: flag('timeout', 600_000, 60_000),
  payloadBytes: flag('payload', 100, 100),
  recoveryWaitS: flag('recovery-wait', 400, 10),
  warmupMinMs: args.quick ? 300 : 1000,
  warmupMaxMs: args.quick ? 1000 : 20_000,
  injectFailure: args.flags['no-recovery'] !== true,
};
const modes = list('modes', args.quick ? ['aligned', 'unaligned'] : CHECKPOINT_MODES, CHECKPOINT_MODES) as CheckpointMode[];
const levelNames = Object.keys(BACKPRESSURE_LEVELS);
const levels = list('levels', args.quick ? ['2x'] : levelNames, levelNames) as BackpressureLevel[];
const sweep = (typeof args.flags.buffers === 'string' ? args.flags.buffers.split(',').filter(Boolean).map(Number) : args.quick ? [] : [16_384, 65_536, 1_048_576])
  .filter((b) => b !== DEFAULT_BUFFER);
for (const b of sweep) if (!Number.isInteger(b) || b < 1024) throw new WeirError('WEIR_INVALID_ARGUMENT', `--buffers: sizes must be integers >= 1024, got ${b}`, { flag: 'buffers' });
const RECOVERY_MODES: readonly CheckpointMode[] = ['aligned', 'aligned-timeout', 'unaligned', 'unaligned+debloat', 'aligned+debloat'];
const recoveryModes = onOff('recovery-case', true) ? list('recovery-modes', RECOVERY_MODES, CHECKPOINT_MODES.filter((m) => m !== 'off')) as CheckpointMode[] : [];
const replicaOn = onOff('flink-replica', true);
const replicaSleeps = (typeof args.flags['replica-sleeps'] === 'string' ? args.flags['replica-sleeps'].split(',').filter(Boolean).map(Number) : [...REPLICA_SLEEPS_MS]);
for (const s of replicaSleeps) if (!(s > 0)) throw new WeirError('WEIR_INVALID_ARGUMENT', `--replica-sleeps: values must be > 0 ms, got ${s}`, { flag: 'replica-sleeps' });
const replicaModes = list('replica-modes', REPLICA_MODES, REPLICA_MODES) as CheckpointMode[];
const replicaCfg: ReplicaConfig = {
  parallelism: Math.round(flag('replica-parallelism', 4, 2)), bufferBytes: Math.round(flag('replica-buffer', 64 * 1024, 64 * 1024)),
  recordBytes: Math.round(flag('replica-record', 1024, 1024)), checkpoints: cfg.checkpoints, maxCaseS: cfg.maxCaseS, timeoutMs: cfg.timeoutMs,
};
const writeReadme = args.flags['no-readme'] !== true && (!args.quick || args.flags.readme === true);

const gridCases: Case[] = [
  ...modes.flatMap((mode) => levels.map((backpressure) => ({ mode, backpressure, bufferBytes: DEFAULT_BUFFER }))),
  ...(levels.includes('100x') ? sweep.flatMap((bufferBytes) => modes.map((mode) => ({ mode, backpressure: '100x' as const, bufferBytes }))) : []),
];
const recoveryCases: Case[] = recoveryModes.map((mode) => ({ mode, backpressure: '100x', bufferBytes: RECOVERY_BUFFER }));
const replicaCases = replicaOn ? replicaSleeps.flatMap((s) => replicaModes.map((mode) => ({ mode, sleep: s }))) : [];

// ─── Main ────────────────────────────────────────────────────────────────────
const label = (c: Case) => `${c.mode} / ${c.backpressure} / ${formatBytes(c.bufferBytes)}`;
const bar = new ProgressBar();
const t0 = performance.now();
bar.start(gridCases.length + recoveryCases.length + replicaCases.length);
const rows: Row[] = [];
let done = 0;
for (const c of gridCases) { bar.update(done++, label(c)); rows.push(await runCase(c, cfg)); }
for (const c of recoveryCases) { bar.update(done++, `recovery: ${label(c)}`); rows.push(await runRecoveryCase(c, cfg)); }
const replica: ReplicaRow[] = [];
for (const c of replicaCases) { bar.update(done++, `flink replica: ${c.mode} / sleep ${c.sleep} ms`); replica.push(await runReplicaCase(c.mode, c.sleep, replicaCfg)); }
bar.finish();
const totalMs = performance.now() - t0;
const outDir = args.quick ? path.join(RESULTS_DIR, 'quick') : RESULTS_DIR;
fs.mkdirSync(outDir, { recursive: true });
console.log(`checkpoints: ${gridCases.length} grid cases until ${cfg.checkpoints} completed checkpoint(s) each (cap ${cfg.maxCaseS} s), ${recoveryCases.length} recovery cases, ${replicaCases.length} Flink-replica cases; ${formatNumber(cfg.rate, 0)} records/s, ${cfg.keys} keys, parallelism ${cfg.parallelism}, interval ${cfg.intervalMs} ms${cfg.injectFailure ? '' : ' (--no-recovery)'}\n`);
console.log(gridTable(rows));
if (recoveryCases.length) console.log(`\nRecovery case:\n\n${recoveryTable(rows)}`);
if (replica.length) console.log(`\nFlink replica (Flink: published; Weir: measured here):\n\n${replicaTable(replica)}`);
for (const r of rows) if (r.error) console.log(`\n${r.kind === 'recovery' ? 'recovery: ' : ''}${label({ mode: r.caseMode, backpressure: r.backpressure, bufferBytes: r.bufferBytes })}: ${r.error}`);
for (const r of replica) if (r.error) console.log(`\nflink replica ${r.caseMode} / sleep ${r.sinkSleepMs} ms: ${r.error}`);
const targets = checkTargets(rows, { bufferBytes: DEFAULT_BUFFER, alignedTimeoutMs: ALIGNED_TIMEOUT_MS, checkpoints: cfg.checkpoints, recoveryBufferBytes: RECOVERY_BUFFER });
console.log(`\n${targetsTable(targets)}`);
const file = writeResults('checkpoints', rows, { quick: args.quick, config: cfg, replicaConfig: replicaCfg, flinkReplica: replica, durationMs: Math.round(totalMs), targets });
const ctx: ReportContext = { cfg, replicaCfg, defaultBuffer: DEFAULT_BUFFER, recoveryBuffer: RECOVERY_BUFFER, levels, modes, quick: args.quick, totalMs,
  ...(typeof args.flags.note === 'string' ? { note: args.flags.note } : {}) };
const charts = await writeCharts(rows, replica, ctx, outDir);
console.log(`\nresults: ${file}\ncharts: ${charts.map((f) => path.join(outDir, f)).join(', ')}`);
if (writeReadme) {
  updateReadme(readmeSection(rows, replica, targets, charts, ctx));
  console.log('README: benchmarks/README.md (checkpoints section)');
}
// A job that never ended after cancel() still holds worker threads; leave anyway (its case reports the error).
if (stuckJobs > 0) process.exit(1);
