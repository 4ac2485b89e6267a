/**
 * Per-user sessions with an inactivity gap (event time), using several kinds
 * of keyed state and event-time timers:
 *   ValueState      session start and last activity
 *   ReducingState   number of events in the session
 *   MapState        events per page
 *   ListState       the session's first few pages, in order
 * A session closes when the watermark passes `last activity + gap`: its timer
 * fires, the summary is emitted and the state is cleared.
 */
import {
  defineJob, ValueStateDescriptor, ReducingStateDescriptor, MapStateDescriptor, ListStateDescriptor,
  type KeyedProcessFunction, type ValueState, type ReducingState, type MapState, type ListState,
} from '../../index.ts';

export interface Click { user: string; page: string; ts: number }
export interface Session { user: string; start: number; end: number; events: number; pages: Record<string, number>; firstPages: string[] }

export interface SessionParams { clicks: Click[]; gapMs: number; outOfOrdernessMs: number }

export function sessionizer(gapMs: number): KeyedProcessFunction<string, Click, Session> {
  let start!: ValueState<number>;
  let last!: ValueState<number>;
  let events!: ReducingState<number>;
  let pages!: MapState<string, number>;
  let firstPages!: ListState<string>;
  return {
    open(ctx) {
      start = ctx.getState(new ValueStateDescriptor<number>('start'));
      last = ctx.getState(new ValueStateDescriptor<number>('last'));
      events = ctx.getReducingState(new ReducingStateDescriptor<number>('events', (a, b) => a + b));
      pages = ctx.getMapState(new MapStateDescriptor<string, number>('pages'));
      firstPages = ctx.getListState(new ListStateDescriptor<string>('first-pages'));
    },
    processElement(click, ctx, out) {
      const previous = last.value();
      // Clicks of one user arrive in time order (one source → keyBy keeps per-key order).
      if (previous !== undefined && click.ts - previous >= gapMs) {
        ctx.timerService().deleteEventTimeTimer(previous + gapMs);
        emit(ctx.getCurrentKey(), out);
      }
      if (start.value() === undefined) start.update(click.ts);
      if (last.value() !== undefined) ctx.timerService().deleteEventTimeTimer(last.value()! + gapMs);
      last.update(click.ts);
      ctx.timerService().registerEventTimeTimer(click.ts + gapMs);
      events.add(1);
      pages.put(click.page, (pages.get(click.page) ?? 0) + 1);
      if (firstPages.get().length < 3) firstPages.add(click.page);
    },
    onTimer(timestamp, ctx, out) {
      if (last.value() === undefined || timestamp !== last.value()! + gapMs) return;
      emit(ctx.getCurrentKey(), out);
    },
  };
  function emit(user: string, out: { collect(s: Session): void }): void {
    out.collect({
      user,
      start: start.value()!,
      end: last.value()!,
      events: events.get()!,
      pages: Object.fromEntries(pages.entries()),
      firstPages: firstPages.get(),
    });
    for (const s of [start, last, events, pages, firstPages]) s.clear();
  }
}

export const sessionsJob = defineJob('sessions', (env, p: SessionParams) => {
  env.fromArray(p.clicks)
    .assignTimestampsAndWatermarks({ timestamp: (c) => c.ts, maxOutOfOrdernessMs: p.outOfOrdernessMs, intervalMs: 0 })
    .keyBy((c) => c.user)
    .process(sessionizer(p.gapMs))
    .uid('sessions')
    .collect('sessions');
});

/** Deterministic synthetic clicks: users with bursts of activity separated by long pauses. */
export function syntheticClicks(users: number, perUser: number, seed = 1): Click[] {
  let s = seed >>> 0;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const pages = ['home', 'search', 'product', 'cart', 'checkout', 'help'];
  const clicks: Click[] = [];
  for (let u = 0; u < users; u++) {
    let t = Math.floor(rand() * 10_000);
    for (let i = 0; i < perUser; i++) {
      t += rand() < 0.15 ? 60_000 + Math.floor(rand() * 60_000) : Math.floor(rand() * 5_000);
      clicks.push({ user: `user-${u}`, page: pages[Math.floor(rand() * pages.length)]!, ts: t });
    }
  }
  // Interleave users by time, with a little disorder across users (adjacent swaps within 2 s);
  // each user's own clicks stay in time order.
  clicks.sort((a, b) => a.ts - b.ts);
  for (let i = 3; i + 1 < clicks.length; i += 7) {
    const a = clicks[i]!;
    const b = clicks[i + 1]!;
    if (a.user !== b.user && b.ts - a.ts < 2_000) [clicks[i], clicks[i + 1]] = [b, a];
  }
  return clicks;
}

/** The same sessionization, sequentially (reference for tests). */
export function referenceSessions(clicks: readonly Click[], gapMs: number): Session[] {
  const byUser = new Map<string, Click[]>();
  for (const c of clicks) (byUser.get(c.user) ?? byUser.set(c.user, []).get(c.user)!).push(c);
  const out: Session[] = [];
  for (const [user, cs] of byUser) {
    const sorted = [...cs].sort((a, b) => a.ts - b.ts);
    let cur: Click[] = [];
    const flush = () => {
      if (cur.length === 0) return;
      const pages: Record<string, number> = {};
      for (const c of cur) pages[c.page] = (pages[c.page] ?? 0) + 1;
      out.push({ user, start: cur[0]!.ts, end: cur.at(-1)!.ts, events: cur.length, pages, firstPages: cur.slice(0, 3).map((c) => c.page) });
      cur = [];
    };
    for (const c of sorted) {
      if (cur.length > 0 && c.ts - cur.at(-1)!.ts >= gapMs) flush();
      cur.push(c);
    }
    flush();
  }
  return out;
}
