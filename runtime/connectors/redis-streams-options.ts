/**
 * The Redis Streams source's options (redis-streams-source.ts): their types, their validation
 * (WEIR_INVALID_ARGUMENT naming the option, when the job is built), and entry ids — parsing,
 * comparing, the event time they carry.
 */
import { WeirError, preview } from '../../common/weir-error.ts';
import { RuntimeErrorCode, invalidArgument } from '../errors.ts';

/** Where a Redis server is: a `redis://` / `rediss://` URL, or host/port (and password, db); an `undefined` field is absent (values from the environment type-check). */
export interface RedisConnectionOptions {
  /** `redis://[[user]:password@]host:port[/db]`; host/port/password/db below override its parts. */
  url?: string | undefined;
  host?: string | undefined;
  port?: number | undefined;
  username?: string | undefined;
  password?: string | undefined;
  db?: number | undefined;
  /** How long opening the connection may take — TCP connect, then PING and the streams' first commands — and how long a reply may take beyond an XREAD's `blockMs` (default 5 000 ms). */
  connectTimeoutMs?: number | undefined;
}

/** `env.fromRedisStreams(options)` / `redisStreamsSource(options)`. */
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

/** {@link RedisStreamsOptions} validated, with every default filled in. */
export interface ResolvedRedisStreams {
  readonly connection: RedisConnectionOptions;
  readonly streams: readonly string[];
  readonly start: 'earliest' | 'latest' | Readonly<Record<string, string>>;
  readonly bounded: boolean;
  readonly batchSize: number;
  readonly blockMs: number;
  readonly parse: ((fields: Record<string, string>, id: string, stream: string) => unknown) | undefined;
}

export function resolveRedisStreamsOptions<T>(options: RedisStreamsOptions<T>): ResolvedRedisStreams {
  const o = options as RedisStreamsOptions<T> | undefined;
  const bad = (m: string) => invalidArgument(`fromRedisStreams: ${m}`);
  if (typeof o !== 'object' || o === null) throw bad('expected an options object { url | host/port, streams, … }');
  if (!Array.isArray(o.streams) || o.streams.length === 0 || !o.streams.every((s) => typeof s === 'string' && s.length > 0)) throw bad('streams must be a non-empty array of stream keys');
  if (new Set(o.streams).size !== o.streams.length) throw bad(`streams lists a key twice: ${o.streams.join(', ')}`);
  if (o.url !== undefined && (typeof o.url !== 'string' || !/^rediss?:\/\//.test(o.url) || !URL.canParse(o.url))) throw bad("url must be a redis:// or rediss:// URL");
  if (o.url !== undefined && !/^\/?(\d+)?$/.test(new URL(o.url).pathname)) throw bad(`url: the path must be a database number (redis://host:port/<db>), got ${preview(new URL(o.url).pathname)}`);
  if (o.url === undefined && o.host === undefined && o.port === undefined) throw bad('give url, or host and port');
  if (o.port !== undefined && !(Number.isInteger(o.port) && o.port > 0 && o.port < 65536)) throw bad(`port must be an integer in 1..65535, got ${preview(o.port)}`);
  if (o.db !== undefined && !(Number.isInteger(o.db) && o.db >= 0)) throw bad(`db must be a non-negative integer, got ${preview(o.db)}`);
  const start = o.start ?? 'earliest';
  if (typeof start === 'object' && start !== null) {
    for (const [k, id] of Object.entries(start)) {
      if (!o.streams.includes(k)) throw bad(`start names '${k}', which is not one of the streams`);
      if (typeof id !== 'string' || !(id === '$' || /^\d+(-\d+)?$/.test(id))) throw bad(`start['${k}'] must be an entry id (<ms>-<seq>), '0' or '$', got ${preview(id)}`);
    }
  } else if (start !== 'earliest' && start !== 'latest') throw bad(`start must be 'earliest', 'latest' or a record of entry ids, got ${preview(start)}`);
  const positive = (name: string, v: number | undefined, dflt: number) => {
    if (v !== undefined && !(Number.isSafeInteger(v) && v > 0)) throw bad(`${name} must be a positive integer, got ${preview(v)}`);
    return v ?? dflt;
  };
  if (o.parse !== undefined && typeof o.parse !== 'function') throw bad('parse must be a function (fields, id, stream) => record');
  const connection: RedisConnectionOptions = {
    ...(o.url !== undefined ? { url: o.url } : {}),
    ...(o.host !== undefined ? { host: o.host } : {}),
    ...(o.port !== undefined ? { port: o.port } : {}),
    ...(o.username !== undefined ? { username: o.username } : {}),
    ...(o.password !== undefined ? { password: o.password } : {}),
    ...(o.db !== undefined ? { db: o.db } : {}),
    ...(o.connectTimeoutMs !== undefined ? { connectTimeoutMs: positive('connectTimeoutMs', o.connectTimeoutMs, 5000) } : {}),
  };
  return {
    connection, streams: [...o.streams], start: typeof start === 'object' ? { ...start } : start,
    bounded: o.bounded === true, batchSize: positive('batchSize', o.batchSize, 1000), blockMs: positive('blockMs', o.blockMs, 100),
    parse: o.parse as ResolvedRedisStreams['parse'],
  };
}

const ID = /^(\d+)(?:-(\d+))?$/;

/** The event time of a Redis stream entry: the milliseconds part of its id (`<ms>-<seq>`). */
export function redisEntryTime(id: string): number {
  const m = ID.exec(id);
  const ms = m ? Number(m[1]) : NaN;
  if (!Number.isSafeInteger(ms)) throw new WeirError(RuntimeErrorCode.INVALID_ARGUMENT, `redisEntryTime: '${id}' is not a Redis stream entry id (<ms>-<seq>)`, { id });
  return ms;
}

/** `<ms>-<seq>` with both parts, from a complete or ms-only id. */
export function normalizeEntryId(id: string): string {
  const m = ID.exec(id)!;
  return `${BigInt(m[1]!)}-${BigInt(m[2] ?? '0')}`;
}

/** Compares two complete entry ids numerically (ms, then sequence). */
export function compareEntryIds(a: string, b: string): number {
  const [am, as] = a.split('-') as [string, string];
  const [bm, bs] = b.split('-') as [string, string];
  const cmp = (x: string, y: string) => (x.length !== y.length ? x.length - y.length : x < y ? -1 : x > y ? 1 : 0);
  return cmp(am, bm) || cmp(as ?? '0', bs ?? '0');
}

/** Where and how to connect: the URL's parts, then host/port/username/password/db over them. */
export interface RedisEndpoint { host: string; port: number; tls: boolean; username?: string; password?: string; db?: number }

/**
 * The connection, resolved here rather than by the client: node-redis lets a URL's parts win over
 * explicit options, the reverse of what the options promise (a `port` next to a `url` was ignored).
 */
export function redisEndpoint(c: RedisConnectionOptions): RedisEndpoint {
  const e: RedisEndpoint = { host: '127.0.0.1', port: 6379, tls: false };
  if (c.url) {
    try {
      const u = new URL(c.url);
      e.tls = u.protocol === 'rediss:';
      if (u.hostname) e.host = u.hostname.replace(/^\[(.*)\]$/, '$1');
      if (u.port) e.port = Number(u.port);
      if (u.username) e.username = decodeURIComponent(u.username);
      if (u.password) e.password = decodeURIComponent(u.password);
      const db = u.pathname.replace(/^\//, '');
      if (db !== '') e.db = Number(db);
    } catch { /* validated when the options were resolved */ }
  }
  if (c.host !== undefined) e.host = c.host;
  if (c.port !== undefined) e.port = c.port;
  if (c.username !== undefined) e.username = c.username;
  if (c.password !== undefined) e.password = c.password;
  if (c.db !== undefined) e.db = c.db;
  return e;
}
