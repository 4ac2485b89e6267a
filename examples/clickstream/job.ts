/**
 * Click-stream analytics with the window API (event time):
 *   page views    per page, 10 s tumbling windows, 5 s allowed lateness (a window fires when the
 *                 watermark passes its end, and again for each late click within the lateness);
 *                 clicks later than that go to the 'late-clicks' side output;
 *   active users  distinct users per 60 s window sliding every 10 s (windowAll, one subtask);
 *   sessions      per user, 30 s inactivity gap (session windows merge as clicks arrive out of
 *                 order), counted incrementally with an AggregateFunction and given their window
 *                 bounds by a ProcessWindowFunction.
 * Watermarks: the largest timestamp seen minus 2 s, after every click (`intervalMs: 0`), so the
 * job's output is deterministic and a plain-TypeScript reference can compute it (reference.ts).
 */
import {
  defineJob, EventTimeSessionWindows, OutputTag, SlidingEventTimeWindows, TumblingEventTimeWindows,
  type AggregateFunction, type ProcessWindowFunction, type TimeWindow,
} from '../../index.ts';

export interface Click { user: string; page: string; ts: number }
export interface PageViews { page: string; windowEnd: number; views: number }
export interface ActiveUsers { windowEnd: number; users: number }
export interface UserSession { user: string; start: number; end: number; clicks: number }

export const LATE_CLICKS = new OutputTag<Click>('late-clicks');
export const PAGE_WINDOW_MS = 10_000;
export const ALLOWED_LATENESS_MS = 5_000;
export const ACTIVE_WINDOW_MS = 60_000;
export const ACTIVE_SLIDE_MS = 10_000;
export const SESSION_GAP_MS = 30_000;
export const OUT_OF_ORDERNESS_MS = 2_000;

const countClicks: AggregateFunction<Click, number, number> = {
  createAccumulator: () => 0,
  add: (_c, n) => n + 1,
  getResult: (n) => n,
  merge: (a, b) => a + b,
};

const distinctUsers: AggregateFunction<Click, string[], number> = {
  createAccumulator: () => [],
  add: (c, users) => (users.includes(c.user) ? users : [...users, c.user]),
  getResult: (users) => users.length,
  merge: (a, b) => [...new Set([...a, ...b])],
};

const pageViews: ProcessWindowFunction<number, PageViews, string, TimeWindow> = {
  process(page, ctx, [views], out) {
    out.collect({ page, windowEnd: ctx.window.end, views: views! });
  },
};

const sessionBounds: ProcessWindowFunction<number, UserSession, string, TimeWindow> = {
  process(user, ctx, [clicks], out) {
    out.collect({ user, start: ctx.window.start, end: ctx.window.end, clicks: clicks! });
  },
};

export const clickstreamJob = defineJob('clickstream', (env, p: { clicks: Click[] }) => {
  const clicks = env.fromArray(p.clicks)
    .assignTimestampsAndWatermarks({ timestamp: (c) => c.ts, maxOutOfOrdernessMs: OUT_OF_ORDERNESS_MS, intervalMs: 0 });

  const views = clicks.keyBy((c) => c.page)
    .window(TumblingEventTimeWindows.of(PAGE_WINDOW_MS))
    .allowedLateness(ALLOWED_LATENESS_MS)
    .sideOutputLateData(LATE_CLICKS)
    .aggregate(countClicks, pageViews)
    .uid('page-views');
  views.collect('page-views');
  views.getSideOutput(LATE_CLICKS).collect('late-clicks');

  clicks.windowAll(SlidingEventTimeWindows.of(ACTIVE_WINDOW_MS, ACTIVE_SLIDE_MS))
    .aggregate(distinctUsers, {
      process(ctx, [users], out) {
        out.collect({ windowEnd: ctx.window.end, users: users! });
      },
    })
    .uid('active-users')
    .collect('active-users');

  clicks.keyBy((c) => c.user)
    .window(EventTimeSessionWindows.withGap(SESSION_GAP_MS))
    .aggregate(countClicks, sessionBounds)
    .uid('sessions')
    .collect('sessions');
});

/**
 * Deterministic synthetic clicks: users browsing in bursts, a little disorder (within the 2 s the
 * watermark allows), and every 50th click delayed by 7–20 s (late: some within the allowed
 * lateness of the page-view windows, some beyond it).
 */
export function syntheticClicks(users: number, perUser: number, seed = 7): Click[] {
  let s = seed >>> 0;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const pages = ['home', 'search', 'product', 'cart', 'checkout', 'help'];
  const clicks: Click[] = [];
  for (let u = 0; u < users; u++) {
    let t = Math.floor(rand() * 20_000);
    for (let i = 0; i < perUser; i++) {
      t += rand() < 0.1 ? 40_000 + Math.floor(rand() * 40_000) : Math.floor(rand() * 4_000);
      clicks.push({ user: `user-${u}`, page: pages[Math.floor(rand() * pages.length)]!, ts: t });
    }
  }
  // Arrival order: by time plus up to 1.5 s of jitter; every 50th click arrives 7–20 s late.
  const arrival = clicks.map((c, i) => ({ c, at: c.ts + Math.floor(rand() * 1_500) + (i % 50 === 49 ? 7_000 + Math.floor(rand() * 13_000) : 0) }));
  arrival.sort((a, b) => a.at - b.at);
  return arrival.map((a) => a.c);
}
