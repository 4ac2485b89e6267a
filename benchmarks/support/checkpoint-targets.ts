/**
 * The targets of issue #7, checked against the rows of one `bench:checkpoints`
 * run (pure: rows in, verdicts out). A checkpoint that never completed counts
 * with the age it had reached (a lower bound on its duration), so "aligned ≥ N"
 * still decides a ratio when unaligned is far below it.
 */

/** What a target check needs of a result row. */
export interface TargetRow {
  mode: string;
  backpressure: string;
  bufferBytes: number;
  checkpointMsP50: number | null;
  /** Age of the oldest checkpoint still pending at the end of the window (none completed). */
  pendingMsMax?: number | null;
}

export interface TargetVerdict {
  target: string;
  /** The measured figure, in words. */
  measured: string;
  /** true met, false missed, null not measurable from these rows. */
  met: boolean | null;
}

/** p50 of a case, or the lower bound when nothing completed. */
function duration(r: TargetRow | undefined): { ms: number; lowerBound: boolean } | undefined {
  if (!r) return undefined;
  if (r.checkpointMsP50 !== null) return { ms: r.checkpointMsP50, lowerBound: false };
  if (r.pendingMsMax !== null && r.pendingMsMax !== undefined) return { ms: r.pendingMsMax, lowerBound: true };
  return undefined;
}

const show = (d: { ms: number; lowerBound: boolean }) => `${d.lowerBound ? '≥ ' : ''}${Math.round(d.ms)} ms`;

/** Verdicts at the given ring size (the default one; the sweep rows are ignored). */
export function checkTargets(rows: readonly TargetRow[], bufferBytes: number, alignedTimeoutMs: number): TargetVerdict[] {
  const at = (mode: string, backpressure: string) => duration(rows.find((r) => r.mode === mode && r.backpressure === backpressure && r.bufferBytes === bufferBytes));
  const out: TargetVerdict[] = [];
  for (const level of ['10x', '100x']) {
    const u = at('unaligned', level);
    const a = at('aligned', level);
    const target = `${level}: unaligned p50 ≤ 1/10 of aligned`;
    if (!u || u.lowerBound || !a) {
      out.push({ target, measured: `unaligned ${u ? show(u) : '–'}, aligned ${a ? show(a) : '–'}`, met: u?.lowerBound ? false : null });
      continue;
    }
    // A lower bound on aligned only proves the ratio is at least this large.
    out.push({ target, measured: `unaligned ${show(u)} vs aligned ${show(a)}: ${a.lowerBound ? '≥ ' : ''}${(a.ms / u.ms).toFixed(0)}×`, met: a.ms >= 10 * u.ms });
  }
  {
    const u100 = at('unaligned', '100x');
    const u0 = at('unaligned', 'none');
    const target = 'unaligned p50 at 100x ≤ 3× its p50 with no backpressure';
    out.push(!u100 || !u0 || u0.lowerBound
      ? { target, measured: `100x ${u100 ? show(u100) : '–'}, none ${u0 ? show(u0) : '–'}`, met: u100?.lowerBound ? false : null }
      : { target, measured: `${show(u100)} vs ${show(u0)}: ${(u100.ms / u0.ms).toFixed(1)}×`, met: !u100.lowerBound && u100.ms <= 3 * u0.ms });
  }
  for (const level of ['none', '2x', '10x', '100x']) {
    const t = at('aligned-timeout', level);
    const u = at('unaligned', level);
    const target = `${level}: aligned-timeout p50 ≤ timeout (${alignedTimeoutMs} ms) + unaligned p50`;
    if (!t || !u || u.lowerBound) {
      out.push({ target, measured: `aligned-timeout ${t ? show(t) : '–'}, unaligned ${u ? show(u) : '–'}`, met: t?.lowerBound ? false : null });
      continue;
    }
    out.push({ target, measured: `${show(t)} vs ${alignedTimeoutMs} + ${show(u)}`, met: !t.lowerBound && t.ms <= alignedTimeoutMs + u.ms });
  }
  return out;
}

/** The verdicts as a Markdown table. */
export function targetsTable(verdicts: readonly TargetVerdict[]): string {
  const lines = ['| target | measured | met |', '| --- | --- | :---: |'];
  for (const v of verdicts) lines.push(`| ${v.target} | ${v.measured} | ${v.met === null ? 'n/a' : v.met ? 'yes' : '**no**'} |`);
  return lines.join('\n');
}
