/**
 * `postgresLookup(options)`: an AsyncFunction (async-functions.ts) that looks each input up in
 * PostgreSQL — Flink's JDBC lookup function, used with `AsyncDataStream.unorderedWait` /
 * `orderedWait`. Per subtask: a pool of `poolSize` connections (requests beyond wait for one),
 * an optional cache (lookup-cache.ts), and retries of connection failures before the request
 * fails. The operator around it bounds the requests in flight (`capacity`), times them out, and
 * stores the inputs of unfinished requests in checkpoints (re-issued after a restore).
 *
 * Opening checks the connection and the query (`EXPLAIN` with NULL parameters), so wrong
 * credentials or a missing table fail at start with a typed error; every error names the operator,
 * subtask and endpoint, never the password. `pg` is imported when the function opens.
 */
import type pg from 'pg';
import type { AsyncFunction, AsyncRuntimeContext, ResultFuture } from '../api/async-functions.ts';
import type { TaskInfo } from '../api/functions.ts';
import { systemClock } from '../../common/clock.ts';
import { WeirError, preview } from '../../common/weir-error.ts';
import { RuntimeErrorCode, invalidArgument } from '../errors.ts';
import type { PostgresConnectionOptions } from './postgres-sink-options.ts';
import {
  ConnectError, ConnectionPool, causeText, checkConnectionOption, classify, clientConfig, describeEndpoint, endpointOf, loadPg, toParam, type Endpoint, type FailureKind,
} from './postgres-connections.ts';
import { LookupCache, type LookupCacheOptions } from './lookup-cache.ts';

export type LookupRow = Record<string, unknown>;

/** Options of {@link postgresLookup}. */
export interface PostgresLookupOptions<IN, OUT> {
  /** Connection parameters, or a connection string `postgres://user:password@host:port/database`. */
  readonly connection: PostgresConnectionOptions | string;
  /** A query with placeholders `$1 … $n`, e.g. `SELECT name, tier FROM customers WHERE id = $1`. */
  readonly query: string;
  /** The input's parameters for the placeholders, in order (`undefined` is NULL, bigints go as text). */
  readonly params: (input: IN) => readonly unknown[];
  /**
   * The outputs for an input and the rows its lookup returned. Default: one output per row,
   * `{ ...input, ...row }` (an inner join: an input without rows emits nothing).
   */
  readonly result?: (input: IN, rows: readonly LookupRow[]) => Iterable<OUT>;
  /** Connections per subtask. Default 4. */
  readonly poolSize?: number;
  /** A cache per subtask (Flink's partial lookup cache). Default: none (every input queries the server). */
  readonly cache?: LookupCacheOptions;
  /** Retries of a lookup whose connection failed (the server restarting), 100 ms apart doubling up to 2 s. Default 3. */
  readonly maxRetries?: number;
  /** Connection timeout. Default 10000 ms. */
  readonly connectTimeoutMs?: number;
  /**
   * The server cancels a lookup query (and the check at open) running longer than this
   * (PostgreSQL's statement_timeout): a lookup the async operator timed out, or one torn down by a
   * failover, stops holding a server backend then. Default 30000 ms; keep it at or below the async
   * operator's timeout.
   */
  readonly queryTimeoutMs?: number;
}

/** An AsyncFunction looking each input up in PostgreSQL; see {@link PostgresLookupOptions}. */
export function postgresLookup<IN, OUT = IN & LookupRow>(options: PostgresLookupOptions<IN, OUT>): AsyncFunction<IN, OUT> {
  const o = resolve(options);
  let lookup: PostgresLookup<IN, OUT> | undefined;
  return {
    async open(ctx: AsyncRuntimeContext) {
      lookup = new PostgresLookup(o, ctx.taskInfo);
      await lookup.open();
    },
    asyncInvoke: (input: IN, future: ResultFuture<OUT>) => lookup!.invoke(input, future),
    close: () => lookup?.close(),
  };
}

type Resolved<IN, OUT> = Required<Omit<PostgresLookupOptions<IN, OUT>, 'cache'>> & { cache: LookupCacheOptions | undefined };

function resolve<IN, OUT>(options: PostgresLookupOptions<IN, OUT>): Resolved<IN, OUT> {
  if (!options || typeof options !== 'object') throw invalidArgument('postgresLookup: expected options { connection, query, params }');
  const { connection, query, params, poolSize = 4, maxRetries = 3, connectTimeoutMs = 10_000, queryTimeoutMs = 30_000, cache } = options;
  checkConnectionOption('postgresLookup', connection);
  if (typeof query !== 'string' || query.trim().length === 0) throw invalidArgument('postgresLookup: query must be SQL text with $1 … $n placeholders', { option: 'query' });
  if (typeof params !== 'function') throw invalidArgument('postgresLookup: params must be a function input => [values for $1 … $n]', { option: 'params' });
  if (options.result !== undefined && typeof options.result !== 'function') throw invalidArgument('postgresLookup: result must be a function (input, rows) => outputs', { option: 'result' });
  const integer = (name: string, v: unknown, min: number) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw invalidArgument(`postgresLookup: ${name} must be an integer >= ${min}, got ${preview(v)}`, { option: name });
  };
  integer('poolSize', poolSize, 1);
  integer('maxRetries', maxRetries, 0);
  integer('connectTimeoutMs', connectTimeoutMs, 1);
  integer('queryTimeoutMs', queryTimeoutMs, 1);
  if (cache !== undefined) {
    if (cache === null || typeof cache !== 'object') throw invalidArgument('postgresLookup: cache must be { maxEntries, ttlMs }', { option: 'cache' });
    integer('cache.maxEntries', cache.maxEntries, 1);
    if (typeof cache.ttlMs !== 'number' || !(cache.ttlMs > 0)) throw invalidArgument(`postgresLookup: cache.ttlMs must be a number > 0, got ${preview(cache.ttlMs)}`, { option: 'cache.ttlMs' });
  }
  const result = options.result ?? ((input: IN, rows: readonly LookupRow[]) => rows.map((r) => ({ ...(input as object), ...r }) as OUT));
  return { connection, query, params, result, poolSize, maxRetries, connectTimeoutMs, queryTimeoutMs, cache };
}

/** SQLSTATE query_canceled: what a statement cut off by statement_timeout fails with. */
const QUERY_CANCELED = '57014';

const CODE_OF: Record<FailureKind, string> = {
  connection: RuntimeErrorCode.LOOKUP_CONNECTION_FAILED,
  misconfigured: RuntimeErrorCode.LOOKUP_MISCONFIGURED,
  record: RuntimeErrorCode.LOOKUP_RECORD_REJECTED,
  other: RuntimeErrorCode.LOOKUP_FAILED,
};

/** One subtask's lookups. */
class PostgresLookup<IN, OUT> {
  private pool: ConnectionPool | undefined;
  private endpoint: Endpoint = { host: '?', port: 0, database: '?', user: '?' };
  private password: string | undefined;
  private readonly cache: LookupCache<LookupRow[]>;
  private closed = false;

  constructor(private readonly o: Resolved<IN, OUT>, private readonly info: TaskInfo) {
    this.cache = new LookupCache(o.cache, systemClock);
    this.password = typeof o.connection === 'string' ? undefined : o.connection.password;
  }

  async open(): Promise<void> {
    const pgm = await loadPg();
    const config = clientConfig(this.o.connection as string | pg.ClientConfig, this.o.connectTimeoutMs, this.o.queryTimeoutMs);
    const where = endpointOf(pgm, config);
    this.endpoint = where.endpoint;
    this.password ??= where.password;
    this.pool = new ConnectionPool(pgm, config, this.o.poolSize);
    const placeholders = Math.max(0, ...[...this.o.query.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
    try {
      await this.pool.run((c) => c.query(`EXPLAIN ${this.o.query}`, new Array(placeholders).fill(null)));
    } catch (e) {
      const cause = e instanceof ConnectError ? e.original : e;
      const kind = classify(cause);
      // A query the server cannot plan is a configuration error, whatever its SQLSTATE class; one
      // cancelled by queryTimeoutMs (57014: a lock on the table …) may go through after a restart.
      const cancelled = (cause as { code?: unknown })?.code === QUERY_CANCELED;
      throw this.error(kind === 'connection' ? 'connection' : cancelled ? 'other' : 'misconfigured', 'open (connect and check the query)', cause);
    }
  }

  invoke(input: IN, future: ResultFuture<OUT>): void {
    let params: unknown[];
    try {
      params = this.o.params(input).map(toParam);
    } catch (e) {
      future.completeExceptionally(e); // the operator reports it as the user function's failure
      return;
    }
    this.cache.get(cacheKey(params), () => this.query(params, input)).then(
      (rows) => {
        let outputs: Iterable<OUT>;
        try {
          outputs = this.o.result(input, rows);
        } catch (e) {
          future.completeExceptionally(e);
          return;
        }
        future.complete(outputs);
      },
      (e: unknown) => future.completeExceptionally(e),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.pool?.end();
  }

  /** The rows for `params`, retrying connection failures; failures become typed errors naming `input`. */
  private async query(params: unknown[], input: IN): Promise<LookupRow[]> {
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await this.pool!.run((c) => c.query<LookupRow>(this.o.query, params));
        return r.rows;
      } catch (e) {
        const cause = e instanceof ConnectError ? e.original : e;
        const kind = classify(cause);
        if (kind === 'connection' && attempt < this.o.maxRetries && !this.closed) {
          await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** attempt)));
          continue;
        }
        throw this.error(kind, `lookup of input ${preview(input)}${attempt > 0 ? ` (after ${attempt} retries)` : ''}`, cause, { record: preview(input) });
      }
    }
  }

  private error(kind: FailureKind, what: string, cause: unknown, extra: Record<string, unknown> = {}): WeirError {
    const i = this.info;
    const where = describeEndpoint(this.endpoint);
    return new WeirError(CODE_OF[kind],
      `PostgreSQL lookup in operator '${i.operatorName}' (uid ${i.uid}, subtask ${i.subtask + 1}/${i.parallelism}): ${what} on ${where} failed: ${causeText(cause, this.password)}`,
      { operator: i.operatorName, uid: i.uid, subtask: i.subtask, endpoint: where, sqlState: (cause as { code?: unknown })?.code, ...extra },
      { cause });
  }
}

/** A cache key for parameters (bigints were already turned into text by toParam). */
function cacheKey(params: readonly unknown[]): string {
  return JSON.stringify(params, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v));
}
