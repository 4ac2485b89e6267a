/**
 * The Nexmark event generator, after nexmark/nexmark's `nexmark-flink/.../generator`
 * (GeneratorConfig, NexmarkGenerator, model/PersonGenerator, AuctionGenerator, BidGenerator):
 * the same event mix (persons : auctions : bids = 1 : 3 : 46 by event id), ids, hot auctions,
 * bidders and sellers, prices, categories, string sizes and event times from a rate.
 *
 * Event n is a pure function of (config, n): its id is n, its event time
 * `baseTime + ⌊n · 10⁶/rate⌋ µs / 1000`, and its fields come from a random stream seeded by
 * (seed, n) (event-random.ts). Differences from the reference, all so that the stream is one
 * deterministic sequence whatever the parallelism:
 * - the reference seeds nothing (`new SplittableRandom()`) — here every event is reproducible;
 * - the reference splits the id space between parallel generators (each runs its own timeline
 *   with its own persons and auctions); here parallel generators take strides of ONE sequence
 *   (source.ts), so the data does not depend on the parallelism;
 * - the reference adds FIRST_PERSON_ID to a bid's bidder twice (bidders are 2000 + …); here once,
 *   as in Beam's original, so that bidders are person ids;
 * - the channel URLs and the reusable padding string come from a fixed seed (the reference draws
 *   them unseeded once per JVM), the padding string is 64 KiB instead of 1 MiB.
 */
import { EventRandom, nextExtra, nextPrice, nextString } from './event-random.ts';
import type { Auction, Bid, NexmarkEvent, Person } from './model.ts';

/** The generator's settings (the reference's NexmarkConfiguration defaults). */
export interface NexmarkConfig {
  /** Events to generate (the source is bounded). */
  readonly events: number;
  /** Seed of every event's random stream. Default 1. */
  readonly seed?: number;
  /** Events per second of event time (the reference's first-event.rate). Default 10 000. */
  readonly eventsPerSecond?: number;
  /** Event time of event 0 (epoch ms). Default 2026-01-01T00:00:00Z. */
  readonly baseTime?: number;
  readonly personProportion?: number;
  readonly auctionProportion?: number;
  readonly bidProportion?: number;
  /** P(a bid is for a hot auction) = 1 − 1/hotAuctionRatio. Default 2. */
  readonly hotAuctionRatio?: number;
  /** P(an auction is by a hot seller) = 1 − 1/hotSellersRatio. Default 4. */
  readonly hotSellersRatio?: number;
  /** P(a bid is by a hot bidder) = 1 − 1/hotBiddersRatio. Default 4. */
  readonly hotBiddersRatio?: number;
  readonly numActivePeople?: number;
  readonly numInFlightAuctions?: number;
  readonly avgPersonByteSize?: number;
  readonly avgAuctionByteSize?: number;
  readonly avgBidByteSize?: number;
}

export type ResolvedNexmarkConfig = Required<NexmarkConfig> & { readonly totalProportion: number; readonly interEventDelayUs: number };

export const FIRST_AUCTION_ID = 1000;
export const FIRST_PERSON_ID = 1000;
export const FIRST_CATEGORY_ID = 10;
const NUM_CATEGORIES = 5;
const PERSON_ID_LEAD = 10;
const AUCTION_ID_LEAD = 10;
const HOT_SELLER_RATIO = 100;
const HOT_AUCTION_RATIO = 100;
const HOT_BIDDER_RATIO = 100;
const HOT_CHANNELS_RATIO = 2;
const CHANNELS_NUMBER = 10_000;

export function resolveConfig(c: NexmarkConfig): ResolvedNexmarkConfig {
  const r = {
    seed: 1, eventsPerSecond: 10_000, baseTime: Date.UTC(2026, 0, 1),
    personProportion: 1, auctionProportion: 3, bidProportion: 46,
    hotAuctionRatio: 2, hotSellersRatio: 4, hotBiddersRatio: 4,
    numActivePeople: 1000, numInFlightAuctions: 100,
    avgPersonByteSize: 200, avgAuctionByteSize: 500, avgBidByteSize: 100,
    ...c,
  };
  if (!Number.isSafeInteger(r.events) || r.events < 0) throw new Error(`nexmark: events must be an integer ≥ 0, got ${r.events}`);
  if (!(r.eventsPerSecond > 0)) throw new Error(`nexmark: eventsPerSecond must be > 0, got ${r.eventsPerSecond}`);
  return { ...r, totalProportion: r.personProportion + r.auctionProportion + r.bidProportion, interEventDelayUs: 1_000_000 / r.eventsPerSecond };
}

/** `GeneratorConfig.timestampForEvent`: the event time of event n. */
export function timestampForEvent(c: ResolvedNexmarkConfig, n: number): number {
  return c.baseTime + Math.floor(Math.floor(n * c.interEventDelayUs) / 1000);
}

/** `PersonGenerator.lastBase0PersonId`: the last person created at or before event id `id`. */
export function lastBase0PersonId(c: ResolvedNexmarkConfig, id: number): number {
  const epoch = Math.floor(id / c.totalProportion);
  let offset = id % c.totalProportion;
  if (offset >= c.personProportion) offset = c.personProportion - 1;
  return epoch * c.personProportion + offset;
}

/** `AuctionGenerator.lastBase0AuctionId`: the last auction created at or before event id `id`. */
export function lastBase0AuctionId(c: ResolvedNexmarkConfig, id: number): number {
  let epoch = Math.floor(id / c.totalProportion);
  let offset = id % c.totalProportion;
  if (offset < c.personProportion) {
    epoch--;
    offset = c.auctionProportion - 1;
  } else if (offset >= c.personProportion + c.auctionProportion) {
    offset = c.auctionProportion - 1;
  } else {
    offset -= c.personProportion;
  }
  return epoch * c.auctionProportion + offset;
}

/** A random active person, or one of the next few (`PersonGenerator.nextBase0PersonId`). */
function nextBase0PersonId(c: ResolvedNexmarkConfig, id: number, r: EventRandom): number {
  const numPeople = lastBase0PersonId(c, id) + 1;
  const active = Math.min(numPeople, c.numActivePeople);
  return numPeople - active + r.nextInt(active + PERSON_ID_LEAD);
}

/** A random auction likely still open, or one of the next few (`AuctionGenerator.nextBase0AuctionId`). */
function nextBase0AuctionId(c: ResolvedNexmarkConfig, id: number, r: EventRandom): number {
  const maxAuction = lastBase0AuctionId(c, id);
  const minAuction = Math.max(maxAuction - c.numInFlightAuctions, 0);
  return minAuction + r.nextInt(maxAuction - minAuction + 1 + AUCTION_ID_LEAD);
}

const US_STATES = 'AZ,CA,ID,OR,WA,WY'.split(',');
const US_CITIES = 'Phoenix,Los Angeles,San Francisco,Boise,Portland,Bend,Redmond,Seattle,Kent,Cheyenne'.split(',');
const FIRST_NAMES = 'Peter,Paul,Luke,John,Saul,Vicky,Kate,Julie,Sarah,Deiter,Walter'.split(',');
const LAST_NAMES = 'Shultz,Abrams,Spencer,White,Bartels,Walton,Smith,Jones,Noris'.split(',');
const pick = (r: EventRandom, xs: readonly string[]): string => xs[r.nextInt(xs.length)]!;
const card = (r: EventRandom): string => String(r.nextInt(10_000)).padStart(4, '0');

function nextPerson(c: ResolvedNexmarkConfig, id: number, ts: number, r: EventRandom): Person {
  const name = `${pick(r, FIRST_NAMES)} ${pick(r, LAST_NAMES)}`;
  const emailAddress = `${nextString(r, 7)}@${nextString(r, 5)}.com`;
  const creditCard = `${card(r)} ${card(r)} ${card(r)} ${card(r)}`;
  const city = pick(r, US_CITIES);
  const state = pick(r, US_STATES);
  const size = 8 + name.length + emailAddress.length + creditCard.length + city.length + state.length;
  const extra = nextExtra(r, size, c.avgPersonByteSize);
  return { type: 0, id: lastBase0PersonId(c, id) + FIRST_PERSON_ID, name, emailAddress, creditCard, city, state, dateTime: ts, extra };
}

function nextAuction(c: ResolvedNexmarkConfig, id: number, ts: number, r: EventRandom): Auction {
  // P(hot seller) = 1 − 1/hotSellersRatio: the first person of the last batch of HOT_SELLER_RATIO people.
  const seller = (r.nextInt(c.hotSellersRatio) > 0
    ? Math.trunc(lastBase0PersonId(c, id) / HOT_SELLER_RATIO) * HOT_SELLER_RATIO
    : nextBase0PersonId(c, id, r)) + FIRST_PERSON_ID;
  const category = FIRST_CATEGORY_ID + r.nextInt(NUM_CATEGORIES);
  const initialBid = nextPrice(r);
  // nextAuctionLengthMs: on average the time until numInFlightAuctions more auctions exist.
  const eventsForAuctions = Math.floor((c.numInFlightAuctions * c.totalProportion) / c.auctionProportion);
  const horizonMs = timestampForEvent(c, id + eventsForAuctions) - ts;
  const expires = ts + 1 + r.nextInt(Math.max(horizonMs * 2, 1));
  const itemName = nextString(r, 20);
  const description = nextString(r, 100);
  const reserve = initialBid + nextPrice(r);
  const extra = nextExtra(r, 8 + itemName.length + description.length + 40, c.avgAuctionByteSize);
  return { type: 1, id: lastBase0AuctionId(c, id) + FIRST_AUCTION_ID, itemName, description, initialBid, reserve, dateTime: ts, expires, seller, category, extra };
}

interface ChannelUrls { hotUrls: string[]; channels: Array<[string, string]> }
let channelUrls: ChannelUrls | undefined;
/** The hot channels' URLs and the 10 000 other channels (`BidGenerator`'s caches), from a fixed seed. */
function channelCache(): ChannelUrls {
  if (channelUrls) return channelUrls;
  const r = new EventRandom().reset(0xc4a77e1, 0);
  const baseUrl = () => `https://www.nexmark.com/${nextString(r, 5, '_')}/${nextString(r, 5, '_')}/${nextString(r, 5, '_')}/item.htm?query=1`;
  const hotUrls = [baseUrl(), baseUrl(), baseUrl(), baseUrl()];
  const channels: Array<[string, string]> = [];
  for (let i = 0; i < CHANNELS_NUMBER; i++) {
    let url = baseUrl();
    if (r.nextInt(10) > 0) url += `&channel_id=${Math.abs(reverseBits32(i))}`;
    channels.push([`channel-${i}`, url]);
  }
  return (channelUrls = { hotUrls, channels });
}

/** Java's `Integer.reverse` (as a signed 32-bit integer). */
function reverseBits32(i: number): number {
  let x = i >>> 0;
  let out = 0;
  for (let b = 0; b < 32; b++) {
    out = (out << 1) | (x & 1);
    x >>>= 1;
  }
  return out | 0;
}

const HOT_CHANNELS = ['Google', 'Facebook', 'Baidu', 'Apple'];

function nextBid(c: ResolvedNexmarkConfig, id: number, ts: number, r: EventRandom): Bid {
  // P(hot auction) = 1 − 1/hotAuctionRatio: the first auction of the last batch of HOT_AUCTION_RATIO.
  const auction = (r.nextInt(c.hotAuctionRatio) > 0
    ? Math.trunc(lastBase0AuctionId(c, id) / HOT_AUCTION_RATIO) * HOT_AUCTION_RATIO
    : nextBase0AuctionId(c, id, r)) + FIRST_AUCTION_ID;
  // P(hot bidder) = 1 − 1/hotBiddersRatio: the second person of the last batch (hot sellers are the first).
  const bidder = (r.nextInt(c.hotBiddersRatio) > 0
    ? Math.trunc(lastBase0PersonId(c, id) / HOT_BIDDER_RATIO) * HOT_BIDDER_RATIO + 1
    : nextBase0PersonId(c, id, r)) + FIRST_PERSON_ID;
  const price = nextPrice(r);
  const cache = channelCache();
  let channel: string;
  let url: string;
  if (r.nextInt(HOT_CHANNELS_RATIO) > 0) {
    const i = r.nextInt(HOT_CHANNELS.length);
    channel = HOT_CHANNELS[i]!;
    url = cache.hotUrls[i]!;
  } else {
    [channel, url] = cache.channels[r.nextInt(CHANNELS_NUMBER)]!;
  }
  const extra = nextExtra(r, 32, c.avgBidByteSize);
  return { type: 2, auction, bidder, price, channel, url, dateTime: ts, extra };
}

/**
 * Event number n (its id: `firstEventId` is 0 and events are in order, the reference's
 * `outOfOrderGroupSize` = 1). `r` is scratch state, reset here.
 */
export function eventAt(c: ResolvedNexmarkConfig, n: number, r: EventRandom = new EventRandom()): NexmarkEvent {
  r.reset(c.seed, n);
  const ts = timestampForEvent(c, n);
  const rem = n % c.totalProportion;
  if (rem < c.personProportion) return nextPerson(c, n, ts, r);
  if (rem < c.personProportion + c.auctionProportion) return nextAuction(c, n, ts, r);
  return nextBid(c, n, ts, r);
}

/** Every event of the configuration, in order (for references and plain loops). */
export function* allEvents(config: NexmarkConfig): Generator<NexmarkEvent> {
  const c = resolveConfig(config);
  const r = new EventRandom();
  for (let n = 0; n < c.events; n++) yield eventAt(c, n, r);
}
