/**
 * Runs the orders example against your Redis and PostgreSQL servers:
 *
 *   npx tsx examples/orders-to-postgres/main.ts --redis redis://127.0.0.1:6379 \
 *     --postgres postgres://user:password@127.0.0.1:5432/db [--orders 30000] [--parallelism 2] [--unaligned]
 *
 * (or REDIS_URL / DATABASE_URL in the environment). It (re)creates the tables `weir_order_totals`
 * and `weir_customers` and the streams `weir-orders:0..2` — it drops what is there under those
 * names — writes the orders, runs the job bounded with a checkpoint every second, then checks
 * the table. PostgreSQL needs `max_prepared_transactions` > 0 (the sink's two-phase commit).
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createClient } from 'redis';
import { ordersJob, type OrdersParams } from './job.ts';
import { checkTotals, createTables, writeOrders } from './setup.ts';

const { values } = parseArgs({
  options: {
    redis: { type: 'string', default: process.env.REDIS_URL },
    postgres: { type: 'string', default: process.env.DATABASE_URL },
    orders: { type: 'string', default: '30000' },
    customers: { type: 'string', default: '1000' },
    parallelism: { type: 'string', default: '2' },
    unaligned: { type: 'boolean', default: false },
  },
});
if (!values.redis || !values.postgres) {
  console.error('usage: main.ts --redis <redis-url> --postgres <postgres-url> [--orders N] [--parallelism P] [--unaligned]  (or REDIS_URL and DATABASE_URL)');
  process.exit(2);
}
const n = Number(values.orders);
const customers = Number(values.customers);
const params: OrdersParams = {
  redisUrl: values.redis, postgresUrl: values.postgres, streams: ['weir-orders:0', 'weir-orders:1', 'weir-orders:2'],
  bounded: true, table: 'weir_order_totals', customersTable: 'weir_customers',
};

// The example's own connections (tables, input, the final check) fail fast with a plain message:
// no reconnect loop, a bounded connect time (the job's connectors have their own timeouts and codes).
const db = new pg.Client({ connectionString: values.postgres, connectionTimeoutMillis: 5000 });
const redis = createClient({ url: values.redis, socket: { connectTimeout: 5000, reconnectStrategy: false } });
redis.on('error', () => { /* reported by the failing call below */ });
const connected = await Promise.allSettled([db.connect(), redis.connect()]);
const failed = connected.flatMap((r, i) => (r.status === 'rejected' ? [`cannot connect to ${i === 0 ? 'PostgreSQL' : 'Redis'} (${i === 0 ? 'given by --postgres / DATABASE_URL' : 'given by --redis / REDIS_URL'}): ${(r.reason as Error)?.message ?? String(r.reason)}`] : []));
if (failed.length > 0) {
  for (const f of failed) console.error(f);
  await Promise.allSettled([db.end(), redis.isOpen ? redis.quit() : undefined]);
  process.exit(1);
}
try {
  await createTables(db, params.table, params.customersTable, customers);
  await writeOrders(redis, params.streams, 0, n, customers);
  const result = await ordersJob.execute({
    params,
    parallelism: Number(values.parallelism),
    stateBackend: 'lmdb',
    checkpointing: { intervalMs: 1000, unaligned: values.unaligned, directory: '.weir/checkpoints' },
  }).done;
  const problems = await checkTotals(db, params.table, params.streams, n, customers);
  const checkpoints = result.checkpoints?.counts.completed ?? 0;
  console.log(`${n} orders from ${params.streams.length} Redis streams → ${params.table} in ${result.durationMs} ms `
    + `(${Math.round(n / (result.durationMs / 1000))} orders/s, parallelism ${values.parallelism}, ${checkpoints} checkpoints): `
    + (problems.length === 0 ? 'every order once, every customer total consistent' : `WRONG:\n  ${problems.join('\n  ')}`));
  if (problems.length > 0) process.exitCode = 1;
} finally {
  await Promise.allSettled([db.end(), redis.quit()]);
}
