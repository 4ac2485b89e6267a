/**
 * Every query's result computed in plain TypeScript, in one pass over the events in order — what
 * the Weir jobs must equal (test/nexmark.test.ts). Written from the SQL (nexmark-flink's
 * queries/q*.sql), not from the jobs: whole-input group-bys instead of state, timers and windows.
 */
import { allEvents, type NexmarkConfig } from './generator.ts';
import type { Auction, Bid, NexmarkEvent, Person } from './model.ts';
import { toEuro, type BidRow, type Q2Row } from './queries-stateless.ts';
import { inAuction, Q3_CATEGORY, Q3_STATES, Q8_WINDOW_MS, type Q3Row, type Q4Row, type Q8Row } from './queries-joins.ts';
import { Q5_SIZE_MS, Q5_SLIDE_MS, Q7_WINDOW_MS, type Q5Row, type Q7Row } from './queries-windows.ts';

export interface NexmarkReference {
  q0: BidRow[];
  q1: BidRow[];
  q2: Q2Row[];
  q3: Q3Row[];
  /** The final average per category (the query's updating result after the whole input). */
  q4: Q4Row[];
  q5: Q5Row[];
  q7: Q7Row[];
  q8: Q8Row[];
  /** q12's invariant: bids per bidder over all processing-time windows. */
  q12: Map<number, number>;
}

const windowStart = (t: number, size: number): number => t - (t % size);

export function nexmarkReference(config: NexmarkConfig): NexmarkReference {
  const persons: Person[] = [];
  const auctions: Auction[] = [];
  const bids: Bid[] = [];
  for (const e of allEvents(config) as Iterable<NexmarkEvent>) {
    if (e.type === 0) persons.push(e);
    else if (e.type === 1) auctions.push(e);
    else bids.push(e);
  }
  const bidRow = (b: Bid, price: number): BidRow => ({ auction: b.auction, bidder: b.bidder, price, dateTime: b.dateTime, extra: b.extra });
  return {
    q0: bids.map((b) => bidRow(b, b.price)),
    q1: bids.map((b) => bidRow(b, toEuro(b.price))),
    q2: bids.filter((b) => b.auction % 123 === 0).map((b) => ({ auction: b.auction, price: b.price })),
    q3: q3(persons, auctions),
    q4: q4(auctions, bids),
    q5: q5(bids),
    q7: q7(bids),
    q8: q8(persons, auctions),
    q12: countBy(bids, (b) => b.bidder),
  };
}

function countBy<T, K>(xs: readonly T[], key: (x: T) => K): Map<K, number> {
  const m = new Map<K, number>();
  for (const x of xs) m.set(key(x), (m.get(key(x)) ?? 0) + 1);
  return m;
}

/** `auction A JOIN person P ON A.seller = P.id WHERE A.category = 10 AND P.state IN (OR, ID, CA)`. */
function q3(persons: readonly Person[], auctions: readonly Auction[]): Q3Row[] {
  const rows: Q3Row[] = [];
  for (const a of auctions) {
    if (a.category !== Q3_CATEGORY) continue;
    for (const p of persons) if (p.id === a.seller && Q3_STATES.has(p.state)) rows.push({ name: p.name, city: p.city, state: p.state, id: a.id });
  }
  return rows;
}

/** MAX(B.price) per auction over bids within [A.dateTime, A.expires], then AVG (BIGINT, truncated) per category. */
function q4(auctions: readonly Auction[], bids: readonly Bid[]): Q4Row[] {
  const byAuction = new Map<number, Bid[]>();
  for (const b of bids) (byAuction.get(b.auction) ?? byAuction.set(b.auction, []).get(b.auction)!).push(b);
  const perCategory = new Map<number, { sum: number; count: number }>();
  for (const a of auctions) {
    const prices = (byAuction.get(a.id) ?? []).filter((b) => inAuction(a.dateTime, a.expires, b.dateTime)).map((b) => b.price);
    if (prices.length === 0) continue;
    const t = perCategory.get(a.category) ?? { sum: 0, count: 0 };
    perCategory.set(a.category, { sum: t.sum + Math.max(...prices), count: t.count + 1 });
  }
  return [...perCategory].map(([category, t]) => ({ category, avg: Math.trunc(t.sum / t.count) }));
}

/** HOP(10 s, 2 s) counts per auction; per window the auctions whose count is the window's maximum. */
function q5(bids: readonly Bid[]): Q5Row[] {
  const counts = new Map<number, Map<number, number>>(); // window start → auction → count
  for (const b of bids) {
    for (let s = windowStart(b.dateTime, Q5_SLIDE_MS); s > b.dateTime - Q5_SIZE_MS; s -= Q5_SLIDE_MS) {
      const w = counts.get(s) ?? counts.set(s, new Map()).get(s)!;
      w.set(b.auction, (w.get(b.auction) ?? 0) + 1);
    }
  }
  const rows: Q5Row[] = [];
  for (const [start, w] of counts) {
    const max = Math.max(...w.values());
    for (const [auction, num] of w) if (num >= max) rows.push({ auction, num, windowStart: start });
  }
  return rows;
}

/** Bids whose price is the maximum of a 10 s tumbling window and whose time is within [end − 10 s, end]. */
export function q7(bids: readonly Bid[]): Q7Row[] {
  const max = new Map<number, number>(); // window end → max price
  for (const b of bids) {
    const end = windowStart(b.dateTime, Q7_WINDOW_MS) + Q7_WINDOW_MS;
    max.set(end, Math.max(max.get(end) ?? -1, b.price));
  }
  const rows: Q7Row[] = [];
  for (const [end, price] of max) {
    for (const b of bids) {
      if (b.price === price && b.dateTime >= end - Q7_WINDOW_MS && b.dateTime <= end) {
        rows.push({ auction: b.auction, price: b.price, bidder: b.bidder, dateTime: b.dateTime, extra: b.extra });
      }
    }
  }
  return rows;
}

/** Persons (grouped by id, name, window) joined with sellers (grouped by seller, window) of the same 10 s window. */
function q8(persons: readonly Person[], auctions: readonly Auction[]): Q8Row[] {
  const sellers = new Set(auctions.map((a) => `${a.seller}@${windowStart(a.dateTime, Q8_WINDOW_MS)}`));
  const rows = new Map<string, Q8Row>();
  for (const p of persons) {
    const stime = windowStart(p.dateTime, Q8_WINDOW_MS);
    if (sellers.has(`${p.id}@${stime}`)) rows.set(`${p.id}@${p.name}@${stime}`, { id: p.id, name: p.name, stime });
  }
  return [...rows.values()];
}
