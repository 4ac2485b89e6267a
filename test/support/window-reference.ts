/**
 * A sequential reference of Flink's window semantics, in plain TypeScript, for the window
 * tests: the input is processed in order as one subtask sees it (a non-parallel source whose
 * timestamp assigner emits a watermark after every record that raises it: `maxTs - ooo - 1`),
 * then the end-of-input watermark (+Infinity).
 *
 * Per key and window it keeps the elements and the pending trigger times, and applies Flink's
 * rules directly: a window is late when `end - 1 + lateness <= watermark` (skipped); an element
 * late for all its windows with `ts + lateness <= watermark` goes to `late`; EventTimeTrigger
 * fires at the watermark passing `end - 1` and at once for an element arriving after that;
 * ContinuousEventTimeTrigger every `interval` (from the first element) up to the end;
 * PurgingTrigger(CountTrigger(n)) every n elements, purging; sessions merge windows that overlap
 * or touch; count windows fire every n (or every slide over the last n) elements, untimed.
 * Results come with the timestamp they must carry (`end - 1`, or null for count windows).
 */

export interface RefWindow { start: number; end: number }
export type RefTrigger = { kind: 'event' } | { kind: 'continuous'; interval: number } | { kind: 'purging-count'; count: number };
export type RefAssigner =
  | { kind: 'tumbling'; size: number; offset?: number }
  | { kind: 'sliding'; size: number; slide: number; offset?: number }
  | { kind: 'session'; gap: (e: any) => number };

export interface RefOptions<E, R> {
  ooo: number;
  key: (e: E) => unknown;
  ts: (e: E) => number;
  assigner: RefAssigner;
  trigger?: RefTrigger;
  lateness?: number;
  /** The results of one firing (key, window, the window's elements in arrival order). */
  emit: (key: unknown, w: RefWindow, elements: E[]) => R[];
}

export interface Stamped<R> { r: R; ts: number | null }

interface Win<E> extends RefWindow { elements: E[]; pending: Set<number>; fireTime?: number; count: number }

function windowStart(ts: number, offset: number, size: number): number {
  const rem = (ts - offset) % size;
  return rem < 0 ? ts - (rem + size) : ts - rem;
}

export function referenceWindows<E, R>(events: readonly E[], o: RefOptions<E, R>): { out: Stamped<R>[]; late: E[] } {
  const L = o.lateness ?? 0;
  const trigger = o.trigger ?? { kind: 'event' };
  const keys = new Map<unknown, Win<E>[]>();
  const out: Stamped<R>[] = [];
  const late: E[] = [];
  let wm = -Infinity;
  let maxTs = -Infinity;
  const fire = (key: unknown, w: Win<E>) => {
    if (w.elements.length > 0) for (const r of o.emit(key, { start: w.start, end: w.end }, [...w.elements])) out.push({ r, ts: w.end - 1 });
  };
  const isLate = (w: RefWindow) => w.end - 1 + L <= wm;

  const onElement = (key: unknown, w: Win<E>, e: E) => {
    w.elements.push(e);
    const max = w.end - 1;
    if (trigger.kind === 'purging-count') {
      if (++w.count >= trigger.count) {
        w.count = 0;
        fire(key, w);
        w.elements = [];
      }
      return;
    }
    if (max <= wm) return fire(key, w);
    w.pending.add(max);
    if (trigger.kind === 'continuous' && w.fireTime === undefined) {
      const t = o.ts(e);
      w.fireTime = Math.min(t - (t % trigger.interval) + trigger.interval, max);
      w.pending.add(w.fireTime);
    }
  };

  const onTimer = (key: unknown, w: Win<E>, t: number) => {
    if (t === w.end - 1) return fire(key, w);
    if (trigger.kind === 'continuous' && w.fireTime === t) {
      w.fireTime = Math.min(t + trigger.interval, w.end - 1);
      w.pending.add(w.fireTime);
      fire(key, w);
    }
  };

  const windowsFor = (key: unknown, e: E): Win<E>[] => {
    const list = keys.get(key) ?? keys.set(key, []).get(key)!;
    const ts = o.ts(e);
    const a = o.assigner;
    if (a.kind === 'session') {
      const nw = { start: ts, end: ts + a.gap(e) };
      const touching = list.filter((w) => w.start <= nw.end && w.end >= nw.start);
      if (touching.length === 1 && touching[0]!.start <= nw.start && touching[0]!.end >= nw.end) return touching;
      if (touching.length === 0) {
        if (isLate(nw)) return [];
        const w: Win<E> = { ...nw, elements: [], pending: new Set(), count: 0 };
        list.push(w);
        return [w];
      }
      const merged: Win<E> = {
        start: Math.min(nw.start, ...touching.map((w) => w.start)),
        end: Math.max(nw.end, ...touching.map((w) => w.end)),
        elements: touching.flatMap((w) => w.elements),
        pending: new Set(),
        count: 0,
      };
      if (merged.end - 1 > wm) merged.pending.add(merged.end - 1);
      keys.set(key, [...list.filter((w) => !touching.includes(w)), merged]);
      return [merged];
    }
    const bounds: RefWindow[] = [];
    if (a.kind === 'tumbling') {
      const s = windowStart(ts, a.offset ?? 0, a.size);
      bounds.push({ start: s, end: s + a.size });
    } else {
      for (let s = windowStart(ts, a.offset ?? 0, a.slide); s > ts - a.size; s -= a.slide) bounds.push({ start: s, end: s + a.size });
    }
    const result: Win<E>[] = [];
    for (const b of bounds) {
      if (isLate(b)) continue;
      let w = list.find((x) => x.start === b.start && x.end === b.end);
      if (!w) list.push((w = { ...b, elements: [], pending: new Set(), count: 0 }));
      result.push(w);
    }
    return result;
  };

  const advance = (to: number) => {
    wm = to;
    for (;;) {
      let next: { key: unknown; w: Win<E>; t: number } | undefined;
      for (const [key, list] of keys) for (const w of list) for (const t of w.pending) if (t <= wm && (!next || t < next.t)) next = { key, w, t };
      if (!next) break;
      next.w.pending.delete(next.t);
      onTimer(next.key, next.w, next.t);
    }
    for (const [key, list] of keys) keys.set(key, list.filter((w) => !isLate(w)));
  };

  for (const e of events) {
    const key = o.key(e);
    const ts = o.ts(e);
    const ws = windowsFor(key, e);
    for (const w of ws) onElement(key, w, e);
    if (ws.length === 0 && ts + L <= wm) late.push(e);
    if (ts > maxTs) maxTs = ts;
    if (maxTs - o.ooo - 1 > wm) advance(maxTs - o.ooo - 1);
  }
  advance(Infinity);
  return { out, late };
}

/** Count windows per key: every `size` elements (tumbling), or with `slide` the last `size` every `slide` elements. */
export function referenceCountWindows<E, R>(events: readonly E[], key: (e: E) => unknown, size: number, slide: number | undefined, emit: (key: unknown, elements: E[]) => R[]): Stamped<R>[] {
  const state = new Map<unknown, { list: E[]; count: number }>();
  const out: Stamped<R>[] = [];
  for (const e of events) {
    const k = key(e);
    const s = state.get(k) ?? state.set(k, { list: [], count: 0 }).get(k)!;
    s.list.push(e);
    if (slide === undefined) {
      if (s.list.length === size) {
        for (const r of emit(k, s.list)) out.push({ r, ts: null });
        s.list = [];
      }
      continue;
    }
    if (++s.count >= slide) {
      s.count = 0;
      if (s.list.length > size) s.list = s.list.slice(s.list.length - size);
      for (const r of emit(k, [...s.list])) out.push({ r, ts: null });
    }
  }
  return out;
}
