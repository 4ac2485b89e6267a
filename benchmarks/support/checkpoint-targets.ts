/**
 * The targets of issue #17 ("What it must show"), checked against the rows of one
 * `bench:checkpoints` run (pure: rows in, verdicts out). Ratios need both sides measured: a case
 * that ended at its cap with no completed checkpoint (only a lower bound) misses the target it
 * takes part in; a case that was not run gives "n/a".
 */

/** What a target check needs of a result row (`mode` is the base mode, `debloat` the suffix). */
export interface TargetRow {
  mode: string;
  debloat?: boolean;
  backpressure: string;
  bufferBytes: number;
  /** 'recovery' rows are the recovery case; anything else is the grid. */
  kind?: string;
  checkpointMsP50: number | null;
  /** Age of the oldest checkpoint still pending at the end of the window (none completed). */
  pendingMsMax?: number | null;
  completed?: number;
  recordsPerSec?: number | null;
  recoveryMs?: number | null;
  /** Recovery case: a checkpoint completed during the replay (null: nothing to replay). */
  checkpointDuringRecovery?: boolean | null;
}

export interface TargetVerdict {
  target: string;
  /** The measured figure, in words. */
  measured: string;
  /** true met, false missed, null not measurable from these rows. */
  met: boolean | null;
}

type Duration = { ms: number; lowerBound: boolean };

/** p50 of a case, or the lower bound when nothing completed. */
function duration(r: TargetRow | undefined): Duration | undefined {
  if (!r) return undefined;
  if (r.checkpointMsP50 !== null) return { ms: r.checkpointMsP50, lowerBound: false };
  if (r.pendingMsMax !== null && r.pendingMsMax !== undefined) return { ms: r.pendingMsMax, lowerBound: true };
  return undefined;
}

const show = (d: Duration | undefined) => (d ? `${d.lowerBound ? '≥ ' : ''}${Math.round(d.ms)} ms` : '–');
const LEVELS = ['none', '2x', '10x', '100x'] as const;
/** The grid's modes, named as on the command line. */
const GRID_MODES = ['aligned', 'aligned+debloat', 'aligned-timeout', 'unaligned', 'unaligned+debloat', 'at-least-once'] as const;

const nameOf = (r: TargetRow) => `${r.mode}${r.debloat ? '+debloat' : ''}`;

/** Verdicts at the given ring size (the default one; the sweep rows are ignored). */
export function checkTargets(rows: readonly TargetRow[], opts: { bufferBytes: number; alignedTimeoutMs: number; checkpoints: number; recoveryBufferBytes: number }): TargetVerdict[] {
  const grid = rows.filter((r) => r.kind !== 'recovery' && r.bufferBytes === opts.bufferBytes);
  const row = (mode: string, level: string) => grid.find((r) => nameOf(r) === mode && r.backpressure === level);
  const at = (mode: string, level: string) => duration(row(mode, level));
  /** Both measured: a figure, or why not (met false for a lower bound, null when missing). */
  const both = (a: Duration | undefined, b: Duration | undefined): boolean | null | 'ok' =>
    (!a || !b ? null : a.lowerBound || b.lowerBound ? false : 'ok');
  const out: TargetVerdict[] = [];
  // 1. Every mode completes ≥ N checkpoints at every level.
  for (const mode of GRID_MODES) {
    const rs = LEVELS.map((l) => row(mode, l));
    if (rs.every((r) => !r)) continue;
    const measured = LEVELS.map((l, i) => `${l} ${rs[i] ? String(rs[i]!.completed ?? 0) : '–'}`).join(', ');
    const met = rs.some((r) => r && (r.completed ?? 0) < opts.checkpoints) ? false : rs.some((r) => !r) ? null : true;
    out.push({ target: `${mode}: ≥ ${opts.checkpoints} completed checkpoints at every level`, measured, met });
  }
  // 2. Unaligned ≤ 1/10 of aligned at 10x and 100x.
  for (const level of ['10x', '100x']) {
    const u = at('unaligned', level);
    const a = at('aligned', level);
    const ok = both(u, a);
    out.push({
      target: `${level}: unaligned p50 ≤ 1/10 of aligned p50`,
      measured: ok === 'ok' ? `unaligned ${show(u)} vs aligned ${show(a)}: ${(a!.ms / u!.ms).toFixed(0)}×` : `unaligned ${show(u)}, aligned ${show(a)}`,
      met: ok === 'ok' ? 10 * u!.ms <= a!.ms : ok,
    });
  }
  // 3. Aligned-with-timeout ≤ timeout + 2 × unaligned at 2x, 10x, 100x.
  for (const level of ['2x', '10x', '100x']) {
    const t = at('aligned-timeout', level);
    const u = at('unaligned', level);
    const ok = both(t, u);
    out.push({
      target: `${level}: aligned-timeout p50 ≤ timeout (${opts.alignedTimeoutMs} ms) + 2 × unaligned p50`,
      measured: `${show(t)} vs ${opts.alignedTimeoutMs} + 2 × ${show(u)}`,
      met: ok === 'ok' ? t!.ms <= opts.alignedTimeoutMs + 2 * u!.ms : ok,
    });
  }
  // 4. Unaligned at 100x ≤ 3 × with no backpressure.
  {
    const u100 = at('unaligned', '100x');
    const u0 = at('unaligned', 'none');
    const ok = both(u100, u0);
    out.push({
      target: 'unaligned p50 at 100x ≤ 3 × its p50 with no backpressure',
      measured: ok === 'ok' ? `${show(u100)} vs ${show(u0)}: ${(u100!.ms / u0!.ms).toFixed(1)}×` : `100x ${show(u100)}, none ${show(u0)}`,
      met: ok === 'ok' ? u100!.ms <= 3 * u0!.ms : ok,
    });
  }
  // 5. Aligned + debloating at 10x: ≤ 1/5 of aligned, throughput within 10 %.
  {
    const d = at('aligned+debloat', '10x');
    const a = at('aligned', '10x');
    const ok = both(d, a);
    out.push({
      target: '10x: aligned+debloat p50 ≤ 1/5 of aligned p50',
      measured: ok === 'ok' ? `${show(d)} vs ${show(a)}: ${(a!.ms / d!.ms).toFixed(1)}×` : `aligned+debloat ${show(d)}, aligned ${show(a)}`,
      met: ok === 'ok' ? 5 * d!.ms <= a!.ms : ok,
    });
    const dr = row('aligned+debloat', '10x')?.recordsPerSec ?? null;
    const ar = row('aligned', '10x')?.recordsPerSec ?? null;
    // One-sided: debloating must not cost more than 10 % of aligned's throughput (being faster is fine).
    out.push({
      target: '10x: aligned+debloat throughput at most 10 % below aligned',
      measured: dr !== null && ar ? `${Math.round(dr)} vs ${Math.round(ar)} records/s (${dr >= ar ? '+' : ''}${(((dr - ar) / ar) * 100).toFixed(1)} %)` : `${dr ?? '–'} vs ${ar ?? '–'} records/s`,
      met: dr !== null && ar ? dr >= 0.9 * ar : null,
    });
  }
  // 6. Recovery at 100x with the recovery ring size: completes, with a checkpoint during it.
  for (const r of rows.filter((x) => x.kind === 'recovery' && x.backpressure === '100x' && x.bufferBytes === opts.recoveryBufferBytes)) {
    const done = r.recoveryMs !== null && r.recoveryMs !== undefined;
    const during = r.checkpointDuringRecovery;
    out.push({
      target: `recovery, ${nameOf(r)}, 100x: completes, with a checkpoint completed during it`,
      measured: `${done ? `${Math.round(r.recoveryMs!)} ms` : 'did not complete'}; checkpoint during recovery: ${during === null || during === undefined ? 'n/a (nothing to replay)' : during ? 'yes' : 'no'}`,
      met: done && during !== false,
    });
  }
  return out;
}

/** The verdicts as a Markdown table. */
export function targetsTable(verdicts: readonly TargetVerdict[]): string {
  const lines = ['| target | measured | met |', '| --- | --- | :---: |'];
  for (const v of verdicts) lines.push(`| ${v.target} | ${v.measured} | ${v.met === null ? 'n/a' : v.met ? 'yes' : '**no**'} |`);
  return lines.join('\n');
}
