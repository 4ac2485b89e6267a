/**
 * Runs Nexmark queries on the generator and checks each against its plain-TypeScript reference.
 *   npx tsx examples/nexmark/main.ts [events] [parallelism] [queries, e.g. q0,q5 — default all]
 * Events are generated at 100 events/s of event time (so that a few thousand span several
 * windows); the benchmark (`npm run bench:nexmark`) uses the reference's 10 000/s.
 */
import { nexmarkJob, QUERY_NAMES, type QueryName } from './job.ts';
import { nexmarkReference } from './reference.ts';
import type { Q4Row } from './queries-joins.ts';
import type { Q12Row } from './queries-windows.ts';

const events = Number(process.argv[2] ?? 5000);
const parallelism = Number(process.argv[3] ?? 2);
const queries = (process.argv[4]?.split(',') ?? QUERY_NAMES) as QueryName[];
const config = { events, eventsPerSecond: 100 };

const result = await nexmarkJob.execute({ params: { config, queries }, parallelism }).done;
const reference = nexmarkReference(config);
const canonical = (xs: readonly unknown[]): string => JSON.stringify(xs.map((x) => JSON.stringify(x)).sort());

let failed = 0;
for (const q of queries) {
  const got = result.collected[q] ?? [];
  let ok: boolean;
  let note = '';
  if (q === 'q4') {
    // An updating result: the last average per category is the answer.
    const last = new Map((got as Q4Row[]).map((r) => [r.category, r.avg]));
    ok = canonical([...last].map(([category, avg]) => ({ category, avg }))) === canonical(reference.q4);
    note = ` (${got.length} updates → ${last.size} categories)`;
  } else if (q === 'q12') {
    // Processing-time windows: which window a bid lands in depends on the clock; the totals do not.
    const totals = new Map<number, number>();
    for (const r of got as Q12Row[]) totals.set(r.bidder, (totals.get(r.bidder) ?? 0) + r.bid_count);
    ok = canonical([...totals]) === canonical([...reference.q12]);
    note = ` (${new Set((got as Q12Row[]).map((r) => r.starttime)).size} processing-time window(s))`;
  } else {
    ok = canonical(got) === canonical(reference[q]);
  }
  if (!ok) failed++;
  console.log(`${q.padEnd(4)} ${String(got.length).padStart(6)} rows${note}: ${ok ? 'equals the reference' : 'DIFFERS from the reference'}`);
}
console.log(`${events} events, parallelism ${parallelism}, ${result.durationMs} ms`);
if (failed > 0) process.exit(1);
