/**
 * The click-stream job's results computed sequentially in plain TypeScript, from Flink's event-time
 * window semantics (what the tests compare the job with):
 *   - the watermark a click meets is the largest timestamp before it minus 2 s minus 1 ms;
 *   - a window is late once watermark >= its max timestamp (end - 1) + allowed lateness; a click
 *     whose windows are all late is late data;
 *   - a window fires when the watermark passes its max timestamp, and again at once for each click
 *     added after that (within the lateness); it is dropped at max timestamp + lateness;
 *   - session windows [ts, ts + gap) merge when they overlap or touch;
 *   - at the end of the input the watermark is +Infinity: every window fires.
 */
import {
  ACTIVE_SLIDE_MS, ACTIVE_WINDOW_MS, ALLOWED_LATENESS_MS, OUT_OF_ORDERNESS_MS, PAGE_WINDOW_MS, SESSION_GAP_MS,
  type ActiveUsers, type Click, type PageViews, type UserSession,
} from './job.ts';

interface Win<Acc> { start: number; end: number; acc: Acc; fired: boolean }

/** Non-merging event-time windows of one key space; `emit` gets (key, window, accumulator). */
class Windows<Acc> {
  private readonly open = new Map<string, Win<Acc>>();
  constructor(
    private readonly lateness: number,
    private readonly create: () => Acc,
    private readonly add: (acc: Acc, c: Click) => Acc,
    private readonly emit: (key: string, w: Win<Acc>) => void,
  ) {}

  /** Adds the click to its windows; false when every window was late. */
  onClick(key: string, c: Click, windows: Array<[number, number]>, wm: number): boolean {
    let added = false;
    for (const [start, end] of windows) {
      if (end - 1 + this.lateness <= wm) continue;
      const id = `${key}\u0000${start}`;
      const w = this.open.get(id) ?? { start, end, acc: this.create(), fired: false };
      this.open.set(id, w);
      w.acc = this.add(w.acc, c);
      added = true;
      if (end - 1 <= wm) {
        // Past its end but within the lateness: fires at once (again, or for the first time).
        w.fired = true;
        this.emit(key, w);
      }
    }
    return added;
  }

  onWatermark(wm: number): void {
    for (const [id, w] of this.open) {
      const key = id.slice(0, id.indexOf('\u0000'));
      if (!w.fired && w.end - 1 <= wm) {
        w.fired = true;
        this.emit(key, w);
      }
      if (w.end - 1 + this.lateness <= wm) this.open.delete(id);
    }
  }
}

export interface ClickstreamResults {
  pageViews: PageViews[];
  lateClicks: Click[];
  activeUsers: ActiveUsers[];
  sessions: UserSession[];
}

export function referenceResults(clicks: readonly Click[]): ClickstreamResults {
  const out: ClickstreamResults = { pageViews: [], lateClicks: [], activeUsers: [], sessions: [] };
  const pages = new Windows<number>(ALLOWED_LATENESS_MS, () => 0, (n) => n + 1, (page, w) => out.pageViews.push({ page, windowEnd: w.end, views: w.acc }));
  const active = new Windows<Set<string>>(0, () => new Set(), (s, c) => new Set(s).add(c.user), (_k, w) => out.activeUsers.push({ windowEnd: w.end, users: w.acc.size }));
  const sessions = new Map<string, Array<{ start: number; end: number; clicks: number }>>();
  const fireSessions = (wm: number) => {
    for (const [user, list] of sessions) {
      for (const s of list.filter((x) => x.end - 1 <= wm)) out.sessions.push({ user, ...s });
      sessions.set(user, list.filter((x) => x.end - 1 > wm));
    }
  };
  let maxTs = -Infinity;
  let wm = -Infinity;
  for (const c of clicks) {
    const tumbling = c.ts - (c.ts % PAGE_WINDOW_MS);
    if (!pages.onClick(c.page, c, [[tumbling, tumbling + PAGE_WINDOW_MS]], wm) && c.ts + ALLOWED_LATENESS_MS <= wm) out.lateClicks.push(c);
    const sliding: Array<[number, number]> = [];
    for (let start = c.ts - (c.ts % ACTIVE_SLIDE_MS); start > c.ts - ACTIVE_WINDOW_MS; start -= ACTIVE_SLIDE_MS) sliding.push([start, start + ACTIVE_WINDOW_MS]);
    active.onClick('all', c, sliding, wm);
    // Sessions: merge with every window the new one overlaps or touches; a lone late one is dropped.
    const list = sessions.get(c.user) ?? [];
    const merged = { start: c.ts, end: c.ts + SESSION_GAP_MS, clicks: 1 };
    const rest = list.filter((s) => {
      if (s.start <= merged.end && s.end >= merged.start) {
        merged.start = Math.min(merged.start, s.start);
        merged.end = Math.max(merged.end, s.end);
        merged.clicks += s.clicks;
        return false;
      }
      return true;
    });
    if (merged.end - 1 > wm) sessions.set(c.user, [...rest, merged]);
    // The watermark after this click.
    maxTs = Math.max(maxTs, c.ts);
    const next = maxTs - OUT_OF_ORDERNESS_MS - 1;
    if (next > wm) {
      wm = next;
      pages.onWatermark(wm);
      active.onWatermark(wm);
      fireSessions(wm);
    }
  }
  pages.onWatermark(Infinity);
  active.onWatermark(Infinity);
  fireSessions(Infinity);
  return out;
}
