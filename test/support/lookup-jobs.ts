/**
 * Jobs for the PostgreSQL lookup tests (every worker imports this module: jobs at top level).
 * ids (array) → unorderedWait / orderedWait(postgresLookup on `customers`) → collect('out').
 */
import { AsyncDataStream, defineJob, postgresLookup, type PostgresLookupOptions } from '../../index.ts';

export interface LookupJobParams {
  ids: Array<number | string>;
  connection: PostgresLookupOptions<unknown, unknown>['connection'];
  table: string;
  ordered: boolean;
  /** 'inner': the default result ({ ...input, ...row } per row); 'left': a fallback for a missing row. */
  join: 'inner' | 'left';
  cache: boolean;
  parallelism: number;
  /** The query names a $2 that `params` does not give (a misconfiguration only seen at run time). */
  unboundParam?: boolean;
  /** The lookup of this id would run for an hour on the server (pg_sleep), far beyond `queryTimeoutMs`. */
  slowId?: number;
  queryTimeoutMs?: number;
}

export interface Looked { id: number | string; name?: string; tier?: string | null }

export const lookupJob = defineJob('t-postgres-lookup', (env, p: LookupJobParams) => {
  const input = env.fromArray(p.ids.map((id) => ({ id }))).rebalance().map((x) => x).setParallelism(p.parallelism);
  const fn = postgresLookup<{ id: number | string }, Looked>({
    connection: p.connection,
    query: `SELECT name, tier FROM ${p.table} WHERE id = $1${p.unboundParam ? ' AND $2::text IS NULL' : ''}${p.slowId !== undefined ? ` AND (id <> ${p.slowId} OR pg_sleep(3600)::text = '')` : ''} ORDER BY name`,
    params: (x) => [x.id],
    ...(p.join === 'left' ? { result: (x, rows) => (rows.length > 0 ? rows.map((r) => ({ ...x, ...r }) as Looked) : [{ ...x, name: 'missing' }]) } : {}),
    ...(p.cache ? { cache: { maxEntries: 10, ttlMs: 60_000 } } : {}),
    poolSize: 3,
    ...(p.queryTimeoutMs !== undefined ? { queryTimeoutMs: p.queryTimeoutMs } : {}),
  });
  const looked = p.ordered ? AsyncDataStream.orderedWait(input, fn, 30_000, 8) : AsyncDataStream.unorderedWait(input, fn, 30_000, 8);
  looked.uid('lookup').setParallelism(p.parallelism).collect('out');
});
