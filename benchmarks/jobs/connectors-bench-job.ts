/**
 * The job of `npm run bench:connectors` (workers import this module): Redis Streams (bounded: the
 * entries present at start) → row → PostgreSQL sink, exactly-once (two-phase commit per checkpoint).
 */
import { defineJob, postgresSink, type RedisStreamEntry } from '../../index.ts';

export interface CopyRow { stream: string; entry_id: string; n: number; amount: number }

export interface ConnectorsBenchParams { redisUrl: string; postgresUrl: string; streams: string[]; table: string }

export const toRow = (e: RedisStreamEntry): CopyRow => ({ stream: e.stream, entry_id: e.id, n: Number(e.n), amount: Number(e.amount) });

export const COLUMNS = ['stream', 'entry_id', 'n', 'amount'] as const;

export const redisToPostgresJob = defineJob('bench-redis-to-postgres', (env, p: ConnectorsBenchParams) => {
  env.fromRedisStreams({ url: p.redisUrl, streams: p.streams, bounded: true })
    .uid('redis')
    .map(toRow)
    .uid('row')
    .sinkTo(postgresSink<CopyRow>({ connection: p.postgresUrl, table: p.table, columns: [...COLUMNS], mode: 'exactly-once' }))
    .uid('pg');
});
