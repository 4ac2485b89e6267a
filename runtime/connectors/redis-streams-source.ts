/**
 * Redis Streams source, written on the public Source API (api/source-api.ts) as a user's source
 * would be: `redisStreamsSource(options)` (what `env.fromRedisStreams` adds). Plain
 * `XREAD COUNT n [BLOCK ms] STREAMS s1 s2 … id1 id2 …` (no consumer groups: their
 * acknowledgements are not exactly-once). Each stream is a split; `createSplits` deals them
 * round-robin to the source's subtasks (subtask i reads streams i, i + p, …); a subtask with no
 * split finishes at once (its end of data releases the watermark downstream).
 *
 * Position: per split, the id of the last entry handed to the task (`after`; the next XREAD reads
 * the entries after it); `snapshotSplits()` = `[{ stream, after, end }]`, so a restore at another
 * parallelism deals the splits out again. `after: null` = 'latest' not resolved yet (the reader
 * had not opened); `end` = in bounded mode the last id the stream held when the source first
 * opened (null: not resolved yet), kept in checkpoints so a restored bounded job stops at the same
 * entry; a bounded split that reached its end leaves the state.
 *
 * Exactly-once: XREAD runs in the background of a poll() that returns a Promise resolving to an
 * empty batch; the entries wait in a buffer and are handed out only by a synchronous poll(),
 * which advances the positions in the same step as the task emits them. A checkpoint (a mail the
 * task runs while a poll is pending) therefore never stores a position past an entry that was
 * not emitted, nor before one that was.
 *
 * The `redis` package is imported when the reader first opens, so jobs without this source never
 * load it.
 */
import type { createClient } from 'redis';
import type { Source, SourcePoll, SourceSplitReader, SplitReaderContext } from '../api/source-api.ts';
import { WeirError } from '../../common/weir-error.ts';
import { RuntimeErrorCode } from '../errors.ts';
import {
  compareEntryIds, normalizeEntryId, redisEndpoint, resolveRedisStreamsOptions, type RedisEndpoint,
  type RedisStreamEntry, type RedisStreamsOptions, type ResolvedRedisStreams,
} from './redis-streams-options.ts';

type RedisClient = ReturnType<typeof createClient>;

/** One stream's position: a split of the source (what checkpoints store). */
export interface RedisStreamSplit {
  stream: string;
  /** Id of the last entry emitted (the next read starts after it); '0-0' = from the start; null = 'latest', not resolved yet. */
  after: string | null;
  /** Bounded mode: the last id to read (null: not resolved yet); null and ignored when unbounded. */
  end: string | null;
}

const DONE: SourcePoll<never> = { records: [], done: true };
const NOTHING_YET: SourcePoll<never> = { records: [], done: false };

/** Bound on opening the connection (TCP connect, then PING and the streams' first commands) and on a reply beyond an XREAD's BLOCK time. */
const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

function isRedisSplit(v: unknown): v is RedisStreamSplit {
  const s = v as RedisStreamSplit;
  return typeof v === 'object' && v !== null && typeof s.stream === 'string' && (s.after === null || typeof s.after === 'string') && (s.end === null || typeof s.end === 'string' || s.end === undefined);
}

/** The position a stream starts from without a checkpoint. */
function initialAfter(start: ResolvedRedisStreams['start'], stream: string): string | null {
  if (start === 'earliest') return '0-0';
  if (start === 'latest') return null;
  const id = start[stream];
  if (id === undefined || id === '0' || id === '0-0') return '0-0';
  if (id === '$') return null;
  return normalizeEntryId(id);
}

/** A Source reading Redis streams (see the top of this file and docs/connectors.md). */
export function redisStreamsSource<T = RedisStreamEntry>(options: RedisStreamsOptions<T>): Source<T, RedisStreamSplit> {
  const spec = resolveRedisStreamsOptions(options);
  return {
    boundedness: spec.bounded ? 'bounded' : 'unbounded',
    createSplits: () => spec.streams.map((stream) => ({ stream, after: initialAfter(spec.start, stream), end: null })),
    createReader: (ctx) => new RedisStreamsReader(spec, ctx) as unknown as SourceSplitReader<T, RedisStreamSplit>,
  };
}

interface Buffered { split: RedisStreamSplit; id: string; fields: Record<string, string> }

class RedisStreamsReader implements SourceSplitReader<unknown, RedisStreamSplit> {
  /** The splits not finished, with their positions. */
  private splits: RedisStreamSplit[] = [];
  private buffer: Buffered[] = [];
  private bufferPos = 0;
  private client: RedisClient | undefined;
  private opened = false;
  private closed = false;
  private readonly target: RedisEndpoint;

  constructor(private readonly spec: ResolvedRedisStreams, private readonly ctx: SplitReaderContext) {
    this.target = redisEndpoint(spec.connection);
  }

  addSplits(splits: RedisStreamSplit[]): void {
    for (const s of splits) if (isRedisSplit(s)) this.splits.push({ stream: s.stream, after: s.after, end: s.end ?? null });
  }

  poll(max: number): SourcePoll<unknown> | Promise<SourcePoll<unknown>> {
    if (this.bufferPos < this.buffer.length) return this.handOut(max);
    if (this.splits.length === 0) return DONE; // no split (more subtasks than streams), or every bounded split read
    if (!this.opened) return this.open().then(() => NOTHING_YET);
    return this.fetch().then(() => NOTHING_YET);
  }

  snapshotSplits(): RedisStreamSplit[] {
    return this.splits.map((s) => ({ stream: s.stream, after: s.after, end: s.end }));
  }

  close(): void {
    this.closed = true;
    const c = this.client;
    this.client = undefined;
    if (c) {
      try {
        c.destroy(); // a pending blocking XREAD rejects; fetch() ignores it once closed
      } catch { /* already closed */ }
    }
  }

  /** Entries from the buffer; each one's position advances as it is handed out. */
  private handOut(max: number): SourcePoll<unknown> {
    const records: unknown[] = [];
    const parse = this.spec.parse;
    while (records.length < max && this.bufferPos < this.buffer.length) {
      const e = this.buffer[this.bufferPos]!;
      let record: unknown;
      try {
        record = parse ? parse(e.fields, e.id, e.split.stream) : { ...e.fields, id: e.id, stream: e.split.stream };
      } catch (err) {
        // Not restartable: the entry comes again after every restart (as readTextFile's invalid lines).
        throw this.fail(RuntimeErrorCode.SOURCE_INVALID_RECORD, `parse threw on entry ${e.id} of stream '${e.split.stream}': ${(err as Error)?.message ?? String(err)}`, err, { stream: e.split.stream, id: e.id });
      }
      this.bufferPos++;
      records.push(record);
      e.split.after = e.id;
      if (this.spec.bounded && e.split.end !== null && compareEntryIds(e.id, e.split.end) >= 0) this.finish(e.split);
    }
    if (this.bufferPos >= this.buffer.length) {
      this.buffer = [];
      this.bufferPos = 0;
    }
    return { records, done: this.spec.bounded && this.splits.length === 0 && this.buffer.length === 0 };
  }

  private finish(split: RedisStreamSplit): void {
    const i = this.splits.indexOf(split);
    if (i >= 0) this.splits.splice(i, 1);
  }

  private async open(): Promise<void> {
    let redis: typeof import('redis');
    try {
      redis = await import('redis');
    } catch (e) {
      throw this.fail(RuntimeErrorCode.SOURCE_MISCONFIGURED, "cannot load the 'redis' package (npm install redis)", e);
    }
    const c = this.spec.connection;
    const e = this.target;
    const client = redis.createClient({
      ...(e.username !== undefined ? { username: e.username } : {}),
      ...(e.password !== undefined ? { password: e.password } : {}),
      ...(e.db !== undefined ? { database: e.db } : {}),
      socket: {
        host: e.host,
        port: e.port,
        ...(e.tls ? { tls: true as const } : {}),
        connectTimeout: c.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
        reconnectStrategy: false, // a lost connection fails the subtask: the job fails over and resumes from its checkpoint
      },
    });
    client.on('error', () => { /* surfaces as the rejection of the pending or next command */ });
    this.client = client;
    // `connectTimeout` bounds the TCP connect only: a server that accepts and never answers (stopped,
    // overloaded, not Redis) would hang the subtask. The whole opening handshake gets the same bound.
    const timeoutMs = c.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    try {
      await this.replyWithin(timeoutMs, 'connecting (connect, PING)', async () => {
        await client.connect();
        await client.ping(); // NOAUTH when the server wants a password and none was given
      });
    } catch (e) {
      if (this.closed) return;
      throw e instanceof WeirError ? e : this.classify('cannot connect', e);
    }
    try {
      await this.replyWithin(timeoutMs, 'opening the streams (TYPE, XREVRANGE)', () => Promise.all(this.splits.map(async (s) => {
        const type = await client.type(s.stream);
        if (type !== 'none' && type !== 'stream') {
          throw this.fail(RuntimeErrorCode.SOURCE_MISCONFIGURED, `key '${s.stream}' is a ${type}, not a stream`, undefined, { stream: s.stream });
        }
        if (type === 'none' && this.spec.bounded && (s.after === null || s.end === null)) {
          throw this.fail(RuntimeErrorCode.SOURCE_MISCONFIGURED, `stream '${s.stream}' does not exist (a bounded source reads up to the last entry of each stream when it opens; create the stream, or read it unbounded)`, undefined, { stream: s.stream });
        }
        if (s.after === null || (this.spec.bounded && s.end === null)) {
          const last = type === 'none' ? [] : await client.xRevRange(s.stream, '+', '-', { COUNT: 1 });
          const lastId = last[0]?.id ?? '0-0';
          if (s.after === null) s.after = lastId;
          if (this.spec.bounded && s.end === null) s.end = lastId;
        }
      })));
    } catch (e) {
      if (this.closed) return;
      throw e instanceof WeirError ? e : this.classify('cannot open', e);
    }
    if (this.spec.bounded) for (const s of [...this.splits]) if (compareEntryIds(s.after!, s.end!) >= 0) this.finish(s);
    this.opened = true;
  }

  /** One XREAD over the open splits into the buffer (bounded: entries up to each split's end). */
  private async fetch(): Promise<void> {
    const client = this.client!;
    const splits = [...this.splits];
    const bounded = this.spec.bounded;
    type Reply = Array<{ name: string; messages: Array<{ id: string; message: Record<string, string> }> }> | null;
    let reply: Reply;
    try {
      // A stalled server (stopped, frozen) keeps the connection open and never replies: without a
      // deadline the source would wait forever while checkpoints complete with no progress.
      const deadline = (bounded ? 0 : this.spec.blockMs) + (this.spec.connection.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
      reply = await this.replyWithin(deadline, 'reading (XREAD)', async () => (await client.xRead(splits.map((s) => ({ key: s.stream, id: s.after! })), bounded ? { COUNT: this.spec.batchSize } : { COUNT: this.spec.batchSize, BLOCK: this.spec.blockMs })) as unknown as Reply);
    } catch (e) {
      if (this.closed) return;
      throw e instanceof WeirError ? e : this.classify('failed reading', e);
    }
    if (this.closed) return;
    const byStream = new Map((reply ?? []).map((r) => [r.name, r.messages]));
    const perStream: Buffered[][] = [];
    // Entry ids are event time (redisEntryTime): the streams of this subtask are handed out merged
    // in id order, and only up to the smallest last id of a stream that may hold more (it returned a
    // full batch) — beyond it, another stream's next batch could bring earlier entries, late behind
    // the watermark. What is cut off is read again by the next XREAD (positions advance only as
    // entries are handed out). Flink's Kafka source gets the same by a watermark per partition.
    let cutoff: string | undefined;
    for (const split of splits) {
      const messages = byStream.get(split.stream) ?? [];
      const entries: Buffered[] = [];
      for (const m of messages) {
        if (bounded && compareEntryIds(m.id, split.end!) > 0) break;
        entries.push({ split, id: m.id, fields: m.message });
      }
      // Bounded: nothing up to the end is left (entries up to it were deleted): the split is done.
      if (bounded && entries.length === 0) this.finish(split);
      const mayHoldMore = messages.length >= this.spec.batchSize && entries.length === messages.length;
      const last = entries[entries.length - 1];
      if (mayHoldMore && last && (cutoff === undefined || compareEntryIds(last.id, cutoff) < 0)) cutoff = last.id;
      perStream.push(entries);
    }
    const merged = perStream.length === 1 ? perStream[0]! : perStream.flat().sort((a, b) => compareEntryIds(a.id, b.id));
    this.buffer = cutoff === undefined ? merged : merged.filter((e) => compareEntryIds(e.id, cutoff) <= 0);
    this.bufferPos = 0;
  }

  /**
   * `call()`, failing with WEIR_SOURCE_CONNECTION_FAILED when the server has not replied within
   * `ms` (the client is destroyed: its pending commands reject and are ignored).
   */
  private async replyWithin<T>(ms: number, what: string, call: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        try {
          this.client?.destroy();
        } catch { /* already closed */ }
        reject(this.fail(RuntimeErrorCode.SOURCE_CONNECTION_FAILED, `no reply from the server within ${ms} ms while ${what}: it accepts connections but does not answer (stopped, overloaded, or not Redis?)`, undefined, { timeoutMs: ms }));
      }, ms);
    });
    const work = call();
    work.catch(() => { /* after a timeout the destroyed client rejects it: already reported */ });
    try {
      return await Promise.race([work, expired]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A Redis error reply (auth, type) or a connection failure (refused, closed, timed out). */
  private classify(what: string, e: unknown): WeirError {
    const msg = e instanceof Error ? e.message : String(e);
    const isReply = e instanceof Error && /^(SimpleError|BlobError|ErrorReply)$/.test(e.constructor.name);
    if (isReply && /^(WRONGPASS|NOAUTH|NOPERM|WRONGTYPE|ERR AUTH|ERR invalid password|ERR DB index)/i.test(msg)) {
      return this.fail(RuntimeErrorCode.SOURCE_MISCONFIGURED, `${what}: ${msg}`, e);
    }
    // A server still starting up or failing over answers LOADING / MASTERDOWN / TRYAGAIN / BUSY: not
    // ready yet, like a refused connection (restartable, documented as a connection failure).
    if (isReply && /^(LOADING|MASTERDOWN|TRYAGAIN|BUSY)\b/.test(msg)) return this.fail(RuntimeErrorCode.SOURCE_CONNECTION_FAILED, `${what}: ${msg}`, e);
    if (isReply) return this.fail(RuntimeErrorCode.SOURCE_FAILED, `${what}: ${msg}`, e);
    return this.fail(RuntimeErrorCode.SOURCE_CONNECTION_FAILED, `${what}: ${msg || (e as Error)?.constructor?.name}`, e);
  }

  private fail(code: string, message: string, cause?: unknown, extra: Record<string, unknown> = {}): WeirError {
    const { host, port } = this.target;
    return new WeirError(code,
      `redis-streams source '${this.ctx.taskInfo.operatorName}' (subtask ${this.ctx.taskInfo.subtask + 1}/${this.ctx.taskInfo.parallelism}, ${host}:${port}): ${message}`,
      { connector: 'redis-streams', operator: this.ctx.taskInfo.operatorName, subtask: this.ctx.taskInfo.subtask, host, port, ...extra },
      cause === undefined ? undefined : { cause });
  }
}
