/**
 * Nexmark q3, q4 and q8: joins of persons, auctions and bids (q3.sql, q4.sql, q8.sql).
 *
 * - q3 is Flink SQL's regular (unbounded) inner join, incremental: a keyed co-process function
 *   on seller = person id that emits a row whenever the second side of a pair arrives.
 * - q4 is a regular join + MAX per auction + AVG per category; Flink SQL runs it as an updating
 *   (retracting) aggregate, and so does this: stage 1 emits an update whenever an auction's
 *   winning price rises, stage 2 keeps sum and count per category and emits the new average.
 * - q8 is a window join: sellers grouped per 10 s tumbling window, joined with the persons of
 *   the same window on id = seller, one row per (person, window).
 * Each reads its kinds of events through `eventStreams` (event-streams.ts): one router chained to
 * the source, so every event crosses at most one channel, and the selections run before it.
 */
import {
  ListStateDescriptor, TumblingEventTimeWindows, ValueStateDescriptor,
  type DataStream, type ListState, type ValueState,
} from '../../index.ts';
import { AUCTION, BID, PERSON, type NexmarkEvent } from './model.ts';
import { eventStreams } from './event-streams.ts';

// ─── q3 ─────────────────────────────────────────────────────────────────────

/** q3's row: `P.name, P.city, P.state, A.id`. */
export interface Q3Row { name: string; city: string; state: string; id: number }
type PersonPlace = Pick<Q3Row, 'name' | 'city' | 'state'>;
export const Q3_STATES: ReadonlySet<string> = new Set(['OR', 'ID', 'CA']);
export const Q3_CATEGORY = 10;

/**
 * q3, local item suggestion: auctions of category 10 joined with their seller when the seller
 * lives in OR, ID or CA. Person ids are unique, so the person side is one value per key; auctions
 * that arrive before their seller (the generator picks sellers up to 10 ids ahead) wait in a list.
 */
export function q3(events: DataStream<NexmarkEvent>): DataStream<Q3Row> {
  const { auctions: a, persons: p } = eventStreams(events, 'q3-select', AUCTION,
    (e) => (e.type === AUCTION && e.category === Q3_CATEGORY) || (e.type === PERSON && Q3_STATES.has(e.state)));
  let person!: ValueState<PersonPlace>;
  let waiting!: ListState<number>;
  return a.connect(p).keyBy((x) => x.seller, (x) => x.id).process<Q3Row>({
    open(ctx) {
      person = ctx.getState(new ValueStateDescriptor<PersonPlace>('person'));
      waiting = ctx.getListState(new ListStateDescriptor<number>('auctions'));
    },
    processElement1(auction, _ctx, out) {
      const seller = person.value();
      if (seller) out.collect({ ...seller, id: auction.id });
      else waiting.add(auction.id);
    },
    processElement2(x, _ctx, out) {
      const place = { name: x.name, city: x.city, state: x.state };
      person.update(place);
      const ids = waiting.get();
      if (ids.length === 0) return;
      for (const id of ids) out.collect({ ...place, id });
      waiting.clear();
    },
  }).uid('q3-join');
}

// ─── q4 ─────────────────────────────────────────────────────────────────────

/** An auction's winning price changed (stage 1 of q4): `previous` is −1 for its first qualifying bid. */
export interface WinningPriceUpdate { category: number; auction: number; previous: number; final: number }
/** q4's row: the category and its average winning price (BIGINT: truncated, as Flink's AVG on BIGINT). */
export interface Q4Row { category: number; avg: number }
interface AuctionWindow { category: number; from: number; to: number }
interface CategoryTotal { sum: number; count: number }

/** Does a bid qualify for an auction (`B.dateTime BETWEEN A.dateTime AND A.expires`)? */
export const inAuction = (from: number, to: number, t: number): boolean => t >= from && t <= to;

/**
 * q4, average price for a category: per auction the highest price among its bids between its
 * start and expiry, then the average of those per category, updated as they change. The last row
 * per category is the query's result over the whole input.
 */
export function q4(events: DataStream<NexmarkEvent>): DataStream<Q4Row> {
  const { auctions: a, bids: b } = eventStreams(events, 'q4-route', BID, (e) => e.type !== PERSON);
  let auction!: ValueState<AuctionWindow>;
  let best!: ValueState<number>;
  let early!: ListState<[number, number]>;
  const winning = a.connect(b).keyBy((x) => x.id, (x) => x.auction).process<WinningPriceUpdate>({
    open(ctx) {
      auction = ctx.getState(new ValueStateDescriptor<AuctionWindow>('auction'));
      best = ctx.getState(new ValueStateDescriptor<number>('max-price'));
      early = ctx.getListState(new ListStateDescriptor<[number, number]>('early-bids'));
    },
    processElement1(x, _ctx, out) {
      auction.update({ category: x.category, from: x.dateTime, to: x.expires });
      // Bids that came before their auction (bidders pick auctions up to 10 ids ahead).
      const waiting = early.get();
      if (waiting.length === 0) return;
      early.clear();
      let max = -1;
      for (const [price, t] of waiting) if (inAuction(x.dateTime, x.expires, t) && price > max) max = price;
      if (max < 0) return;
      best.update(max);
      out.collect({ category: x.category, auction: x.id, previous: -1, final: max });
    },
    processElement2(x, _ctx, out) {
      const w = auction.value();
      if (!w) {
        early.add([x.price, x.dateTime]);
        return;
      }
      if (!inAuction(w.from, w.to, x.dateTime)) return;
      const previous = best.value() ?? -1;
      if (x.price <= previous) return;
      best.update(x.price);
      out.collect({ category: w.category, auction: x.auction, previous, final: x.price });
    },
  }).uid('q4-winning-bids');
  let total!: ValueState<CategoryTotal>;
  return winning.keyBy((u) => u.category).process<Q4Row>({
    open(ctx) { total = ctx.getState(new ValueStateDescriptor<CategoryTotal>('total')); },
    processElement(u, _ctx, out) {
      const t = total.value() ?? { sum: 0, count: 0 };
      const next = u.previous < 0 ? { sum: t.sum + u.final, count: t.count + 1 } : { sum: t.sum + u.final - u.previous, count: t.count };
      total.update(next);
      out.collect({ category: u.category, avg: Math.trunc(next.sum / next.count) });
    },
  }).uid('q4-average');
}

// ─── q8 ─────────────────────────────────────────────────────────────────────

/** q8's row: `P.id, P.name, P.starttime`. */
export interface Q8Row { id: number; name: string; stime: number }
export const Q8_WINDOW_MS = 10_000;

/**
 * q8, monitor new users: persons who registered and opened an auction in the same 10 s tumbling
 * window. As the SQL: the auctions are first grouped by (seller, window) — one row however many
 * auctions a seller opened — then joined with the persons of that window on id = seller (a
 * window join; the grouped rows carry their window's max timestamp, so they stay in it). The
 * persons need no grouping: person ids are unique, so `GROUP BY id, name, window` keeps each.
 */
export function q8(events: DataStream<NexmarkEvent>): DataStream<Q8Row> {
  const { persons: p, auctions } = eventStreams(events, 'q8-route', AUCTION, (e) => e.type !== BID);
  const sellers = auctions
    .keyBy((x) => x.seller)
    .window(TumblingEventTimeWindows.of(Q8_WINDOW_MS))
    .aggregate<0, 0, { seller: number; stime: number }>(
      { createAccumulator: () => 0, add: () => 0, getResult: () => 0, merge: () => 0 },
      { process(seller: number, ctx, _, out) { out.collect({ seller, stime: ctx.window.start }); } },
    ).uid('q8-sellers');
  return p.join(sellers).where((x) => x.id).equalTo((x) => x.seller)
    .window(TumblingEventTimeWindows.of(Q8_WINDOW_MS))
    .apply((x, s): Q8Row => ({ id: x.id, name: x.name, stime: s.stime })).uid('q8-join');
}
