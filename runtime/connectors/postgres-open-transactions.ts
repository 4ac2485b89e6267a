/**
 * The open transactions of one PostgreSQL sink subtask (postgres-sink.ts), from the first row to
 * PREPARE TRANSACTION / COMMIT: their buffered rows, their connections, the ordered chain of their
 * batched INSERTs, and the count of rows not yet acknowledged by the server (the memory bound).
 */
import type pg from 'pg';
import { WeirError, preview } from '../../common/weir-error.ts';
import { MAX_PARAMS, classify, insertSql, type ConnectionPool, type PgModule } from './postgres-connections.ts';
import type { SinkFailures } from './postgres-sink-failures.ts';
import type { PostgresTransaction, ResolvedOptions } from './postgres-sink-options.ts';
import type { RowMapper } from './postgres-rows.ts';

/** A transaction being filled: its connection (from the first send until PREPARE/COMMIT) and its ordered sends. */
interface Live {
  readonly txn: PostgresTransaction;
  values: unknown[][];
  records: unknown[];
  conn: pg.Client | undefined;
  /** The sends so far, in order; never rejects (failures go to `failure`). */
  chain: Promise<void>;
  /** Rows queued or in flight (counted in `buffered`). */
  unacked: number;
  /** Aborted: queued sends are skipped, their failures ignored. */
  aborted: boolean;
}

export class OpenTransactions<T> {
  private pgm: PgModule | undefined;
  private pool: ConnectionPool | undefined;
  private readonly live = new Map<string, Live>();
  /** Rows held between invoke and the server's acknowledgement of their INSERT, over all open transactions. */
  private buffered = 0;
  private readonly upsert: boolean;
  /**
   * The last INSERT queued by any transaction: a transaction's sends start only after every earlier
   * one's, so a new transaction never takes row locks (upsert keys, unique keys) before an older one
   * has sent its last rows — the older one's PREPARE / COMMIT never waits on a younger transaction.
   */
  private lastSend: Promise<void> = Promise.resolve();

  constructor(private readonly o: ResolvedOptions<T>, private readonly rows: RowMapper<T>, private readonly failures: SinkFailures) {
    this.upsert = o.mode === 'upsert';
  }

  /** The sink opened: `pg` and the subtask's connections. */
  connect(pgm: PgModule, pool: ConnectionPool): void {
    this.pgm = pgm;
    this.pool = pool;
  }

  /** The transactions open here (begun, not yet prepared / committed or aborted). */
  open(): PostgresTransaction[] {
    return [...this.live.values()].map((l) => l.txn);
  }

  /** Buffers `value`'s row in `txn`; a full batch is queued as one INSERT. */
  add(txn: PostgresTransaction, value: T): void {
    const row = this.rows.toRow(value);
    let l = this.live.get(txn.gid);
    if (!l) {
      l = { txn, values: [], records: [], conn: undefined, chain: Promise.resolve(), unacked: 0, aborted: false };
      this.live.set(txn.gid, l);
    }
    l.values.push(row);
    l.records.push(value);
    txn.rows++;
    this.buffered++;
    // Backpressure (see `backpressure`) stops the input at maxBufferedRows; records already on their
    // way in the subtask's current input frame may still come: fail only far beyond the bound.
    if (this.buffered > 2 * this.o.maxBufferedRows) throw this.failures.fail(this.failures.bufferFull(this.o.maxBufferedRows));
    if (l.values.length >= this.batchLimit()) this.send(l);
  }

  /** At maxBufferedRows rows held: the subtask takes no more input until every queued INSERT was acknowledged. */
  backpressure(): Promise<void> | undefined {
    if (this.buffered < this.o.maxBufferedRows) return undefined;
    for (const l of this.live.values()) this.send(l); // a partial batch must not wait for rows that cannot come
    return this.lastSend;
  }

  /**
   * preCommit: sends the rest of `txn`'s rows, then — after `cleanup` (the leftover rollback) —
   * PREPARE TRANSACTION (exactly-once) or COMMIT (upsert) on its connection, which goes back to the pool.
   */
  end(txn: PostgresTransaction, cleanup: Promise<void> | undefined): Promise<void> | undefined {
    const l = this.live.get(txn.gid);
    if (!l || txn.rows === 0) {
      this.live.delete(txn.gid);
      return cleanup?.then(() => { if (this.failures.failure) throw this.failures.failure; });
    }
    this.send(l);
    return l.chain.then(async () => {
      await cleanup;
      if (this.failures.failure) throw this.failures.failure;
      const c = l.conn!;
      await this.failures.step(this.upsert ? 'commit' : 'prepare', async () => {
        try {
          await c.query(this.upsert ? 'COMMIT' : `PREPARE TRANSACTION ${this.pgm!.escapeLiteral(txn.gid)}`);
        } catch (e) {
          this.pool!.discard(c);
          l.conn = undefined;
          throw tooFewPreparedTransactions(e) ?? e;
        }
      }, { transaction: txn.gid });
      l.conn = undefined;
      this.pool!.release(c);
      this.live.delete(txn.gid);
    }).catch((e: unknown) => {
      throw this.failures.fail(e instanceof WeirError ? e : this.failures.error('prepare', e, { transaction: txn.gid }));
    });
  }

  /**
   * Drops `gid` if it is open here (false: it is not): its queued sends are skipped and its
   * transaction rolled back. A send in flight may wait on row locks of a prepared transaction that
   * only a restore ends: never wait for it — closing the session makes the server roll the transaction back.
   */
  async abort(gid: string): Promise<boolean> {
    const l = this.live.get(gid);
    if (!l) return false;
    this.live.delete(gid);
    l.aborted = true;
    this.buffered -= l.values.length;
    l.values = [];
    l.records = [];
    const c = l.conn;
    l.conn = undefined;
    if (!c) return true;
    if (l.unacked > 0) this.pool!.discard(c);
    else await c.query('ROLLBACK').then(() => this.pool!.release(c), () => this.pool!.discard(c));
    return true;
  }

  private batchLimit(): number {
    const cols = this.rows.columns?.length ?? 1;
    return Math.max(1, Math.min(this.o.batchRows, Math.floor(MAX_PARAMS / cols)));
  }

  /** Queue the open batch of `l` as one INSERT on its connection (BEGIN first). */
  private send(l: Live): void {
    if (l.values.length === 0) return;
    const values = l.values;
    const records = l.records;
    l.values = [];
    l.records = [];
    l.unacked += values.length;
    l.chain = Promise.all([l.chain, this.lastSend]).then(async () => {
      try {
        if (this.failures.failure || l.aborted) return;
        if (!l.conn) {
          const c = await this.failures.step('connect', () => this.pool!.acquire());
          if (l.aborted) {
            this.pool!.release(c);
            return;
          }
          l.conn = c;
          await this.failures.step('begin', () => c.query('BEGIN'));
        }
        await this.insert(l, values, records);
      } catch (e) {
        if (l.aborted) return; // its connection was closed on purpose
        this.failures.fail(e instanceof WeirError ? e : this.failures.error('insert', e));
        if (l.conn) this.pool!.discard(l.conn);
        l.conn = undefined;
      } finally {
        l.unacked -= values.length;
        this.buffered -= values.length;
      }
    });
    this.lastSend = l.chain;
  }

  private async insert(l: Live, values: unknown[][], records: unknown[]): Promise<void> {
    let rows = values;
    if (this.upsert) rows = this.rows.lastPerKey(values); // ON CONFLICT DO UPDATE cannot touch a row twice in one statement
    const sql = insertSql(this.pgm!, this.o.table, this.rows.columns!, rows.length, this.o.key);
    try {
      await l.conn!.query(sql, rows.flat());
    } catch (e) {
      if (classify(e) !== 'record') throw e;
      throw await this.rejectedRecord(l.conn!, values, records, e);
    }
  }

  /** Finds the record the server rejects (each row alone, in a transaction rolled back after), for the error. */
  private async rejectedRecord(c: pg.Client, values: unknown[][], records: unknown[], batchError: unknown): Promise<WeirError> {
    let culprit: unknown;
    let cause = batchError;
    try {
      await c.query('ROLLBACK');
      await c.query('BEGIN');
      const one = insertSql(this.pgm!, this.o.table, this.rows.columns!, 1, this.o.key);
      for (let i = 0; i < values.length && culprit === undefined; i++) {
        await c.query('SAVEPOINT weir_probe');
        try {
          await c.query(one, values[i]);
          await c.query('RELEASE SAVEPOINT weir_probe');
        } catch (e) {
          culprit = records[i];
          cause = e;
          await c.query('ROLLBACK TO SAVEPOINT weir_probe');
        }
      }
      await c.query('ROLLBACK');
    } catch { /* the diagnosis is best effort: report the batch */ }
    const rec = culprit !== undefined ? preview(culprit) : `(one of ${records.length}, first ${preview(records[0])})`;
    return this.failures.recordRejected(rec, cause);
  }
}

/**
 * The server's prepared-transaction slots are all taken (53200, which also means out of memory:
 * told apart by its message): a setting, not a passing fault — every restart would meet it again.
 */
function tooFewPreparedTransactions(e: unknown): Error | undefined {
  const err = e as { code?: unknown; message?: unknown } | undefined;
  if (err?.code !== '53200' || typeof err.message !== 'string' || !/prepared transactions/i.test(err.message)) return undefined;
  return Object.assign(new Error(`${err.message}: max_prepared_transactions is too small for the sinks writing to this server (each exactly-once sink subtask may hold 2 prepared transactions; other jobs' count too) — raise it and restart PostgreSQL`), { code: '53200', forceKind: 'misconfigured' });
}
