/**
 * Nexmark q0–q2 (nexmark-flink/src/main/resources/queries/q0.sql … q2.sql): stateless per bid,
 * chained to the source (no channel between them), so they measure the generator and the
 * per-record cost of the operator chain.
 */
import type { DataStream } from '../../index.ts';
import { BID, type Bid, type NexmarkEvent } from './model.ts';

/** The bids of the event stream (the reference's `bid` view). */
export function bids(events: DataStream<NexmarkEvent>, uid: string): DataStream<Bid> {
  return events.filter((e) => e.type === BID).uid(uid) as unknown as DataStream<Bid>;
}

/** q0 and q1's row: `auction, bidder, price, dateTime, extra`. */
export interface BidRow { auction: number; bidder: number; price: number; dateTime: number; extra: string }

/** q0, pass-through: `SELECT auction, bidder, price, dateTime, extra FROM bid`. */
export function q0(events: DataStream<NexmarkEvent>): DataStream<BidRow> {
  return bids(events, 'q0-bids')
    .map((b): BidRow => ({ auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime, extra: b.extra })).uid('q0-project');
}

/** The euro price of q1 (`0.908 * price`, DECIMAL(23, 3)): price · 908 is an exact integer, / 1000 the nearest double. */
export const toEuro = (price: number): number => (price * 908) / 1000;

/** q1, currency conversion: the bid's price in euros. */
export function q1(events: DataStream<NexmarkEvent>): DataStream<BidRow> {
  return bids(events, 'q1-bids')
    .map((b): BidRow => ({ auction: b.auction, bidder: b.bidder, price: toEuro(b.price), dateTime: b.dateTime, extra: b.extra })).uid('q1-convert');
}

/** q2's row. */
export interface Q2Row { auction: number; price: number }

/** q2, selection: `SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0`. */
export function q2(events: DataStream<NexmarkEvent>): DataStream<Q2Row> {
  return bids(events, 'q2-bids')
    .filter((b) => b.auction % 123 === 0).uid('q2-select')
    .map((b): Q2Row => ({ auction: b.auction, price: b.price })).uid('q2-project');
}
