/**
 * postgresLookup against a private PostgreSQL server: exact results (inner and left join, ordered
 * and unordered, with and without the cache, parallelism 1 and 3) against a reference; typed
 * errors at start for a wrong port, a wrong password and a missing table, and while running for
 * a parameter of the wrong type; bad options refused when the job is built.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isRestartable, WeirError, postgresLookup } from '../index.ts';
import { freePort } from './support/free-port.ts';
import { lookupJob, type LookupJobParams, type Looked } from './support/lookup-jobs.ts';
import { startPostgres, type PostgresServer } from './support/postgres-server.ts';

let server: PostgresServer;
const TABLE = 'customers';
/** id → its rows: ids ≡ 0 mod 7 have none, ids ≡ 1 mod 5 have two. */
const rowsOf = (id: number) => (id % 7 === 0 ? [] : id % 5 === 1 ? [{ name: `c${id}a`, tier: 'gold' }, { name: `c${id}b`, tier: null }] : [{ name: `c${id}a`, tier: id % 2 ? 'gold' : 'silver' }]);
const IDS = Array.from({ length: 400 }, (_, i) => (i * 37) % 60); // repeats: the cache serves some

before(async () => {
  server = await startPostgres();
  await server.query(`CREATE TABLE ${TABLE} (id integer NOT NULL, name text NOT NULL, tier text)`);
  for (let id = 0; id < 60; id++) for (const r of rowsOf(id)) await server.query(`INSERT INTO ${TABLE} VALUES ($1, $2, $3)`, [id, r.name, r.tier]);
});
after(async () => {
  await server?.stop();
});

function reference(join: 'inner' | 'left'): Looked[] {
  return IDS.flatMap((id) => {
    const rows = rowsOf(id);
    if (rows.length === 0) return join === 'left' ? [{ id, name: 'missing' }] : [];
    return rows.map((r) => ({ id, ...r }));
  });
}

const sorted = (xs: Looked[]) => [...xs].sort((a, b) => Number(a.id) - Number(b.id) || String(a.name).localeCompare(String(b.name)));

function run(p: Partial<LookupJobParams>) {
  const params: LookupJobParams = { ids: IDS, connection: server.connectionString, table: TABLE, ordered: false, join: 'inner', cache: false, parallelism: 1, ...p };
  return lookupJob.execute({ params, parallelism: params.parallelism, restartStrategy: { type: 'none' } }).done;
}

describe('postgresLookup', () => {
  test('ordered, parallelism 1, inner join: the output equals the reference in input order', async () => {
    const r = await run({ ordered: true });
    assert.deepEqual(r.collected.out, reference('inner'));
  });

  for (const [parallelism, cache] of [[1, true], [3, false], [3, true]] as const) {
    test(`unordered, parallelism ${parallelism}, ${cache ? 'cached' : 'no cache'}, left join: every result once`, async () => {
      const r = await run({ parallelism, cache, join: 'left' });
      assert.deepEqual(sorted(r.collected.out as Looked[]), sorted(reference('left')));
    });
  }

  test('a port nothing listens on: WEIR_LOOKUP_CONNECTION_FAILED at start, naming the operator and host:port', async () => {
    const port = await freePort();
    await assert.rejects(run({ connection: { host: '127.0.0.1', port, user: 'weir', database: 'postgres' } }), (e: unknown) => {
      assert.ok(e instanceof WeirError);
      assert.equal(e.code, 'WEIR_LOOKUP_CONNECTION_FAILED');
      assert.match(e.message, new RegExp(`PostgreSQL lookup in operator .*uid lookup.*127\\.0\\.0\\.1:${port}`));
      return true;
    });
  });

  test('a wrong password: WEIR_LOOKUP_MISCONFIGURED, never showing the password', async () => {
    const { user } = server.passwordRole;
    await assert.rejects(run({ connection: { host: server.host, port: server.port, user, password: 'not-the-password', database: 'postgres' } }), (e: unknown) => {
      assert.ok(e instanceof WeirError);
      assert.equal(e.code, 'WEIR_LOOKUP_MISCONFIGURED');
      assert.ok(!e.message.includes('not-the-password'), e.message);
      assert.match(e.message, /password authentication failed/);
      return true;
    });
  });

  test('a missing table: WEIR_LOOKUP_MISCONFIGURED at start, naming the table', async () => {
    await assert.rejects(run({ table: 'no_such_table' }), (e: unknown) => {
      assert.ok(e instanceof WeirError);
      assert.equal(e.code, 'WEIR_LOOKUP_MISCONFIGURED');
      assert.match(e.message, /relation "no_such_table" does not exist/);
      return true;
    });
  });

  test('a parameter of the wrong type: WEIR_LOOKUP_RECORD_REJECTED naming the input', async () => {
    await assert.rejects(run({ ids: [1, 2, 'not-a-number', 3] }), (e: unknown) => {
      assert.ok(e instanceof WeirError);
      assert.equal(e.code, 'WEIR_LOOKUP_RECORD_REJECTED');
      assert.match(e.message, /lookup of input \{"id":"not-a-number"\}/);
      return true;
    });
  });

  test('a query with more $n than params gives: WEIR_LOOKUP_MISCONFIGURED (no restart), not a connection failure', async () => {
    await assert.rejects(run({ unboundParam: true }), (e: unknown) => {
      assert.ok(e instanceof WeirError);
      assert.equal(e.code, 'WEIR_LOOKUP_MISCONFIGURED');
      assert.match(e.message, /bind message supplies 1 parameters, but prepared statement "" requires 2/);
      assert.equal(isRestartable(e.code), false);
      return true;
    });
  });

  test('a query running past queryTimeoutMs is cancelled by the server: WEIR_LOOKUP_FAILED (restartable), and no backend keeps running it', async () => {
    await assert.rejects(run({ slowId: IDS[5]!, queryTimeoutMs: 300 }), (e: unknown) => {
      assert.ok(e instanceof WeirError);
      assert.equal(e.code, 'WEIR_LOOKUP_FAILED');
      assert.match(e.message, /canceling statement due to statement timeout \(57014\)/);
      assert.equal(isRestartable(e.code), true);
      return true;
    });
    // The server cancels every copy of the hour-long query (several inputs share the slow id): wait
    // until none runs — without the statement timeout this would wait for the hour (the test fails).
    const sleeping = async () => Number((await server.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE query LIKE '%pg_sleep(3600)%' AND state = 'active' AND pid <> pg_backend_pid()"))[0]!.n);
    while (await sleeping() > 0) await new Promise((r) => setTimeout(r, 5));
  });

  test('bad options are refused when the job is built', () => {
    assert.throws(() => postgresLookup({ connection: 'postgres://x', query: '', params: () => [] }), { code: 'WEIR_INVALID_ARGUMENT', message: /query must be SQL text/ });
    assert.throws(() => postgresLookup({ connection: 'postgres://x', query: 'SELECT 1', params: 'x' as never }), { code: 'WEIR_INVALID_ARGUMENT', message: /params must be a function/ });
    assert.throws(() => postgresLookup({ connection: 'postgres://x', query: 'SELECT 1', params: () => [], cache: { maxEntries: 0, ttlMs: 1 } }), { code: 'WEIR_INVALID_ARGUMENT', message: /cache.maxEntries must be an integer >= 1/ });
    assert.throws(() => postgresLookup({ connection: 'postgres://x', query: 'SELECT 1', params: () => [], poolSize: 0 }), { code: 'WEIR_INVALID_ARGUMENT', message: /poolSize must be an integer >= 1/ });
    assert.throws(() => postgresLookup({ connection: 'postgres://x', query: 'SELECT 1', params: () => [], queryTimeoutMs: 0 }), { code: 'WEIR_INVALID_ARGUMENT', message: /queryTimeoutMs must be an integer >= 1/ });
  });
});
