/**
 * Window types (Flink's TimeWindow and GlobalWindow) and their encoding as keyed-state map keys.
 *
 * A TimeWindow is `[start, end)`; its max timestamp is `end - 1` (the timestamp of the records it
 * emits, and the time at which an event-time window fires). The global window (count windows)
 * holds every record of a key; its max timestamp is +Infinity, so it never fires by time, never
 * gets a cleanup timer, and its results carry no timestamp (Flink: Long.MAX_VALUE).
 */

export class TimeWindow {
  constructor(readonly start: number, readonly end: number) {}

  getStart(): number { return this.start; }
  getEnd(): number { return this.end; }
  maxTimestamp(): number { return this.end - 1; }

  /** Whether the windows overlap or touch (Flink's TimeWindow.intersects: sessions that touch merge). */
  intersects(other: TimeWindow): boolean {
    return this.start <= other.end && this.end >= other.start;
  }

  /** The smallest window containing both. */
  cover(other: TimeWindow): TimeWindow {
    return new TimeWindow(Math.min(this.start, other.start), Math.max(this.end, other.end));
  }

  equals(other: unknown): boolean {
    return other instanceof TimeWindow && other.start === this.start && other.end === this.end;
  }

  toString(): string {
    return `TimeWindow{start=${this.start}, end=${this.end}}`;
  }

  /**
   * Flink's `TimeWindow.getWindowStartWithOffset`: the start of the window of size `windowSize`
   * (aligned to `offset`) that contains `timestamp`.
   */
  static getWindowStartWithOffset(timestamp: number, offset: number, windowSize: number): number {
    const remainder = (timestamp - offset) % windowSize;
    return remainder < 0 ? timestamp - (remainder + windowSize) : timestamp - remainder;
  }

  /**
   * Flink's `TimeWindow.mergeWindows`: sort by start, merge runs of intersecting windows.
   * Returns each merged window with the windows it covers (only groups of two or more).
   */
  static mergeWindows(windows: readonly TimeWindow[]): Array<{ result: TimeWindow; merged: TimeWindow[] }> {
    const sorted = [...windows].sort((a, b) => a.start - b.start || a.end - b.end);
    const groups: Array<{ result: TimeWindow; merged: TimeWindow[] }> = [];
    let current: { result: TimeWindow; merged: TimeWindow[] } | undefined;
    for (const w of sorted) {
      if (current && current.result.intersects(w)) {
        current.result = current.result.cover(w);
        current.merged.push(w);
      } else {
        if (current) groups.push(current);
        current = { result: w, merged: [w] };
      }
    }
    if (current) groups.push(current);
    return groups.filter((g) => g.merged.length > 1);
  }
}

export class GlobalWindow {
  static readonly INSTANCE = new GlobalWindow();
  private constructor() {}
  maxTimestamp(): number { return Infinity; }
  equals(other: unknown): boolean { return other instanceof GlobalWindow; }
  toString(): string { return 'GlobalWindow'; }
}

export type Window = TimeWindow | GlobalWindow;

/** The map key a window's state is stored under (per key of the stream). */
export function windowKey(w: Window): string {
  return w instanceof TimeWindow ? `${w.start}:${w.end}` : 'global';
}

/** The window a {@link windowKey} names. */
export function windowFromKey(key: string): Window {
  if (key === 'global') return GlobalWindow.INSTANCE;
  const i = key.indexOf(':');
  return new TimeWindow(Number(key.slice(0, i)), Number(key.slice(i + 1)));
}
