/**
 * Output of `bench:checkpoints` (benchmarks/checkpoints.ts): the Markdown tables (grid,
 * recovery case, Flink replica next to Flink's published figures), the SVG + PNG charts
 * (duration and persisted in-flight bytes against backpressure per mode, the ring-size sweep,
 * recovery time per mode, the replica) and the generated section of benchmarks/README.md.
 */
import fs from 'node:fs';
import path from 'node:path';
import { formatNumber, machineInfo } from './index.ts';
import { formatDuration } from './progress-bar.ts';
import { renderLineChart, svgToPng, formatBytes, type ChartSeries } from './chart.ts';
import { renderBarChart } from './bar-chart.ts';
import { targetsTable, type TargetVerdict } from './checkpoint-targets.ts';
import type { Row, CaseConfig } from './checkpoint-case.ts';
import { FLINK_PUBLISHED, REPLICA_MODES, REPLICA_DEBLOAT_TARGET_MS, type ReplicaRow, type ReplicaConfig } from './flink-replica-case.ts';
import { ALIGNED_TIMEOUT_MS, DEBLOAT_TARGET_MS } from '../jobs/checkpoint-bench-job.ts';

/** What the report needs besides the rows. */
export interface ReportContext {
  cfg: CaseConfig; replicaCfg: ReplicaConfig; defaultBuffer: number; recoveryBuffer: number;
  levels: readonly string[]; modes: readonly string[]; quick: boolean; totalMs: number;
  /** `--note=…`: a remark printed under the "Generated" line (e.g. that the machine was loaded). */
  note?: string;
}

type Col = { header: string; value: (r: Row) => string; right?: boolean };
const ms = (v: number | null) => (v === null ? '–' : formatNumber(v, 0));
const bytes = (v: number | null) => (v === null ? '–' : formatBytes(v));
/** p50, or "≥ age" of the oldest pending checkpoint when none completed. */
const p50Cell = (r: { checkpointMsP50: number | null; pendingMsMax: number | null }) =>
  (r.checkpointMsP50 === null && r.pendingMsMax !== null ? `≥ ${ms(r.pendingMsMax)}` : ms(r.checkpointMsP50));

const GRID_COLUMNS: Col[] = [
  { header: 'mode', value: (r) => r.caseMode + (r.error ? ' (error)' : '') }, { header: 'backpressure', value: (r) => r.backpressure },
  { header: 'buffer', value: (r) => formatBytes(r.bufferBytes), right: true },
  { header: 'ckpt p50 ms', value: p50Cell, right: true },
  { header: 'p95 ms', value: (r) => ms(r.checkpointMsP95), right: true }, { header: 'max ms', value: (r) => ms(r.checkpointMsMax), right: true },
  { header: 'expected aligned ms', value: (r) => ms(r.expectedAlignedMs), right: true },
  { header: 'align p50 ms', value: (r) => ms(r.alignmentMsP50), right: true }, { header: 'start delay p50 ms', value: (r) => ms(r.startDelayMsP50), right: true },
  { header: 'in-flight p50', value: (r) => bytes(r.persistedInFlightBytesP50), right: true },
  { header: 'done / aborted / pending', value: (r) => (r.mode === 'off' ? '–' : `${r.completed} / ${r.aborted} / ${r.inProgress}`), right: true },
  { header: 'window s', value: (r) => `${formatNumber(r.windowMs / 1000, 1)}${r.hitCap ? ' (cap)' : ''}`, right: true },
  { header: 'records/s', value: (r) => ms(r.recordsPerSec), right: true },
  { header: 'recovery ms', value: (r) => (r.recoveryMs === null && r.recoveryPendingMs !== null ? `≥ ${ms(r.recoveryPendingMs)}` : `${ms(r.recoveryMs)}${r.recoveryMs !== null && r.restoredCheckpointId === null && r.mode !== 'off' ? ' (no ckpt)' : ''}`), right: true },
];

const RECOVERY_COLUMNS: Col[] = [
  { header: 'mode', value: (r) => r.caseMode + (r.error ? ' (error)' : '') }, { header: 'backpressure', value: (r) => r.backpressure },
  { header: 'buffer', value: (r) => formatBytes(r.bufferBytes), right: true },
  { header: 'restored ckpt p50 ms', value: p50Cell, right: true },
  { header: 'in-flight persisted', value: (r) => bytes(r.persistedInFlightBytesP50), right: true },
  { header: 'records to replay', value: (r) => ms(r.replayRecords), right: true },
  { header: 'restart ms', value: (r) => ms(r.restartMs), right: true },
  { header: 'recovery ms', value: (r) => (r.recoveryMs === null && r.recoveryPendingMs !== null ? `≥ ${ms(r.recoveryPendingMs)}` : ms(r.recoveryMs)), right: true },
  { header: 'ckpt during recovery', value: (r) => (r.checkpointDuringRecovery === null ? (r.replayRecords === 0 ? 'n/a (nothing to replay)' : '–') : r.checkpointDuringRecovery ? `${r.checkpointsDuringRecovery ?? '?'} (fastest ${ms(r.checkpointDuringRecoveryMs)} ms)` : 'no'), right: true },
];

function table<R>(rows: readonly R[], cols: ReadonlyArray<{ header: string; value: (r: R) => string; right?: boolean }>): string {
  const line = (xs: string[]) => `| ${xs.join(' | ')} |`;
  return [line(cols.map((c) => c.header)), line(cols.map((c) => (c.right ? '---:' : '---'))), ...rows.map((r) => line(cols.map((c) => c.value(r))))].join('\n');
}

/** The grid table (mode × level, then the ring sweep). */
export const gridTable = (rows: readonly Row[]) => table(rows.filter((r) => r.kind === 'grid'), GRID_COLUMNS);
/** The recovery-case table. */
export const recoveryTable = (rows: readonly Row[]) => table(rows.filter((r) => r.kind === 'recovery'), RECOVERY_COLUMNS);

/** Weir's replica figures (one column per sink sleep) beside Flink's published ones. */
export function replicaTable(rows: readonly ReplicaRow[]): string {
  const sleeps = [...new Set(rows.map((r) => r.sinkSleepMs))];
  const modes = REPLICA_MODES.filter((m) => rows.some((r) => r.caseMode === m));
  const cell = (r: ReplicaRow | undefined) => (!r ? '–' : r.error ? 'error' : `${r.checkpointMsP50 === null && r.pendingMsMax !== null ? `≥ ${ms(r.pendingMsMax)}` : ms(r.checkpointMsP50)} ms (expected ${ms(r.expectedAlignedMs)}; ${r.completed} done, ${ms(r.recordsPerSec)} rec/s)`);
  return table(modes, [
    { header: 'mode', value: (m) => (m === 'aligned+debloat' ? `aligned+debloat (${REPLICA_DEBLOAT_TARGET_MS} ms)` : m === 'aligned-timeout' ? `aligned-timeout (${ALIGNED_TIMEOUT_MS} ms)` : m) },
    { header: 'Flink, published (issue #17 anchors)', value: (m) => FLINK_PUBLISHED[m] },
    ...sleeps.map((s) => ({ header: `Weir, measured here: sink sleep ${s} ms — ckpt p50`, value: (m: string) => cell(rows.find((r) => r.caseMode === m && r.sinkSleepMs === s)), right: true })),
  ]);
}

async function writeChart(dir: string, name: string, svg: string): Promise<string[]> {
  fs.writeFileSync(path.join(dir, `${name}.svg`), svg);
  const png = await svgToPng(svg);
  if (png) fs.writeFileSync(path.join(dir, `${name}.png`), png);
  return png ? [`${name}.svg`, `${name}.png`] : [`${name}.svg`];
}

/** Every chart; returns the file names written into `dir`. */
export async function writeCharts(rows: readonly Row[], replica: readonly ReplicaRow[], ctx: ReportContext, dir: string): Promise<string[]> {
  const grid = rows.filter((r) => r.kind === 'grid' && r.bufferBytes === ctx.defaultBuffer && r.mode !== 'off');
  const lowerBoundNote = 'Open marker with ≥: no checkpoint completed within the case cap; the age of the one still pending (a lower bound).';
  const durationPoint = (r: Row) => (r.checkpointMsP50 === null && r.pendingMsMax !== null ? { y: r.pendingMsMax, lowerBound: true } : { y: r.checkpointMsP50 });
  const byMode = (rs: readonly Row[], x: (r: Row) => string, y: (r: Row) => { y: number | null; lowerBound?: boolean }): ChartSeries[] =>
    ctx.modes.filter((m) => m !== 'off').map((m) => ({ name: m, points: rs.filter((r) => r.caseMode === m).map((r) => ({ x: x(r), ...y(r) })) }));
  const files: string[] = [];
  files.push(...await writeChart(dir, 'checkpoints-duration', renderLineChart({
    title: `Checkpoint duration (p50) vs backpressure — buffer ${formatBytes(ctx.defaultBuffer)}`, xLabel: 'sink slower than the source by',
    yLabel: 'end-to-end checkpoint duration, ms', yScale: 'log', categories: ctx.levels, series: byMode(grid, (r) => r.backpressure, durationPoint), note: lowerBoundNote,
  })));
  files.push(...await writeChart(dir, 'checkpoints-inflight', renderLineChart({
    title: `Persisted in-flight bytes (p50) vs backpressure — buffer ${formatBytes(ctx.defaultBuffer)}`, xLabel: 'sink slower than the source by',
    yLabel: 'in-flight bytes per checkpoint', formatY: formatBytes, yBytes: true, categories: ctx.levels,
    series: byMode(grid, (r) => r.backpressure, (r) => ({ y: r.persistedInFlightBytesP50 })),
  })));
  const swept = rows.filter((r) => r.kind === 'grid' && r.backpressure === '100x' && r.mode !== 'off');
  const sizes = [...new Set(swept.map((r) => r.bufferBytes))].sort((a, b) => a - b);
  if (sizes.length > 1) {
    files.push(...await writeChart(dir, 'checkpoints-buffers', renderLineChart({
      title: 'Checkpoint duration (p50) vs ring-buffer size — 100x backpressure', xLabel: 'bufferBytes (each channel\'s ring)',
      yLabel: 'end-to-end checkpoint duration, ms', yScale: 'log', categories: sizes.map(formatBytes),
      series: byMode(swept, (r) => formatBytes(r.bufferBytes), durationPoint), note: lowerBoundNote,
    })));
  }
  const rec = rows.filter((r) => r.kind === 'recovery');
  if (rec.length > 0) {
    files.push(...await writeChart(dir, 'checkpoints-recovery', renderBarChart({
      title: `Recovery time per mode — 100x backpressure, ${formatBytes(ctx.recoveryBuffer)} rings`, xLabel: 'mode',
      yLabel: 'ms', yScale: 'log', categories: rec.map((r) => r.caseMode),
      series: [
        { name: 'restart', values: rec.map((r) => r.restartMs) },
        { name: 'until replayed', values: rec.map((r) => r.recoveryMs) },
      ],
      note: 'restart: failure → new attempt restored; until replayed: → restored in-flight data replayed (failovers[0].replayedAt). No bar: not finished.',
    })));
  }
  if (replica.length > 0) {
    const sleeps = [...new Set(replica.map((r) => r.sinkSleepMs))];
    const modes = REPLICA_MODES.filter((m) => replica.some((r) => r.caseMode === m));
    files.push(...await writeChart(dir, 'checkpoints-flink-replica', renderBarChart({
      title: 'Flink CheckpointingTimeBenchmark replica — Weir, measured here', xLabel: 'mode', yLabel: 'checkpoint p50, ms', yScale: 'log',
      categories: modes, series: sleeps.map((s) => ({ name: `sink sleep ${s} ms`, values: modes.map((m) => replica.find((r) => r.caseMode === m && r.sinkSleepMs === s)?.checkpointMsP50 ?? null) })),
      note: 'Flink published (issue #17): unaligned ≈ 11–45 ms, aligned 1.6–13.3 s, aligned+debloat (300 ms) ≈ 0.88 s, aligned-timeout ≈ 133 ms.',
    })));
  }
  return files;
}

/** The generated section of benchmarks/README.md. */
export function readmeSection(rows: readonly Row[], replica: readonly ReplicaRow[], targets: readonly TargetVerdict[], charts: readonly string[], ctx: ReportContext): string {
  const { cfg, replicaCfg: rc } = ctx;
  const m = machineInfo();
  const argv = process.argv.slice(2).filter((a) => a !== '--' && !a.startsWith('--note='));
  const command = `npm run bench:checkpoints${argv.length ? ` -- ${argv.join(' ')}` : ''}`;
  const rel = ctx.quick ? 'results/quick/' : 'results/';
  const pngs = charts.filter((f) => f.endsWith('.png'));
  const images = (pngs.length ? pngs : charts).map((f) => `![${f}](${rel}${f})`).join('\n\n');
  const hasRecovery = rows.some((r) => r.kind === 'recovery');
  return `## checkpoints — \`npm run bench:checkpoints\`

**Question:** what does each checkpointing mode cost under backpressure — how long checkpoints take
(measured to completion, next to what the in-flight data predicts), how much in-flight data unaligned
ones persist, what happens to throughput, and how long recovery takes?

Files: \`checkpoints.ts\` (flags, main), \`support/checkpoint-case.ts\` (one case), \`support/checkpoint-report.ts\`
(tables, charts, this section), \`support/checkpoint-targets.ts\` (issue #17's targets), \`support/flink-replica-case.ts\` and
\`jobs/flink-replica-job.ts\` (the Flink replica). Flags: \`--quick\` (CI smoke: 1 checkpoint per case, 2x, aligned +
unaligned, no replica, no recovery case), \`--checkpoints=N\`, \`--max-case-s=S\`, \`--modes=a,b\`, \`--levels=none,100x\`,
\`--buffers=16384,65536\`, \`--recovery-modes=a,b\` / \`--no-recovery-case\`, \`--recovery-wait=S\`, \`--no-recovery\` (no injected
failure per case), \`--flink-replica\` / \`--no-flink-replica\`, \`--replica-sleeps=10,1,0.2\`, \`--replica-modes=…\`, \`--replica-parallelism\`,
\`--replica-buffer\`, \`--replica-record\`,
\`--min-window-s\`, \`--off-s\`, \`--rate\`, \`--keys\`, \`--parallelism\`, \`--interval\`, \`--timeout\`, \`--payload\`, \`--readme\` / \`--no-readme\`, \`--note=TEXT\` (a remark under "Generated").

Job (\`jobs/checkpoint-bench-job.ts\`): generator source (parallelism ${cfg.parallelism}, ${formatNumber(cfg.rate, 0)} records/s in
total, ${cfg.payloadBytes}-byte padding per record) → map → keyBy (${cfg.keys} keys) → keyed counter in LMDB (parallelism
${cfg.parallelism}, each subtask reads ${cfg.parallelism} channels) → sink (parallelism 1) spinning \`factor × 10⁶ / rate\` µs per
record, so its capacity is 1/factor of the source rate (none, 2x, 10x, 100x). Modes: aligned, aligned+debloat (buffer
debloating, \`bufferDebloat: { targetMs: ${DEBLOAT_TARGET_MS} }\`), aligned-timeout (aligned, switching to unaligned after
${ALIGNED_TIMEOUT_MS} ms), unaligned, unaligned+debloat, at-least-once, off; JSON rows carry the base mode and \`debloat\`.
Checkpoints every ${cfg.intervalMs} ms (a new one only when none is in progress: \`maxConcurrent\` 1), timeout
${formatNumber(cfg.timeoutMs, 0)} ms, tolerable failures unlimited.

**Method.** The source is unbounded. Each case warms up until the in-flight records (source out − sink in) stop growing
(rings full; with debloating 2 s more), then measures **until ${cfg.checkpoints} checkpoint${cfg.checkpoints === 1 ? '' : 's'} triggered after the warm-up
have completed** and at least ${cfg.minWindowS} s have passed (cap ${cfg.maxCaseS} s per case; mode off: ${cfg.offWindowS} s). Percentiles are nearest-rank over those
checkpoints; "≥ N" (only when a case hit its cap) is the age of a checkpoint still pending, a lower bound. records/s = sink
input over the same window. **expected aligned ms** = in-flight records at the checkpoint's trigger ÷ sink records/s (p50):
how long the barrier needs to reach the sink behind the queued records — what an aligned checkpoint should take. Sizes are
per checkpoint, summed over subtasks. Each case then injects one failure (a map throws once) and waits for the failover
(\`--recovery-wait\`, ${cfg.recoveryWaitS} s); its recovery ms = \`failovers[0].recoveryMs\` (failure noticed → every subtask of the new
attempt restored; "(no ckpt)" = restarted from scratch). The job is cancelled — no final checkpoint.${hasRecovery ? `

**Recovery case** (100x, ${formatBytes(ctx.recoveryBuffer)} rings, per mode): after the warm-up it waits for one completed checkpoint,
injects the failure and follows the new attempt until the runtime reports the restored in-flight data replayed
(\`failovers[0].replayedAt\`: every subtask replayed what it restored). records to replay = the restored checkpoint's persisted
in-flight bytes ÷ the source's bytes per record (for scale); recovery ms = failure noticed → replay over (= restart when nothing
was persisted); "ckpt during recovery" = \`failovers[0].checkpointsDuringReplay\` (checkpoints completed after the new attempt
ran and before the replay was over) and the fastest one's duration.` : ''}${replica.length ? `

**Flink replica** (\`jobs/flink-replica-job.ts\`): Flink's \`CheckpointingTimeBenchmark\` (apache/flink-benchmarks) — source →
rebalance → map → rebalance → sink, all at parallelism ${rc.parallelism} (Flink: 4), one worker thread per subtask (Flink: one task
manager per subtask), ${formatBytes(rc.recordBytes)} records (Flink: 1 KiB; 64 B in its debloating mode), ${formatBytes(rc.bufferBytes)} rings, the sink
sleeping per record (\`Atomics.wait\`). As in Flink, periodic checkpointing is off: after the warm-up (back-pressured;
+2 s with debloating, Flink's stabilization period) ${rc.checkpoints} checkpoints are triggered one after another
(\`triggerCheckpoint()\`) and each one's duration is taken (cap ${rc.maxCaseS} s per case). Debloating target ${REPLICA_DEBLOAT_TARGET_MS} ms as
in Flink's benchmark. Flink's figures are the published anchors quoted in issue #17; the flink-benchmarks repository holds
the code, not results, so no per-sleep breakdown is shown for them.` : ''}

Generated ${new Date().toISOString().slice(0, 10)} by \`${command}\` (${formatDuration(ctx.totalMs)}) on ${m.cpus} cores
(${m.cpuModel}), ${formatNumber(m.totalMemoryMiB / 1024, 1)} GiB memory, Node ${process.version}${ctx.quick ? ' — a **quick** smoke run, not a measurement' : ''}.${ctx.note ? `\n${ctx.note}` : ''}

${gridTable(rows)}
${hasRecovery ? `\nRecovery case:\n\n${recoveryTable(rows)}\n` : ''}${replica.length ? `\nFlink replica — Flink's **published** figures next to Weir's figures **measured here**:\n\n${replicaTable(replica)}\n` : ''}
Targets (issue #17, at ${formatBytes(ctx.defaultBuffer)} rings):

${targetsTable(targets)}

${images}
`;
}

/** Replace the section between the checkpoints markers of benchmarks/README.md. */
export function updateReadme(section: string): void {
  const file = new URL('../README.md', import.meta.url);
  const begin = '<!-- checkpoints:begin -->';
  const end = '<!-- checkpoints:end -->';
  const text = fs.readFileSync(file, 'utf8');
  const block = `${begin}\n${section}${end}`;
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  const next = i >= 0 && j > i ? text.slice(0, i) + block + text.slice(j + end.length) : `${text.trimEnd()}\n\n${block}\n`;
  fs.writeFileSync(file, next);
}
