/**
 * Sequential references, in plain TypeScript, for the two-input tests (test/two-inputs.test.ts):
 * what an interval join and the control-stream example must produce, computed from the whole
 * input at once. Inputs respect their watermark bound, so no element is late and the
 * references are the exact results.
 */

export interface Ev { id: number; key: string; t: number }
export interface Control { key: string; t: number; enabled: boolean }
export interface Datum { user: string; t: number; value: number }
export interface Emitted { key: string; t: number; value: number }
export interface JoinBounds { lower: number; upper: number; lowerExclusive?: boolean; upperExclusive?: boolean }

/** Every (left, right) of the same key with right.t in [left.t + lower, left.t + upper] (exclusive ends as asked), as "l:r". */
export function intervalJoinReference(left: readonly Ev[], right: readonly Ev[], b: JoinBounds): string[] {
  const byKey = new Map<string, Ev[]>();
  for (const r of right) (byKey.get(r.key) ?? byKey.set(r.key, []).get(r.key)!).push(r);
  const out: string[] = [];
  for (const l of left) {
    for (const r of byKey.get(l.key) ?? []) {
      const lo = l.t + b.lower;
      const hi = l.t + b.upper;
      if (r.t < lo || r.t > hi) continue;
      if (b.lowerExclusive && r.t === lo) continue;
      if (b.upperExclusive && r.t === hi) continue;
      out.push(`${l.id}:${r.id}@${Math.max(l.t, r.t)}`);
    }
  }
  return out.sort();
}

/**
 * Flink's control-stream example in event time: a key's data passes while the key is enabled by
 * its latest control at or before the datum's time (a control at the same time applies first);
 * keys start disabled.
 */
export function controlReference(controls: readonly Control[], data: readonly Datum[]): Emitted[] {
  const out: Emitted[] = [];
  const byKey = new Map<string, Control[]>();
  for (const c of controls) (byKey.get(c.key) ?? byKey.set(c.key, []).get(c.key)!).push(c);
  for (const list of byKey.values()) list.sort((a, b) => a.t - b.t);
  for (const d of data) {
    let enabled = false;
    for (const c of byKey.get(d.user) ?? []) {
      if (c.t > d.t) break;
      enabled = c.enabled;
    }
    if (enabled) out.push({ key: d.user, t: d.t, value: d.value });
  }
  return sortEmitted(out);
}

export function sortEmitted(xs: readonly Emitted[]): Emitted[] {
  return [...xs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.t - b.t || a.value - b.value));
}

/**
 * Timestamps that are out of order by at most `bound` in sequence order: t(i) ≥ max(t(j < i)) − bound,
 * so a bounded-out-of-orderness watermark of `bound` never makes one of them late.
 */
export function jitteredTime(i: number, stepMs: number, bound: number): number {
  const h = (Math.imul(i + 1, 2654435761) >>> 16) % (bound + 1); // high bits: the low ones of a product by an odd number repeat
  return i * stepMs - h;
}
