/**
 * Declarative descriptions of the built-in sources. A spec is created by the
 * environment's `from…` methods; the source reader that executes it lives in
 * `runtime/operators/sources/`.
 */
import type { Source, SourceSplit } from '../api/source-api.ts';

export type SourceSpec =
  /** Integers [from, to], split across subtasks in contiguous ranges. Replayable. */
  | { type: 'sequence'; from: number; to: number }
  /** A fixed array (non-parallel). Replayable by index. */
  | { type: 'array'; items: readonly unknown[] }
  /** Any (async) iterable made by a factory, run in the worker (non-parallel). Replayable only if the factory yields the same items each time. */
  | { type: 'iterable'; factory: () => Iterable<unknown> | AsyncIterable<unknown> }
  /** fn(index) for index in [0, count) (unbounded when count is undefined), spread across subtasks, optionally rate-limited (records/s over all subtasks). Replayable. */
  | { type: 'generator'; fn: (index: number) => unknown; count?: number; ratePerSecond?: number }
  /** Lines or JSON Lines of a text file (non-parallel). Replayable from a byte offset. */
  | { type: 'file'; path: string; format: 'lines' | 'jsonl' }
  /** Entries of Redis streams (one split per stream, dealt round-robin to the subtasks). Replayable from the last emitted entry id per stream. */
  | RedisStreamsSourceSpec
  /** A user's source (the public Source API, api/source-api.ts): splits made on the main thread, read per subtask. Replayable from the splits' positions. */
  | { type: 'custom'; source: Source<unknown, SourceSplit> }
  /** Records an embedding app pushes from the main thread (`client.push(name, record)`; non-parallel). Replayed after a failover from the checkpointed position. */
  | { type: 'push'; name: string; maxBufferedRecords: number };

/** Where a Redis server is: a `redis://` / `rediss://` URL, or host/port (and password, db). */
export interface RedisConnectionOptions {
  /** `redis://[[user]:password@]host:port[/db]`; host/port/password/db below override its parts. */
  url?: string;
  host?: string;
  port?: number;
  username?: string;
  password?: string;
  db?: number;
  /** How long opening the connection may take (default 5 000 ms). */
  connectTimeoutMs?: number;
}

/** `env.fromRedisStreams(options)`. */
export interface RedisStreamsOptions<T = RedisStreamEntry> extends RedisConnectionOptions {
  /** The stream keys to read: each one is a split, dealt round-robin to the source's subtasks. */
  streams: string[];
  /**
   * Where a stream starts when no checkpoint says otherwise: 'earliest' (default: its first entry),
   * 'latest' (entries added after the reader opened), or per stream an entry id to read after
   * (exclusive, like XREAD; '0' = earliest, '$' = latest; streams not listed start at the earliest).
   */
  start?: 'earliest' | 'latest' | Record<string, string>;
  /** Read up to the last entry each stream holds when the source first opens, then finish (default false: unbounded). */
  bounded?: boolean;
  /** Entries per stream per XREAD (COUNT, default 1 000). */
  batchSize?: number;
  /** How long one XREAD blocks waiting for new entries in unbounded mode (BLOCK, default 100 ms). */
  blockMs?: number;
  /** The record made of an entry (runs in the worker); default: the fields plus `{ id, stream }`. */
  parse?: (fields: Record<string, string>, id: string, stream: string) => T;
}

/** The default record of the Redis Streams source: the entry's fields plus its id and stream. */
export type RedisStreamEntry = Record<string, string> & { id: string; stream: string };

export interface RedisStreamsSourceSpec {
  type: 'redis-streams';
  connection: RedisConnectionOptions;
  streams: readonly string[];
  start: 'earliest' | 'latest' | Readonly<Record<string, string>>;
  bounded: boolean;
  batchSize: number;
  blockMs: number;
  parse?: ((fields: Record<string, string>, id: string, stream: string) => unknown) | undefined;
}

/** Sources that cannot be split across subtasks run with parallelism 1. */
export function isParallelSource(spec: SourceSpec): boolean {
  return spec.type === 'sequence' || spec.type === 'generator' || spec.type === 'redis-streams' || spec.type === 'custom';
}

export function isBoundedSource(spec: SourceSpec): boolean {
  if (spec.type === 'redis-streams') return spec.bounded;
  if (spec.type === 'custom') return spec.source.boundedness === 'bounded';
  return spec.type !== 'generator' || spec.count !== undefined;
}
