/**
 * The Nexmark data model (nexmark/nexmark `model/Person`, `Auction`, `Bid`): an online auction
 * where people register, open auctions and bid. Each event is one flat object with a `type`
 * tag (0 person, 1 auction, 2 bid — the reference's `event_type`), times in epoch milliseconds.
 * Flat objects of numbers and strings take the record codec's shaped fast path on channels.
 */

/** A new person (`event_type = 0`). */
export interface Person {
  readonly type: 0;
  readonly id: number;
  readonly name: string;
  readonly emailAddress: string;
  readonly creditCard: string;
  readonly city: string;
  readonly state: string;
  readonly dateTime: number;
  readonly extra: string;
}

/** A new auction (`event_type = 1`). */
export interface Auction {
  readonly type: 1;
  readonly id: number;
  readonly itemName: string;
  readonly description: string;
  readonly initialBid: number;
  readonly reserve: number;
  readonly dateTime: number;
  readonly expires: number;
  readonly seller: number;
  readonly category: number;
  readonly extra: string;
}

/** A bid (`event_type = 2`). */
export interface Bid {
  readonly type: 2;
  readonly auction: number;
  readonly bidder: number;
  readonly price: number;
  readonly channel: string;
  readonly url: string;
  readonly dateTime: number;
  readonly extra: string;
}

/** One generated event. */
export type NexmarkEvent = Person | Auction | Bid;

export const PERSON = 0;
export const AUCTION = 1;
export const BID = 2;

export const isPerson = (e: NexmarkEvent): e is Person => e.type === PERSON;
export const isAuction = (e: NexmarkEvent): e is Auction => e.type === AUCTION;
export const isBid = (e: NexmarkEvent): e is Bid => e.type === BID;
