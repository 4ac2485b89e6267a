/**
 * A PostgreSQL sink on the two-phase-commit base (docs/connectors.md).
 *
 * exactly-once   one PostgreSQL transaction per checkpoint per subtask. invoke buffers rows;
 *                every `batchRows` rows one multi-row parameterized INSERT is sent, in order,
 *                on the transaction's own connection (BEGIN before the first). preCommit sends
 *                the rest and `PREPARE TRANSACTION '<gid>'` (asynchronous: the checkpoint is
 *                acknowledged only after it); commit = `COMMIT PREPARED` (a gid that no longer
 *                exists — 42704 — was committed before: success); abort = ROLLBACK of the open
 *                transaction or `ROLLBACK PREPARED`.
 * upsert         at-least-once: the same batches as `INSERT … ON CONFLICT (key) DO UPDATE`,
 *                committed (plain COMMIT) at each checkpoint barrier; replays overwrite.
 *
 * gid = `<prefix>:<uid>:<subtask>:<attempt>-<nonce>:<seq>` (prefix default `weir:<table>`); the
 * nonce is random per sink instance, seq counts its transactions. Recovery: the base commits the
 * restored checkpoint's pending transactions (recoverAndCommit) and drops the open one
 * (recoverAndAbort); then, before the first new transaction, every prepared transaction in
 * `pg_prepared_xacts` of the old subtasks this instance restored (no restore: of its own subtask
 * index) that is not its own is rolled back — no completed checkpoint covers it, since the covered
 * ones were just committed. So no prepared transaction is left behind to hold locks forever.
 *
 * Memory bound: rows held between invoke and the server's acknowledgement of their INSERT (the open
 * batch, batches queued and in flight) are counted per subtask. invoke is synchronous and cannot
 * wait; at `maxBufferedRows` the sink applies backpressure instead (`backpressure()` → the subtask
 * takes no more input until the queued INSERTs were acknowledged; barriers and mails still run).
 * Only records already inside the subtask's current input frame may still arrive; past
 * 2 × maxBufferedRows the task fails (WEIR_SINK_FAILED, reason 'buffer-full'). Errors of
 * asynchronous sends surface as a typed error at the next invoke or preCommit.
 *
 * Here: `postgresSink()` and the sink's lifecycle (open, transactions, recovery). Beside it:
 * postgres-sink-options.ts (options, validation, gids), postgres-open-transactions.ts (rows,
 * connections and INSERTs of the open transactions), postgres-rows.ts (records → rows),
 * postgres-sink-failures.ts (typed errors), postgres-connections.ts (pg, pool, SQL, error classes).
 */
import type pg from 'pg';
import type { TaskInfo } from '../api/functions.ts';
import { twoPhaseCommitSink, type TwoPhaseCommitSink, type TwoPhaseCommitSinkDefinition } from '../operators/sinks/two-phase-commit-sink.ts';
import { ConnectionPool, clientConfig, endpointOf, loadPg, quoteQualified, type PgModule } from './postgres-connections.ts';
import { OpenTransactions } from './postgres-open-transactions.ts';
import { RowMapper } from './postgres-rows.ts';
import { SinkFailures } from './postgres-sink-failures.ts';
import {
  TransactionIds, configuredPassword, resolveOptions, type PostgresSinkOptions, type PostgresTransaction, type ResolvedOptions,
} from './postgres-sink-options.ts';

export type { PostgresConnectionOptions, PostgresSinkOptions, PostgresTransaction } from './postgres-sink-options.ts';

/**
 * A PostgreSQL sink for `stream.sinkTo()`: exactly-once (prepared transactions, one per
 * checkpoint; requires `max_prepared_transactions` > 0) or upsert (at-least-once, idempotent).
 * Call it inside the job's build function.
 */
export function postgresSink<T = unknown>(options: PostgresSinkOptions<T>): TwoPhaseCommitSinkDefinition<T, PostgresTransaction> {
  const o = resolveOptions(options);
  return twoPhaseCommitSink<T, PostgresTransaction>(`PostgresSink(${o.table})`, (info) => new PostgresWriter<T>(o, info));
}

class PostgresWriter<T> implements TwoPhaseCommitSink<T, PostgresTransaction> {
  private pgm: PgModule | undefined;
  private pool: ConnectionPool | undefined;
  private readonly ids: TransactionIds;
  private readonly failures: SinkFailures;
  private readonly rows: RowMapper<T>;
  private readonly txns: OpenTransactions<T>;
  private readonly upsert: boolean;
  /** Old subtask indices whose state this instance restored (recovery scope). */
  private readonly restoredSubtasks = new Set<number>();
  private cleanup: Promise<void> | undefined;

  constructor(private readonly o: ResolvedOptions<T>, private readonly info: TaskInfo) {
    this.ids = new TransactionIds(o.transactionIdPrefix, info);
    this.upsert = o.mode === 'upsert';
    this.failures = new SinkFailures(info, o.table, configuredPassword(o.connection));
    this.rows = new RowMapper<T>(o.columns, o.key, this.failures);
    this.txns = new OpenTransactions<T>(o, this.rows, this.failures);
  }

  /** Loads pg, connects, checks the table (and columns) and, for exactly-once, max_prepared_transactions. */
  async open(): Promise<void> {
    this.pgm = await loadPg();
    const config = clientConfig(this.o.connection, this.o.connectTimeoutMs);
    const { endpoint, password } = endpointOf(this.pgm, config);
    this.failures.endpoint = endpoint;
    this.failures.password ??= password;
    this.pool = new ConnectionPool(this.pgm, config, this.o.poolSize);
    this.txns.connect(this.pgm, this.pool);
    await this.failures.step('open', async () => {
      await this.pool!.run(async (c) => {
        const columns = this.rows.columns;
        const cols = columns ? columns.map((x) => this.pgm!.escapeIdentifier(x)).join(', ') : '*';
        await c.query(`SELECT ${cols} FROM ${quoteQualified(this.pgm!, this.o.table)} WHERE false`);
        if (this.upsert) await this.checkUpsertKey(c);
        else {
          const r = await c.query<{ max_prepared_transactions: string }>('SHOW max_prepared_transactions');
          const max = Number(r.rows[0]?.max_prepared_transactions ?? 0);
          if (max <= 0) {
            throw Object.assign(new Error('max_prepared_transactions is 0 on the server: exactly-once needs PREPARE TRANSACTION (set it > 0 and restart PostgreSQL, or use mode upsert)'), { code: '55000', forceKind: 'misconfigured' });
          }
          // Each subtask may hold two prepared transactions (checkpoint n's, awaiting its commit,
          // while n + 1 prepares): fewer slots fail a checkpoint sooner or later.
          const needed = 2 * this.info.parallelism;
          if (max < needed) {
            throw Object.assign(new Error(`max_prepared_transactions is ${max} on the server: this sink at parallelism ${this.info.parallelism} needs at least ${needed} (2 per subtask, more for other writers) — raise it and restart PostgreSQL`), { code: '55000', forceKind: 'misconfigured' });
          }
        }
      });
    });
  }

  /**
   * ON CONFLICT (key) needs a unique index (or primary key) on exactly the key's columns — not
   * partial, not on expressions, not deferrable. Checked when the sink opens: otherwise the first
   * INSERT fails (42P10), possibly long after a job "started fine".
   */
  private async checkUpsertKey(c: pg.Client): Promise<void> {
    const r = await c.query<{ cols: string[] }>(
      `SELECT array_agg(a.attname::text ORDER BY a.attname) AS cols FROM pg_index i
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
        WHERE i.indrelid = $1::regclass AND i.indisunique AND i.indimmediate AND i.indpred IS NULL AND i.indexprs IS NULL
        GROUP BY i.indexrelid`,
      [quoteQualified(this.pgm!, this.o.table)]);
    const key = [...this.o.key!].sort();
    if (r.rows.some((row) => row.cols.length === key.length && row.cols.every((col, i) => col === key[i]))) return;
    const found = r.rows.map((row) => `(${row.cols.join(', ')})`).join(', ') || 'none';
    throw Object.assign(new Error(`upsert key (${this.o.key!.join(', ')}) has no unique index or primary key on exactly these columns (unique indexes on the table: ${found}); ON CONFLICT needs one — create it, or change key`), { code: '42P10', forceKind: 'misconfigured' });
  }

  beginTransaction(): PostgresTransaction {
    if (this.failures.failure) throw this.failures.failure;
    // After recovery (or at a fresh start): roll back what no completed checkpoint covers, before anything new.
    this.cleanup ??= this.rollbackUncovered().catch((e) => { this.failures.failure ??= this.failures.error('roll back leftover prepared transactions', e); });
    return { gid: this.ids.next(), subtask: this.info.subtask, rows: 0 };
  }

  invoke(txn: PostgresTransaction, value: T): void {
    if (this.failures.failure) throw this.failures.failure;
    this.checkIdleConnections();
    this.txns.add(txn, value);
  }

  /** At maxBufferedRows rows held: the subtask takes no more input until every queued INSERT was acknowledged. */
  backpressure(): Promise<void> | undefined {
    return this.txns.backpressure();
  }

  preCommit(txn: PostgresTransaction): Promise<void> | void {
    if (this.failures.failure) throw this.failures.failure;
    return this.txns.end(txn, this.cleanup);
  }

  async commit(txn: PostgresTransaction): Promise<void> {
    if (this.upsert || txn.rows === 0) return;
    await this.finishPrepared(txn, 'COMMIT PREPARED');
  }

  async abort(txn: PostgresTransaction): Promise<void> {
    if (await this.txns.abort(txn.gid)) return;
    if (!this.upsert && txn.rows > 0 && this.pool) await this.finishPrepared(txn, 'ROLLBACK PREPARED');
  }

  async recoverAndCommit(txn: PostgresTransaction): Promise<void> {
    this.restoredSubtasks.add(txn.subtask);
    await this.commit(txn);
  }

  async recoverAndAbort(txn: PostgresTransaction): Promise<void> {
    this.restoredSubtasks.add(txn.subtask);
    // Its session is gone (the open transaction was rolled back with it); in case it got prepared, roll that back.
    if (!this.upsert && txn.rows > 0) await this.finishPrepared(txn, 'ROLLBACK PREPARED');
  }

  async close(): Promise<void> {
    await this.cleanup;
    for (const txn of this.txns.open()) await this.abort(txn).catch(() => {});
    await this.pool?.end();
  }

  // ---- internals ----

  /** COMMIT PREPARED / ROLLBACK PREPARED; a gid that does not exist (42704) was finished before: success. */
  private async finishPrepared(txn: PostgresTransaction, verb: 'COMMIT PREPARED' | 'ROLLBACK PREPARED'): Promise<void> {
    await this.failures.step(verb.toLowerCase(), () => this.pool!.run(async (c) => {
      try {
        await c.query(`${verb} ${this.pgm!.escapeLiteral(txn.gid)}`);
      } catch (e) {
        if ((e as { code?: unknown }).code !== '42704') throw e;
      }
    }), { transaction: txn.gid });
  }

  /**
   * Rolls back every prepared transaction of this sink in the recovery scope — the old subtasks
   * whose state was restored here, or (fresh start) this subtask's index — that is not this
   * instance's. Runs before the first new transaction: the covered ones were committed by then.
   */
  private async rollbackUncovered(): Promise<void> {
    if (this.upsert || !this.pool) return;
    const scope = this.restoredSubtasks.size > 0 ? [...this.restoredSubtasks] : [this.info.subtask];
    const mine = this.ids.mine;
    await this.pool.run(async (c) => {
      for (const s of scope) {
        const r = await c.query<{ gid: string }>('SELECT gid FROM pg_prepared_xacts WHERE database = current_database() AND starts_with(gid, $1)', [this.ids.ofSubtask(s)]);
        for (const { gid } of r.rows) {
          if (gid.startsWith(mine)) continue;
          try {
            await c.query(`ROLLBACK PREPARED ${this.pgm!.escapeLiteral(gid)}`);
          } catch (e) {
            if ((e as { code?: unknown }).code !== '42704') throw e;
          }
        }
      }
    });
  }

  private checkIdleConnections(): void {
    const broken = this.pool?.brokenIdle;
    if (broken !== undefined && !this.failures.failure) throw this.failures.fail(this.failures.error('keep the connection', broken));
  }
}
