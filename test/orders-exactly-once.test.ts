/**
 * End to end against real servers (private Redis and PostgreSQL, test/support): the orders example
 * (examples/orders-to-postgres) — 3 Redis streams, 100 000 entries → async PostgreSQL lookup →
 * keyed running totals (LMDB) → PostgreSQL two-phase-commit sink — in aligned and unaligned mode:
 * the process running it is killed with SIGKILL after two completed checkpoints, the job is
 * started again with restore 'latest', and five failures are injected in order after observed
 * checkpoints (a worker exit, a lookup that rejects, a throwing keyed function, a failure after
 * PREPARE TRANSACTION and one after COMMIT PREPARED). The table must hold every entry exactly once
 * with its customer's consistent running total, and no prepared transaction may be left.
 * Then the PostgreSQL server is killed and restarted mid-run: the job fails over with a typed
 * connection error, resumes once the server is back, and the table is still exact.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { checkTotals, createTables, writeOrders } from '../examples/orders-to-postgres/setup.ts';
import { injectFailuresInOrder } from './support/checkpoint-events.ts';
import { ordersFaultJob, type OrdersFault, type OrdersFaultKind, type OrdersFaultParams } from './support/orders-jobs.ts';
import { ordersExecuteOptions, type OrdersChildArgs } from './support/orders-kill-child.ts';
import { startPostgres, type PostgresServer } from './support/postgres-server.ts';
import { startRedis, type RedisServer } from './support/redis-server.ts';

const CHILD = fileURLToPath(new URL('./support/orders-kill-child.ts', import.meta.url));
const N = 100_000;
const CUSTOMERS = 500;
const FAULTS: OrdersFaultKind[] = ['parse-exit', 'lookup-throw', 'total-throw', 'pre-commit', 'commit'];

let redis: RedisServer;
let postgres: PostgresServer;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-orders-'));

before(async () => {
  // Both start together; when one cannot (a server not installed), the one that did is kept for
  // `after` to stop — with Promise.all it was left running and the test process never exited.
  const [r, p] = await Promise.allSettled([startRedis(), startPostgres()]);
  if (r.status === 'fulfilled') redis = r.value;
  if (p.status === 'fulfilled') postgres = p.value;
  if (r.status === 'rejected') throw r.reason;
  if (p.status === 'rejected') throw p.reason;
});
after(async () => {
  await Promise.allSettled([redis?.stop(), postgres?.stop()]);
  fs.rmSync(root, { recursive: true, force: true });
});

async function withDb<R>(fn: (db: pg.Client) => Promise<R>): Promise<R> {
  const db = new pg.Client({ connectionString: postgres.connectionString });
  await db.connect();
  try {
    return await fn(db);
  } finally {
    await db.end();
  }
}

/** A fresh table, customers table and streams named after `name`, with orders [0, n) written. */
async function prepare(name: string, n: number, faults: OrdersFault[] = []): Promise<OrdersChildArgs> {
  const dir = path.join(root, name);
  fs.mkdirSync(dir, { recursive: true });
  const params: OrdersFaultParams = {
    redisUrl: redis.url, postgresUrl: postgres.connectionString, streams: [0, 1, 2].map((s) => `${name}:${s}`),
    bounded: true, table: `totals_${name.replace(/-/g, '_')}`, customersTable: `customers_${name.replace(/-/g, '_')}`, faults,
  };
  await withDb((db) => createTables(db, params.table, params.customersTable, CUSTOMERS));
  await writeOrders(redis.client, params.streams, 0, n, CUSTOMERS);
  return { jobId: `orders-${name}`, params, stateDirectory: path.join(dir, 'state'), checkpointDirectory: path.join(dir, 'checkpoints'), unaligned: name === 'unaligned' };
}

/** Runs the job in a child process and kills it (SIGKILL) once it printed two completed checkpoints. */
async function runAndKill(args: OrdersChildArgs): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WEIR_LOG_LEVEL: 'error' } });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_code, signal) => r(signal)));
  await new Promise<void>((resolve) => {
    child.stdout.on('data', (d) => {
      stdout += d;
      if ((stdout.match(/^checkpoint \d+$/gm) ?? []).length >= 2) resolve();
    });
    void exited.then(() => resolve());
  });
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL', `the child was killed mid-run (stdout ${stdout}, stderr ${stderr.slice(0, 2000)})`);
  assert.ok(!stdout.includes('finished'), 'killed before the job finished');
}

const preparedLeft = (prefix: string) => withDb(async (db) => Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM pg_prepared_xacts WHERE starts_with(gid, $1)', [prefix])).rows[0]!.n));

describe('Redis Streams → async PostgreSQL lookup → keyed state → PostgreSQL 2PC sink', () => {
  for (const mode of ['aligned', 'unaligned'] as const) {
    test(`${mode}: SIGKILL of the process, restore 'latest', then ${FAULTS.length} injected failures: every entry exactly once, nothing left prepared`, { timeout: 240_000 }, async () => {
      const markers = FAULTS.map((kind, k): OrdersFault => ({ kind, marker: path.join(root, `${mode}-fault-${k}`) }));
      const args = await prepare(mode, N, markers);
      await runAndKill(args);

      const client = ordersFaultJob.execute({ ...ordersExecuteOptions(args), restore: 'latest' });
      const [result] = await Promise.all([client.done, injectFailuresInOrder(client, markers.map((m) => m.marker))]);
      assert.equal(result.status, 'finished');
      assert.ok(result.restoredFrom, 'restored from the killed process\'s latest checkpoint');
      const causes = result.failovers.map((f) => `${f.cause.code}: ${f.cause.message}`);
      assert.ok(result.failovers.length >= FAULTS.length, causes.join('\n'));
      for (const needle of ['WEIR_WORKER_LOST', 'injected lookup failure', 'injected failure in the running total', 'injected failure after preCommit', 'injected failure after commit']) {
        assert.ok(causes.some((c) => c.includes(needle)), `a failover caused by ${needle} among:\n${causes.join('\n')}`);
      }
      assert.deepEqual(await withDb((db) => checkTotals(db, args.params.table, args.params.streams, N, CUSTOMERS)), []);
      assert.equal(await preparedLeft(`weir:${args.params.table}:`), 0, 'no prepared transaction left');
    });
  }

  test('the PostgreSQL server killed and restarted mid-run: the job fails over with a typed connection error and the table stays exact', { timeout: 120_000 }, async () => {
    const n = 30_000;
    const args = await prepare('pg-restart', n);
    const client = ordersFaultJob.execute({ ...ordersExecuteOptions(args), restartStrategy: { type: 'fixed-delay', attempts: 1000, delayMs: 50 } });
    await new Promise<void>((resolve, reject) => {
      const off = client.onCheckpoint((c) => {
        if (c.status === 'completed') { off(); resolve(); }
      });
      client.done.then(() => reject(new Error('the job ended before a checkpoint completed')), reject);
    });
    await postgres.kill();
    try {
      await new Promise<void>((resolve, reject) => {
        const check = setInterval(() => {
          if (client.failovers.length > 0) { clearInterval(check); resolve(); }
        }, 5);
        client.done.then(() => { clearInterval(check); reject(new Error(`the job ended (${client.status}) without a failover`)); }, (e: unknown) => { clearInterval(check); reject(e); });
      });
    } finally {
      await postgres.restart();
    }
    const result = await client.done;
    assert.equal(result.status, 'finished');
    const cause = result.failovers[0]!.cause;
    assert.match(String(cause.code), /^WEIR_(SINK|LOOKUP)_CONNECTION_FAILED$/, cause.message);
    assert.ok(cause.message.includes(`127.0.0.1:${postgres.port}`), cause.message);
    assert.deepEqual(await withDb((db) => checkTotals(db, args.params.table, args.params.streams, n, CUSTOMERS)), []);
    assert.equal(await preparedLeft(`weir:${args.params.table}:`), 0, 'no prepared transaction left');
  });
});
