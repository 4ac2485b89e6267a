/**
 * Nexmark q5, q7 and q12 (q5.sql, q7.sql, q12.sql): windows over bids.
 *
 * - q5: bids per auction in 10 s windows sliding by 2 s, then per window the auctions with the
 *   most bids (Flink SQL: a HOP aggregate joined with its per-window maximum).
 * - q7: the bids with the highest price of each 10 s tumbling window. The SQL joins bids with
 *   the window's maximum on `B.dateTime BETWEEN window_end - 10 s AND window_end` — both ends
 *   inclusive, so a bid at exactly `window_end` (the first instant of the next window) is also
 *   matched when its price equals the maximum. Stage 1 pre-aggregates in parallel (keyed by a
 *   price shard: the top bids of each shard and window, as Flink's local/global aggregation);
 *   stage 2 keeps per window the overall top bids and the bids at `window_end`, and emits when the
 *   watermark passes `window_end`.
 * - q12: bids per bidder in 10 s tumbling processing-time windows. See `EndOfInputTrigger`.
 */
import {
  ListStateDescriptor, SlidingEventTimeWindows, TimeWindow, TumblingEventTimeWindows, TumblingProcessingTimeWindows, ValueStateDescriptor,
  type DataStream, type ListState, type Trigger, type TriggerContext, type TriggerResult, type ValueState,
} from '../../index.ts';
import type { Bid, NexmarkEvent } from './model.ts';
import { bids } from './queries-stateless.ts';

const count = { createAccumulator: () => 0, add: (_b: Bid, n: number) => n + 1, getResult: (n: number) => n, merge: (a: number, b: number) => a + b };

// ─── q5 ─────────────────────────────────────────────────────────────────────

/** q5's row: the auction and its bid count, with the window (an addition: the SQL emits `auction, num`). */
export interface Q5Row { auction: number; num: number; windowStart: number }
export const Q5_SIZE_MS = 10_000;
export const Q5_SLIDE_MS = 2_000;

/** The highest count of a window so far and the rows with it. */
interface Hottest { num: number; rows: Q5Row[] }
function addHottest(acc: Hottest, num: number, rows: readonly Q5Row[]): Hottest {
  if (num > acc.num) return { num, rows: [...rows] };
  if (num === acc.num) return { num, rows: [...acc.rows, ...rows] };
  return acc;
}

/** q5, hot items: per sliding window, the auctions with the most bids. */
export function q5(events: DataStream<NexmarkEvent>): DataStream<Q5Row> {
  return bids(events, 'q5-bids')
    .keyBy((b) => b.auction)
    .window(SlidingEventTimeWindows.of(Q5_SIZE_MS, Q5_SLIDE_MS))
    .aggregate<number, number, Q5Row>(count, { process(auction: number, ctx, [num], out) { out.collect({ auction, num: num!, windowStart: ctx.window.start }); } })
    .uid('q5-counts')
    // The counts of a window all carry its max timestamp, so they meet in one 2 s tumbling window,
    // where an aggregate keeps the maximum and the rows at it (not every count: see the README).
    .keyBy((r) => r.windowStart)
    .window(TumblingEventTimeWindows.of(Q5_SLIDE_MS))
    .aggregate<Hottest, Hottest, Q5Row>({
      createAccumulator: () => ({ num: 0, rows: [] }),
      add: (r, acc) => addHottest(acc, r.num, [r]),
      getResult: (acc) => acc,
      merge: (x, y) => addHottest(x, y.num, y.rows),
    }, { process(_start, _ctx, [hottest], out) { for (const r of hottest!.rows) out.collect(r); } })
    .uid('q5-hottest');
}

// ─── q7 ─────────────────────────────────────────────────────────────────────

/** q7's row: the bid (`B.auction, B.price, B.bidder, B.dateTime, B.extra`). */
export interface Q7Row { auction: number; price: number; bidder: number; dateTime: number; extra: string }
export const Q7_WINDOW_MS = 10_000;
const PRICE_SHARDS = 64;
/** The highest price seen and the bids at it. */
interface TopBids { price: number; bids: Q7Row[] }
interface ShardTop extends TopBids { windowEnd: number }

const row = (b: Bid): Q7Row => ({ auction: b.auction, price: b.price, bidder: b.bidder, dateTime: b.dateTime, extra: b.extra });
function addTop(acc: TopBids, price: number, bids: readonly Q7Row[]): TopBids {
  if (price > acc.price) return { price, bids: [...bids] };
  if (price === acc.price) return { price, bids: [...acc.bids, ...bids] };
  return acc;
}

/** q7, highest bid: the bids with the highest price of each 10 s tumbling window. */
export function q7(events: DataStream<NexmarkEvent>): DataStream<Q7Row> {
  const b = bids(events, 'q7-bids');
  const shardTops = b
    .keyBy((x) => x.price % PRICE_SHARDS)
    .window(TumblingEventTimeWindows.of(Q7_WINDOW_MS))
    .aggregate<TopBids, TopBids, ShardTop>({
      createAccumulator: () => ({ price: -1, bids: [] }),
      add: (x, acc) => addTop(acc, x.price, [row(x)]),
      getResult: (acc) => acc,
      merge: (x, y) => addTop(x, y.price, y.bids),
    }, { process(_shard, ctx, [top], out) { out.collect({ ...top!, windowEnd: ctx.window.end }); } })
    .uid('q7-shard-max');
  // Bids at exactly a window's end also join that window (BETWEEN is inclusive).
  const atWindowEnd = b.filter((x) => x.dateTime % Q7_WINDOW_MS === 0).uid('q7-at-window-end');
  let top!: ValueState<TopBids>;
  let atEnd!: ListState<Q7Row>;
  return shardTops.connect(atWindowEnd).keyBy((s: ShardTop) => s.windowEnd, (x: Bid) => x.dateTime).process<Q7Row>({
    open(ctx) {
      top = ctx.getState(new ValueStateDescriptor<TopBids>('top'));
      atEnd = ctx.getListState(new ListStateDescriptor<Q7Row>('at-window-end'));
    },
    processElement1(s, ctx, _out) {
      top.update(addTop(top.value() ?? { price: -1, bids: [] }, s.price, s.bids));
      ctx.timerService().registerEventTimeTimer(s.windowEnd);
    },
    processElement2(x, ctx, _out) {
      atEnd.add(row(x));
      ctx.timerService().registerEventTimeTimer(x.dateTime);
    },
    onTimer(_t, _ctx, out) {
      // The watermark passed window_end: every shard's top and every bid at window_end arrived.
      const t = top.value();
      if (t) {
        for (const x of t.bids) out.collect(x);
        for (const x of atEnd.get()) if (x.price === t.price) out.collect(x);
      }
      top.clear();
      atEnd.clear();
    },
  }).uid('q7-highest');
}

// ─── q12 ────────────────────────────────────────────────────────────────────

/** q12's row. */
export interface Q12Row { bidder: number; bid_count: number; starttime: number; endtime: number }
export const Q12_WINDOW_MS = 10_000;
/** An event-time timer only the end of a bounded input's final watermark reaches. */
const END_OF_INPUT = Number.MAX_SAFE_INTEGER;

/**
 * Flink's ProcessingTimeTrigger, and also fire (and purge) at the end of a bounded input: like
 * Flink, Weir does not fire processing-time windows still open when the input ends, so without
 * this a bounded run would lose the bids of its last windows. With it, every bid is counted in
 * exactly one window.
 */
export class EndOfInputTrigger implements Trigger<unknown, TimeWindow> {
  onElement(_e: unknown, _ts: number | undefined, w: TimeWindow, ctx: TriggerContext): TriggerResult {
    ctx.registerProcessingTimeTimer(w.maxTimestamp());
    ctx.registerEventTimeTimer(END_OF_INPUT);
    return 'CONTINUE';
  }
  onEventTime(time: number): TriggerResult { return time === END_OF_INPUT ? 'FIRE_AND_PURGE' : 'CONTINUE'; }
  onProcessingTime(): TriggerResult { return 'FIRE'; }
  clear(w: TimeWindow, ctx: TriggerContext): void {
    ctx.deleteProcessingTimeTimer(w.maxTimestamp());
    ctx.deleteEventTimeTimer(END_OF_INPUT);
  }
  toString(): string { return 'EndOfInputTrigger()'; }
}

/** q12, processing-time windows: bids per bidder per 10 s of the subtask's clock. */
export function q12(events: DataStream<NexmarkEvent>): DataStream<Q12Row> {
  return bids(events, 'q12-bids')
    .keyBy((b) => b.bidder)
    .window(TumblingProcessingTimeWindows.of(Q12_WINDOW_MS))
    .trigger(new EndOfInputTrigger())
    .aggregate<number, number, Q12Row>(count, {
      process(bidder: number, ctx, [n], out) { out.collect({ bidder, bid_count: n!, starttime: ctx.window.start, endtime: ctx.window.end }); },
    })
    .uid('q12-counts');
}
