/**
 * Nexmark q0, q1, q2 and q12 as plain single-threaded loops (benchmarks/nexmark.ts): the same
 * generator (examples/nexmark/generator.ts) and the same per-event work as the Weir jobs, with
 * no runtime around it — the baseline a user compares a move to Weir with. Each returns the
 * number of output rows, which the caller checks.
 */
import { EventRandom } from '../../examples/nexmark/event-random.ts';
import { eventAt, resolveConfig, type NexmarkConfig } from '../../examples/nexmark/generator.ts';
import type { BidRow, Q2Row } from '../../examples/nexmark/queries-stateless.ts';
import { toEuro } from '../../examples/nexmark/queries-stateless.ts';
import { Q12_WINDOW_MS } from '../../examples/nexmark/queries-windows.ts';

export type PlainLoopQuery = 'q0' | 'q1' | 'q2' | 'q12';
export const PLAIN_LOOP_QUERIES: readonly PlainLoopQuery[] = ['q0', 'q1', 'q2', 'q12'];

/** A sink that keeps the last row (so the work cannot be optimised away) and counts. */
class Blackhole {
  rows = 0;
  last: unknown;
  collect(row: unknown): void {
    this.rows++;
    this.last = row;
  }
}

export function plainLoop(query: PlainLoopQuery, config: NexmarkConfig): number {
  const c = resolveConfig(config);
  const r = new EventRandom();
  const out = new Blackhole();
  // q12: counts per bidder in the current 10 s window of the wall clock, emitted when it ends.
  let windowEnd = 0;
  let counts = new Map<number, number>();
  for (let n = 0; n < c.events; n++) {
    const e = eventAt(c, n, r);
    if (e.type !== 2) continue;
    switch (query) {
      case 'q0':
        out.collect({ auction: e.auction, bidder: e.bidder, price: e.price, dateTime: e.dateTime, extra: e.extra } satisfies BidRow);
        break;
      case 'q1':
        out.collect({ auction: e.auction, bidder: e.bidder, price: toEuro(e.price), dateTime: e.dateTime, extra: e.extra } satisfies BidRow);
        break;
      case 'q2':
        if (e.auction % 123 === 0) out.collect({ auction: e.auction, price: e.price } satisfies Q2Row);
        break;
      case 'q12': {
        const now = Date.now();
        if (now >= windowEnd) {
          for (const [bidder, count] of counts) out.collect({ bidder, bid_count: count, starttime: windowEnd - Q12_WINDOW_MS, endtime: windowEnd });
          counts = new Map();
          windowEnd = now - (now % Q12_WINDOW_MS) + Q12_WINDOW_MS;
        }
        counts.set(e.bidder, (counts.get(e.bidder) ?? 0) + 1);
        break;
      }
    }
  }
  for (const [bidder, count] of counts) out.collect({ bidder, bid_count: count, starttime: windowEnd - Q12_WINDOW_MS, endtime: windowEnd });
  return out.rows;
}
