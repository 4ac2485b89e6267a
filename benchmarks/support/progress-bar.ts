/**
 * A progress bar on stderr for benchmarks made of many cases:
 *
 *   [########------------]  7/20 cases  1m12s elapsed  ~2m10s left  unaligned / 10x / 256 KiB
 *
 * On a terminal the line is redrawn in place every second (so the elapsed time
 * moves during a long case); otherwise one line is printed per case, so logs
 * stay short. Time comes from an injected clock.
 */

/** Where the bar is written and how time is read (defaults: stderr, performance.now). */
export interface ProgressBarOptions {
  stream?: { write(s: string): unknown; isTTY?: boolean };
  now?: () => number;
  width?: number;
}

/** `1m05s`, `42s`, `1h02m`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** The bar's text for `done` of `total` after `elapsedMs`, working on `current`. */
export function renderProgressLine(done: number, total: number, elapsedMs: number, current: string, width = 20): string {
  const frac = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(frac * width);
  const left = done > 0 && done < total ? `  ~${formatDuration((elapsedMs / done) * (total - done))} left` : '';
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(done).padStart(String(total).length)}/${total} cases  ${formatDuration(elapsedMs)} elapsed${left}${current ? `  ${current}` : ''}`;
}

/** A case-counting progress bar; call `start`, then `update` per case, then `finish`. */
export class ProgressBar {
  private readonly stream: NonNullable<ProgressBarOptions['stream']>;
  private readonly now: () => number;
  private readonly width: number;
  private startedAt = 0;
  private total = 0;
  private done = 0;
  private current = '';
  private timer: NodeJS.Timeout | undefined;

  constructor(options: ProgressBarOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    this.now = options.now ?? (() => performance.now());
    this.width = options.width ?? 20;
  }

  /** Begin counting `total` cases. */
  start(total: number): void {
    this.total = total;
    this.done = 0;
    this.startedAt = this.now();
    if (this.stream.isTTY) {
      this.timer = setInterval(() => this.draw(), 1000);
      this.timer.unref();
    }
  }

  /** `done` cases are finished; `current` names the one now running. */
  update(done: number, current: string): void {
    this.done = done;
    this.current = current;
    this.draw();
  }

  /** Stop redrawing and end the line. */
  finish(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.done = this.total;
    this.current = '';
    this.draw();
    if (this.stream.isTTY) this.stream.write('\n');
  }

  private draw(): void {
    const line = renderProgressLine(this.done, this.total, this.now() - this.startedAt, this.current, this.width);
    this.stream.write(this.stream.isTTY ? `\r${line}\x1b[K` : `${line}\n`);
  }
}
