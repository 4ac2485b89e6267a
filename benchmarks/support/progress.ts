/**
 * Progress of long benchmark runs, on stderr (stdout stays the result table).
 * On a terminal one line is rewritten in place; otherwise a line is printed
 * at each 25 % step, so CI logs stay short.
 */

const lastStep = new Map<string, number>();

/** Report that `done` of `total` units of `label` are finished. */
export function progress(label: string, done: number, total: number): void {
  const pct = total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 100;
  if (process.stderr.isTTY) {
    process.stderr.write(`\r${label}: ${done}/${total} (${pct} %)\x1b[K`);
    if (done >= total) process.stderr.write('\n');
    return;
  }
  const step = Math.floor(pct / 25);
  if (lastStep.get(label) === step) return;
  lastStep.set(label, step);
  process.stderr.write(`${label}: ${done}/${total} (${pct} %)\n`);
  if (done >= total) lastStep.delete(label);
}
