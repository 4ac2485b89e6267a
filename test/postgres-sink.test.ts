/**
 * The PostgreSQL sink in real jobs against a private server (test/support/postgres-server.ts,
 * one per file): exact table contents against a reference with aligned and unaligned
 * checkpoints; exactly-once after five injected failures (worker exit, map throws, a failure
 * after PREPARE TRANSACTION, one after COMMIT PREPARED) with no prepared transaction left; upsert
 * after failures; typed errors for a wrong port, a wrong password, a missing table and a record
 * violating NOT NULL. Waits on job results only (no sleeps).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { WeirError } from '../index.ts';
import { startPostgres, type PostgresServer } from './support/postgres-server.ts';
import { injectFailuresInOrder } from './support/checkpoint-events.ts';
import { pgRecord, postgresJob, type PgFault, type PgJobParams } from './support/postgres-jobs.ts';

let server: PostgresServer;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-pgsink-'));

before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server?.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

async function createTable(table: string, primaryKey: boolean): Promise<void> {
  await server.query(`CREATE TABLE ${table} (id integer NOT NULL${primaryKey ? ' PRIMARY KEY' : ''}, total bigint NOT NULL, label text NOT NULL)`);
}

async function rows(table: string): Promise<Array<{ id: number; total: number; label: string }>> {
  const r = await server.query<{ id: number; total: string; label: string }>(`SELECT id, total, label FROM ${table} ORDER BY id, total`);
  return r.map((x) => ({ id: x.id, total: Number(x.total), label: x.label }));
}

async function preparedOf(table: string): Promise<number> {
  const r = await server.query<{ n: string }>("SELECT count(*) AS n FROM pg_prepared_xacts WHERE starts_with(gid, $1)", [`weir:${table}:`]);
  return Number(r[0]!.n);
}

interface Run {
  table: string;
  mode: 'exactly-once' | 'upsert';
  n: number;
  parallelism: number;
  unaligned?: boolean;
  keys?: number;
  spinMicros: number;
  /** Injected in this order, each after a checkpoint completed since the previous failover. */
  faults?: Array<PgFault['kind']>;
  nullLabelAt?: number;
  connection?: PgJobParams['connection'];
  restart?: boolean;
  batchRows?: number;
  maxBufferedRows?: number;
  /** false: run without checkpointing (the sink commits its one transaction at the end). */
  checkpointing?: false;
}

function execute(r: Run) {
  const dir = path.join(root, r.table);
  fs.mkdirSync(dir, { recursive: true });
  const faults: PgFault[] = (r.faults ?? []).map((kind, k) => ({ kind, marker: path.join(dir, `fault-${k}`) }));
  const params: PgJobParams = {
    n: r.n, connection: r.connection ?? server.connectionString, table: r.table, mode: r.mode, spinMicros: r.spinMicros,
    rebalance: r.parallelism > 1, faults, ...(r.batchRows ? { batchRows: r.batchRows } : {}), ...(r.maxBufferedRows ? { maxBufferedRows: r.maxBufferedRows } : {}), ...(r.keys ? { keys: r.keys } : {}), ...(r.nullLabelAt !== undefined ? { nullLabelAt: r.nullLabelAt } : {}),
  };
  const client = postgresJob.execute({
    params,
    parallelism: r.parallelism,
    stateBackend: 'heap',
    stateDirectory: path.join(dir, 'state'),
    ...(r.checkpointing === false ? {} : { checkpointing: { intervalMs: 20, directory: path.join(dir, 'checkpoints'), ...(r.unaligned ? { unaligned: true } : {}) } }),
    restartStrategy: r.restart === false ? { type: 'none' } : { type: 'fixed-delay', attempts: 8, delayMs: 0 },
  });
  const injected = injectFailuresInOrder(client, faults.map((f) => f.marker));
  return { client, done: Promise.all([client.done, injected]).then(([result]) => result) };
}

const exactReference = (n: number) => Array.from({ length: n }, (_, i) => pgRecord(i));

describe('PostgreSQL sink in a running job', () => {
  test('exactly-once, parallelism 2, aligned checkpoints: the table equals the reference', async () => {
    await createTable('eo_aligned', false);
    const result = await execute({ table: 'eo_aligned', mode: 'exactly-once', n: 30_000, parallelism: 2, spinMicros: 10 }).done;
    assert.equal(result.status, 'finished');
    assert.ok(result.checkpoints!.counts.completed >= 2, `completed checkpoints: ${result.checkpoints!.counts.completed}`);
    assert.deepEqual(await rows('eo_aligned'), exactReference(30_000));
    assert.equal(await preparedOf('eo_aligned'), 0, 'no prepared transaction left');
  });

  test('exactly-once, parallelism 2, unaligned checkpoints: the table equals the reference', async () => {
    await createTable('eo_unaligned', false);
    const result = await execute({ table: 'eo_unaligned', mode: 'exactly-once', n: 30_000, parallelism: 2, unaligned: true, spinMicros: 10 }).done;
    assert.equal(result.status, 'finished');
    assert.ok(result.checkpoints!.counts.completed >= 2);
    assert.deepEqual(await rows('eo_unaligned'), exactReference(30_000));
    assert.equal(await preparedOf('eo_unaligned'), 0);
  });

  test('without checkpointing, each subtask commits its one transaction at the end', async () => {
    await createTable('eo_nocp', false);
    const result = await execute({ table: 'eo_nocp', mode: 'exactly-once', n: 5000, parallelism: 2, spinMicros: 0, checkpointing: false }).done;
    assert.equal(result.status, 'finished');
    assert.equal(result.checkpoints, undefined);
    assert.deepEqual(await rows('eo_nocp'), exactReference(5000));
    assert.equal(await preparedOf('eo_nocp'), 0);
  });

  test('a tiny memory bound (maxBufferedRows 40, batchRows 10) applies backpressure: the table still equals the reference', async () => {
    await createTable('eo_bounded', false);
    const result = await execute({ table: 'eo_bounded', mode: 'exactly-once', n: 20_000, parallelism: 2, spinMicros: 0, batchRows: 10, maxBufferedRows: 40 }).done;
    assert.equal(result.status, 'finished');
    assert.equal(result.failovers.length, 0, JSON.stringify(result.failovers.map((f) => f.cause)));
    assert.deepEqual(await rows('eo_bounded'), exactReference(20_000));
    assert.equal(await preparedOf('eo_bounded'), 0);
  });

  test('exactly-once after 5 failures (exit, map throws, after PREPARE, after COMMIT PREPARED): every record once, nothing prepared left', async () => {
    await createTable('eo_faults', false);
    const n = 100_000;
    const faults: Run['faults'] = ['map-throw', 'pre-commit', 'map-exit', 'commit', 'map-throw'];
    const result = await execute({ table: 'eo_faults', mode: 'exactly-once', n, parallelism: 2, unaligned: true, spinMicros: 10, faults }).done;
    assert.equal(result.status, 'finished');
    assert.equal(result.failovers.length, faults.length, `one failover per fault: ${JSON.stringify(result.failovers.map((f) => f.cause))}`);
    assert.deepEqual(await rows('eo_faults'), exactReference(n), 'every record exactly once');
    const all = await server.query<{ n: string }>('SELECT count(*) AS n FROM pg_prepared_xacts');
    assert.equal(Number(all[0]!.n), 0, 'no prepared transaction left on the server');
  });

  test('upsert after failures: the final table equals the reference', async () => {
    await createTable('up_faults', true);
    const n = 60_000;
    const keys = 50;
    const result = await execute({ table: 'up_faults', mode: 'upsert', n, keys, parallelism: 1, spinMicros: 10, faults: ['map-throw', 'map-exit', 'commit'] }).done;
    assert.equal(result.failovers.length, 3);
    const reference = Array.from({ length: keys }, (_, k) => ({ id: k, total: n - keys + k, label: `k${k}` }));
    assert.deepEqual(await rows('up_faults'), reference);
    assert.equal(await preparedOf('up_faults'), 0);
  });

  test('a wrong port fails at open with WEIR_SINK_CONNECTION_FAILED naming the sink and host:port', async () => {
    await createTable('wrong_port', false);
    const connection = { host: '127.0.0.1', port: 1, user: 'weir', password: 'not-this-one', database: 'postgres' };
    await assert.rejects(execute({ table: 'wrong_port', mode: 'exactly-once', n: 10, parallelism: 1, spinMicros: 0, connection, restart: false }).done, (e: unknown) => {
      assert.ok(e instanceof WeirError, String(e));
      assert.equal(e.code, 'WEIR_SINK_CONNECTION_FAILED', e.message);
      assert.match(e.message, /PostgreSQL sink 'PostgresSink\(wrong_port\)' \(uid pg, subtask 1\/1, table wrong_port\)/);
      assert.match(e.message, /127\.0\.0\.1:1\/postgres/);
      assert.match(e.message, /ECONNREFUSED/);
      assert.doesNotMatch(e.message, /not-this-one/);
      return true;
    });
  });

  test('a wrong password fails at open with WEIR_SINK_MISCONFIGURED, never showing the password', async () => {
    await createTable('wrong_password', false);
    const connection = `postgres://${server.passwordRole.user}:wrong-pw-123@127.0.0.1:${server.port}/postgres`;
    await assert.rejects(execute({ table: 'wrong_password', mode: 'exactly-once', n: 10, parallelism: 1, spinMicros: 0, connection }).done, (e: unknown) => {
      assert.ok(e instanceof WeirError, String(e));
      assert.equal(e.code, 'WEIR_SINK_MISCONFIGURED', e.message);
      assert.match(e.message, /PostgreSQL sink 'PostgresSink\(wrong_password\)'/);
      assert.match(e.message, /password authentication failed/);
      assert.doesNotMatch(e.message + JSON.stringify(e.details), /wrong-pw-123/);
      return true;
    });
  });

  test('a missing table fails at open with WEIR_SINK_MISCONFIGURED naming the sink and the table', async () => {
    await assert.rejects(execute({ table: 'no_such_table', mode: 'exactly-once', n: 10, parallelism: 1, spinMicros: 0 }).done, (e: unknown) => {
      assert.ok(e instanceof WeirError, String(e));
      assert.equal(e.code, 'WEIR_SINK_MISCONFIGURED', e.message);
      assert.match(e.message, /PostgreSQL sink 'PostgresSink\(no_such_table\)' .*open on 127\.0\.0\.1:\d+\/postgres .*relation "no_such_table" does not exist \(42P01\)/);
      return true;
    });
  });

  test('upsert on a table without a unique index on the key fails at open with WEIR_SINK_MISCONFIGURED saying so', async () => {
    await createTable('up_no_index', false);
    await server.query('CREATE UNIQUE INDEX up_no_index_id_label ON up_no_index (id, label)'); // not the key (id) alone
    await assert.rejects(execute({ table: 'up_no_index', mode: 'upsert', n: 10, keys: 5, parallelism: 1, spinMicros: 0 }).done, (e: unknown) => {
      assert.ok(e instanceof WeirError, String(e));
      assert.equal(e.code, 'WEIR_SINK_MISCONFIGURED', e.message);
      assert.match(e.message, /PostgreSQL sink 'PostgresSink\(up_no_index\)' .*open on 127\.0\.0\.1:\d+\/postgres .*upsert key \(id\) has no unique index or primary key on exactly these columns \(unique indexes on the table: \(id, label\)\)/);
      return true;
    });
    assert.deepEqual(await rows('up_no_index'), []);
  });

  test('a record violating NOT NULL fails the job with WEIR_SINK_RECORD_REJECTED naming the record; committed rows stay', async () => {
    await createTable('bad_record', false);
    const bad = 25_000;
    await assert.rejects(execute({ table: 'bad_record', mode: 'exactly-once', n: 30_000, parallelism: 1, spinMicros: 10, nullLabelAt: bad }).done, (e: unknown) => {
      assert.ok(e instanceof WeirError, String(e));
      assert.equal(e.code, 'WEIR_SINK_RECORD_REJECTED', e.message);
      assert.match(e.message, /PostgreSQL sink 'PostgresSink\(bad_record\)'/);
      assert.match(e.message, new RegExp(`rejected record \\{"id":${bad},"total":${bad * 3},"label":null\\}`));
      assert.match(e.message, /null value in column "label"/);
      return true;
    });
    // Not restartable: no failover replays it. What checkpoints committed is intact: a prefix of the reference, each record once.
    const committed = await rows('bad_record');
    assert.ok(committed.length > 0 && committed.length < bad, `committed rows: ${committed.length}`);
    assert.deepEqual(committed, exactReference(committed.length));
  });
});

describe('PostgreSQL sink: too few prepared-transaction slots on the server', () => {
  /** Sets max_prepared_transactions (needs a server restart); null: back to the test server's own setting. */
  async function setMaxPrepared(n: number | null): Promise<void> {
    await server.query(n === null ? 'ALTER SYSTEM RESET max_prepared_transactions' : `ALTER SYSTEM SET max_prepared_transactions = ${n}`);
    await server.kill();
    await server.restart();
  }

  test('fewer than 2 per sink subtask fails at open with WEIR_SINK_MISCONFIGURED saying how many are needed; all taken at a checkpoint fails at once, not restarted', async () => {
    try {
      await setMaxPrepared(3);
      await createTable('few_prepared', false);
      await assert.rejects(execute({ table: 'few_prepared', mode: 'exactly-once', n: 100, parallelism: 2, spinMicros: 0 }).done, (e: unknown) => {
        assert.ok(e instanceof WeirError, String(e));
        assert.equal(e.code, 'WEIR_SINK_MISCONFIGURED', e.message);
        assert.match(e.message, /max_prepared_transactions is 3 on the server: this sink at parallelism 2 needs at least 4/);
        return true;
      });
      // Enough for the sink, but other writers hold every slot when it prepares (53200).
      await setMaxPrepared(2);
      await server.query('CREATE TABLE slot_holder (x integer)');
      const holders = [0, 1].map(async (i) => {
        const c = new pg.Client({ connectionString: server.connectionString });
        await c.connect();
        await c.query('BEGIN');
        await c.query(`INSERT INTO slot_holder VALUES (${i})`);
        await c.query(`PREPARE TRANSACTION 'slot-holder-${i}'`);
        await c.end();
      });
      await Promise.all(holders);
      const run = execute({ table: 'few_prepared', mode: 'exactly-once', n: 100, parallelism: 1, spinMicros: 0 });
      await assert.rejects(run.done, (e: unknown) => {
        assert.ok(e instanceof WeirError, String(e));
        assert.equal(e.code, 'WEIR_SINK_MISCONFIGURED', e.message);
        assert.match(e.message, /maximum number of prepared transactions reached.*max_prepared_transactions is too small/);
        return true;
      });
      assert.equal(run.client.attempts, 1, 'not restarted: every attempt would meet it again');
    } finally {
      for (const i of [0, 1]) await server.query(`ROLLBACK PREPARED 'slot-holder-${i}'`).catch(() => {});
      await setMaxPrepared(null);
    }
  });
});
