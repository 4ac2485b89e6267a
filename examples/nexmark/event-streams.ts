/**
 * The reference's `person`, `auction` and `bid` views of the one event stream, for queries that
 * read more than one of them.
 *
 * Why not three filters on the event stream: an operator with several consumers ends its chain,
 * so each filter would run in its own subtask and receive EVERY event over a channel (encoded and
 * decoded once per filter). Routing instead — one process function chained to the source, one
 * kind on its main output and the others to side outputs — sends each event over exactly one
 * channel, and only to the operators that read its kind (Flink chains the filters to the source
 * instead; Weir chains single-output operators only).
 */
import { OutputTag, type DataStream } from '../../index.ts';
import type { Auction, Bid, NexmarkEvent, Person } from './model.ts';

const TAGS = [new OutputTag<Person>('persons'), new OutputTag<Auction>('auctions'), new OutputTag<Bid>('bids')] as const;

export interface EventStreams {
  readonly persons: DataStream<Person>;
  readonly auctions: DataStream<Auction>;
  readonly bids: DataStream<Bid>;
}

/**
 * Route `events` by kind: `main` (0 person, 1 auction, 2 bid) on the router's main output, the
 * other kinds on side outputs; events `keep` rejects go nowhere (a query's selection, applied
 * before any channel). The streams are created when first read (a view nobody reads costs
 * nothing but the routing). Read each view once: the router's outputs go straight to the
 * query's next operators (its consumers are not chained to it).
 */
export function eventStreams(events: DataStream<NexmarkEvent>, uid: string, main: 0 | 1 | 2, keep: (e: NexmarkEvent) => boolean = () => true): EventStreams {
  const routed = events.process<NexmarkEvent>({
    processElement(e, ctx, out) {
      if (!keep(e)) return;
      if (e.type === main) out.collect(e);
      else ctx.output(TAGS[e.type] as OutputTag<NexmarkEvent>, e);
    },
  }).uid(uid);
  const view = <T>(type: 0 | 1 | 2): DataStream<T> =>
    (type === main ? routed : routed.getSideOutput(TAGS[type] as OutputTag<NexmarkEvent>)) as unknown as DataStream<T>;
  return {
    get persons() { return view<Person>(0); },
    get auctions() { return view<Auction>(1); },
    get bids() { return view<Bid>(2); },
  };
}
