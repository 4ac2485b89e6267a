/**
 * Window-join jobs for test/window-join.test.ts: orders and payments, joined by order id in
 * event-time windows. Each input has its own timestamps and watermarks (disorder within the
 * bound), so no element is late and a plain reference can compute the exact result.
 */
import { defineJob, EventTimeSessionWindows, SlidingEventTimeWindows, TumblingEventTimeWindows } from '../../index.ts';

export interface Order { id: number; ts: number }
export interface Payment { order: number; amount: number; ts: number }
export type JoinCase = 'tumbling-join' | 'sliding-cogroup' | 'session-join';

export const WINDOW = { size: 100, slide: 40, gap: 30 } as const;
export const OUT_OF_ORDERNESS = 20;

export const windowJoinJob = defineJob('t-window-join', (env, p: { orders: Order[]; payments: Payment[]; kase: JoinCase }) => {
  const orders = env.fromArray(p.orders).assignTimestampsAndWatermarks({ timestamp: (o) => o.ts, maxOutOfOrdernessMs: OUT_OF_ORDERNESS });
  const payments = env.fromArray(p.payments).assignTimestampsAndWatermarks({ timestamp: (x) => x.ts, maxOutOfOrdernessMs: OUT_OF_ORDERNESS });
  if (p.kase === 'tumbling-join') {
    orders.join(payments).where((o) => o.id).equalTo((x) => x.order)
      .window(TumblingEventTimeWindows.of(WINDOW.size))
      .apply((o, x) => `${o.id}:${o.ts}/${x.amount}:${x.ts}`)
      .uid('join').collect('out');
  } else if (p.kase === 'sliding-cogroup') {
    orders.coGroup(payments).where((o) => o.id).equalTo((x) => x.order)
      .window(SlidingEventTimeWindows.of(WINDOW.size, WINDOW.slide))
      .apply((os: Order[], xs: Payment[], out) => {
        const id = os[0]?.id ?? xs[0]!.order;
        out.collect(`${id}:${os.length}/${xs.reduce((n, x) => n + x.amount, 0)}`);
      })
      .uid('cogroup').collect('out');
  } else {
    orders.join(payments).where((o) => o.id).equalTo((x) => x.order)
      .window(EventTimeSessionWindows.withGap(WINDOW.gap))
      .apply((o, x, out) => { if (x.amount > 0) out.collect(`${o.id}:${o.ts}/${x.amount}:${x.ts}`); }, { flat: true })
      .uid('join').collect('out');
  }
});

/** Deterministic inputs: `n` orders and ~2n payments over 20 order ids, each input with disorder < OUT_OF_ORDERNESS. */
export function joinInputs(n: number, seed = 3): { orders: Order[]; payments: Payment[] } {
  let s = seed >>> 0;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const orders: Order[] = [];
  const payments: Payment[] = [];
  let t = 0;
  for (let i = 0; i < n; i++) {
    t += Math.floor(rand() * 12);
    orders.push({ id: Math.floor(rand() * 20), ts: t });
    for (let k = Math.floor(rand() * 4); k > 0; k--) payments.push({ order: Math.floor(rand() * 20), amount: 1 + Math.floor(rand() * 9), ts: t + Math.floor(rand() * 15) });
  }
  const jitter = <T extends { ts: number }>(xs: T[]) => xs.map((x) => ({ x, at: x.ts + rand() * (OUT_OF_ORDERNESS - 1) })).sort((a, b) => a.at - b.at).map((a) => a.x);
  return { orders: jitter(orders), payments: jitter(payments) };
}

/** The same joins, sequentially: windows assigned by hand, pairs by nested loops. */
export function referenceJoin(kase: JoinCase, orders: readonly Order[], payments: readonly Payment[]): string[] {
  const out: string[] = [];
  if (kase === 'session-join') {
    const ids = new Set([...orders.map((o) => o.id), ...payments.map((x) => x.order)]);
    for (const id of ids) {
      const events = [...orders.filter((o) => o.id === id).map((o) => ({ ts: o.ts, o })), ...payments.filter((x) => x.order === id).map((x) => ({ ts: x.ts, x }))]
        .sort((a, b) => a.ts - b.ts);
      let session: typeof events = [];
      const flush = () => {
        for (const a of session) if ('o' in a) for (const b of session) if ('x' in b && b.x!.amount > 0) out.push(`${a.o!.id}:${a.o!.ts}/${b.x!.amount}:${b.x!.ts}`);
        session = [];
      };
      // Sessions [ts, ts + gap) merge when they overlap or touch: a gap of more than `gap` ends one.
      for (const e of events) {
        if (session.length > 0 && e.ts > session.at(-1)!.ts + WINDOW.gap) flush();
        session.push(e);
      }
      flush();
    }
    return out;
  }
  const slide = kase === 'tumbling-join' ? WINDOW.size : WINDOW.slide;
  const windowsOf = (ts: number) => {
    const starts: number[] = [];
    for (let start = ts - (ts % slide); start > ts - WINDOW.size; start -= slide) starts.push(start);
    return starts;
  };
  const groups = new Map<string, { os: Order[]; xs: Payment[] }>();
  const group = (id: number, start: number) => {
    const k = `${id}@${start}`;
    return groups.get(k) ?? groups.set(k, { os: [], xs: [] }).get(k)!;
  };
  for (const o of orders) for (const start of windowsOf(o.ts)) group(o.id, start).os.push(o);
  for (const x of payments) for (const start of windowsOf(x.ts)) group(x.order, start).xs.push(x);
  for (const [k, g] of groups) {
    const id = Number(k.slice(0, k.indexOf('@')));
    if (kase === 'tumbling-join') {
      for (const o of g.os) for (const x of g.xs) out.push(`${o.id}:${o.ts}/${x.amount}:${x.ts}`);
    } else {
      out.push(`${id}:${g.os.length}/${g.xs.reduce((n, x) => n + x.amount, 0)}`);
    }
  }
  return out;
}
