/**
 * The orders example (examples/orders-to-postgres) with injected failures between its pieces,
 * for the end-to-end exactly-once test. Every worker imports this module (job at top level).
 *
 * A fault fires once across attempts, when the test has created its marker file (after a
 * completed checkpoint) and a subtask claims it:
 *   parse-exit     the worker running a parse subtask calls process.exit (checked every 50 records)
 *   lookup-throw   a lookup's promise rejects (the async I/O operator's completeExceptionally path)
 *   total-throw    the keyed running total throws in processElement
 *   pre-commit     the sink fails after PREPARE TRANSACTION (commit-faults.ts)
 *   commit         the sink fails after COMMIT PREPARED
 */
import fs from 'node:fs';
import { defineJob, type AsyncFunction } from '../../index.ts';
import {
  customerTotals, readOrders, regionLookup, runningTotal, totalsSink, withRegion,
  type EnrichedOrder, type Order, type OrdersParams,
} from '../../examples/orders-to-postgres/job.ts';
import { withCommitFaults } from './commit-faults.ts';
import { claim } from './fault-jobs.ts';

export type OrdersFaultKind = 'parse-exit' | 'lookup-throw' | 'total-throw' | 'pre-commit' | 'commit';
export interface OrdersFault { kind: OrdersFaultKind; marker: string }
export interface OrdersFaultParams extends OrdersParams { faults: OrdersFault[] }

const markersOf = (p: OrdersFaultParams, kind: OrdersFaultKind) => p.faults.filter((f) => f.kind === kind).map((f) => f.marker);

/** True once when one of `markers` exists and this caller claimed it; looks every `every` calls. */
function faultGate(markers: readonly string[], every: number): () => boolean {
  let countdown = 0;
  return () => {
    if (markers.length === 0 || countdown-- > 0) return false;
    countdown = every;
    return markers.some((m) => fs.existsSync(m) && claim(m));
  };
}

export const ordersFaultJob = defineJob('t-orders-e2e', (env, p: OrdersFaultParams) => {
  const exitDue = faultGate(markersOf(p, 'parse-exit'), 50);
  const orders = readOrders(env, p).map((o: Order) => {
    if (exitDue()) process.exit(7);
    return o;
  }).uid('fault-exit');

  const lookup = regionLookup(p);
  const lookupThrowDue = faultGate(markersOf(p, 'lookup-throw'), 20);
  const faultyLookup: AsyncFunction<Order, EnrichedOrder> = {
    ...lookup,
    async asyncInvoke(o, future) {
      if (lookupThrowDue()) throw new Error(`injected lookup failure at ${o.stream}/${o.entryId}`);
      return lookup.asyncInvoke(o, future);
    },
  };

  const totals = runningTotal();
  const totalThrowDue = faultGate(markersOf(p, 'total-throw'), 20);
  customerTotals(withRegion(orders, p, faultyLookup), {
    ...totals,
    processElement(o, ctx, out) {
      if (totalThrowDue()) throw new Error(`injected failure in the running total at ${o.stream}/${o.entryId}`);
      totals.processElement(o, ctx, out);
    },
  }).sinkTo(withCommitFaults(totalsSink(p), { preCommit: markersOf(p, 'pre-commit'), commit: markersOf(p, 'commit') })).uid('totals-sink');
});
