/**
 * Orders from Redis Streams to PostgreSQL, exactly-once:
 *
 *   Redis streams (one per partition, positions in checkpoints)
 *     → parse
 *     → async lookup of the customer's region in PostgreSQL (postgresLookup, cached per subtask)
 *     → keyBy customer → running total per customer in keyed state (ValueState)
 *     → PostgreSQL two-phase-commit sink (PREPARE TRANSACTION on the barrier, COMMIT PREPARED
 *       when the checkpoint completes)
 *
 * Each order becomes one row carrying the customer's total up to and including it, so the table
 * shows exactly-once twice over: every entry once, and per customer the totals form one unbroken
 * chain (each row's total = the previous row's total + its amount).
 *
 * The pipeline is built from exported pieces so a test can put fault injection between them.
 */
import {
  AsyncDataStream, defineJob, postgresLookup, postgresSink, ValueStateDescriptor,
  type AsyncFunction, type DataStream, type KeyedProcessFunction, type RedisStreamEntry, type StreamEnvironment, type TwoPhaseCommitSinkDefinition, type ValueState,
} from '../../index.ts';

export interface Order { stream: string; entryId: string; customer: number; amount: number }
export interface EnrichedOrder extends Order { region: string }
/** One row of the output table. */
export interface OrderTotal { stream: string; entry_id: string; customer: number; region: string; amount: number; customer_total: number }

export interface OrdersParams {
  redisUrl: string;
  postgresUrl: string;
  streams: string[];
  /** Read the entries present at start, then finish (else run until cancelled). */
  bounded: boolean;
  /** Output table (see setup.ts for its definition). */
  table: string;
  customersTable: string;
  /** Default: one subtask per stream. */
  sourceParallelism?: number;
  /** Lookups in flight per subtask. Default 100. */
  lookupCapacity?: number;
}

export function readOrders(env: StreamEnvironment, p: OrdersParams): DataStream<Order> {
  return env.fromRedisStreams({ url: p.redisUrl, streams: p.streams, bounded: p.bounded })
    .uid('orders-source')
    .setParallelism(p.sourceParallelism ?? p.streams.length)
    .map((e: RedisStreamEntry): Order => ({ stream: e.stream, entryId: e.id, customer: Number(e.customer), amount: Number(e.amount) }))
    .uid('parse');
}

/** The customer's region from the customers table, as a left join: an unknown customer gets region 'unknown'. */
export function regionLookup(p: OrdersParams): AsyncFunction<Order, EnrichedOrder> {
  return postgresLookup<Order, EnrichedOrder>({
    connection: p.postgresUrl,
    query: `SELECT region FROM ${p.customersTable} WHERE id = $1`,
    params: (o) => [o.customer],
    result: (o, rows) => [{ ...o, region: rows.length > 0 ? String(rows[0]!.region) : 'unknown' }],
    cache: { maxEntries: 10_000, ttlMs: 60_000 },
  });
}

/** Orders with their customer's region: at most `lookupCapacity` lookups in flight per subtask, each within 10 s. */
export function withRegion(orders: DataStream<Order>, p: OrdersParams, lookup = regionLookup(p)): DataStream<EnrichedOrder> {
  return AsyncDataStream.unorderedWait(orders, lookup, 10_000, p.lookupCapacity ?? 100).uid('customer-lookup');
}

/** The customer's total so far, in keyed state. */
export function runningTotal(): KeyedProcessFunction<number, EnrichedOrder, OrderTotal> {
  let total!: ValueState<number>;
  return {
    open(ctx) {
      total = ctx.getState(new ValueStateDescriptor<number>('total'));
    },
    processElement(o, _ctx, out) {
      const t = (total.value() ?? 0) + o.amount;
      total.update(t);
      out.collect({ stream: o.stream, entry_id: o.entryId, customer: o.customer, region: o.region, amount: o.amount, customer_total: t });
    },
  };
}

export function customerTotals(orders: DataStream<EnrichedOrder>, totals = runningTotal()): DataStream<OrderTotal> {
  return orders.keyBy((o) => o.customer).process(totals).uid('running-totals');
}

export function totalsSink(p: OrdersParams): TwoPhaseCommitSinkDefinition<OrderTotal> {
  return postgresSink<OrderTotal>({
    connection: p.postgresUrl,
    table: p.table,
    columns: ['stream', 'entry_id', 'customer', 'region', 'amount', 'customer_total'],
    mode: 'exactly-once',
  });
}

export const ordersJob = defineJob('orders-to-postgres', (env, p: OrdersParams) => {
  customerTotals(withRegion(readOrders(env, p), p)).sinkTo(totalsSink(p)).uid('totals-sink');
});
