/**
 * The live status of `weir run`: records per second (out of the sources), the latest completed
 * checkpoint with its duration and age, restarts. On a terminal one line rewritten in place every
 * second (cleared before the result is printed); otherwise a plain line every 10 s, so logs stay
 * readable. Reads the public client only (metrics, checkpoint statistics, failovers).
 */
import type { JobClient } from '../index.ts';

export interface StatusOptions {
  readonly out?: { isTTY?: boolean; write(s: string): unknown };
  readonly intervalMs?: number;
}

/** One status line from two samples of the sources' emitted records, `dtMs` apart. */
export function statusLine(client: Pick<JobClient, 'status' | 'checkpointStats' | 'failovers'>, recordsPerSecond: number, now = Date.now()): string {
  const parts = [`${client.status}`, `${Math.round(recordsPerSecond).toLocaleString('en-US')} records/s`];
  const last = client.checkpointStats()?.latest.completed;
  if (last) parts.push(`last ${last.kind} ${last.checkpointId}: ${last.durationMs} ms, ${Math.max(0, Math.round((now - (last.endTimestamp ?? now)) / 1000))} s ago`);
  else if (client.checkpointStats()) parts.push('no checkpoint yet');
  parts.push(`restarts ${client.failovers.length}`);
  return parts.join(' · ');
}

/** The status line on the terminal, if one is shown: cleared before anything else is written there. */
export class StatusArea {
  shown = false;
  constructor(readonly out: { isTTY?: boolean; write(s: string): unknown } = process.stdout) {}
  show(line: string): void {
    this.out.write(`\r\x1b[K${line}`);
    this.shown = true;
  }
  clear(): void {
    if (!this.shown) return;
    this.out.write('\r\x1b[K');
    this.shown = false;
  }
}

/** Start showing the status; returns the function that stops (and, on a terminal, clears) it. */
export function showStatus(client: JobClient, options: StatusOptions & { area?: StatusArea } = {}): () => void {
  const out = options.out ?? options.area?.out ?? process.stdout;
  const area = options.area ?? new StatusArea(out);
  const tty = out.isTTY === true;
  const intervalMs = options.intervalMs ?? (tty ? 1000 : 10_000);
  const sources = new Set(client.plan().vertices.filter((v) => v.isSource).map((v) => v.id));
  // The baseline is the start (no record yet): the first line shows the rate since then, not 0.
  let previous: { at: number; records: number } | undefined = { at: performance.now(), records: 0 };
  let stopped = false;
  const tick = async () => {
    const m = await client.metrics().catch(() => undefined);
    if (!m || stopped) return;
    const records = m.vertices.filter((v) => sources.has(v.id)).reduce((n, v) => n + v.recordsOut, 0);
    const at = performance.now();
    const rate = previous && at > previous.at ? (Math.max(0, records - previous.records) * 1000) / (at - previous.at) : 0;
    previous = { at, records };
    const line = statusLine(client, rate);
    if (tty) area.show(line);
    else out.write(`status: ${line}\n`);
  };
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
    area.clear();
  };
}
