/**
 * The environment a job's build function receives: sources and defaults.
 * (Flink's StreamExecutionEnvironment, minus `execute()`: a Weir job is
 * executed through its `JobDefinition`, because the build function also runs
 * in every worker to rebuild the user's closures there.)
 */
import { StreamGraph } from '../graph/stream-graph.ts';
import type { RedisStreamEntry, RedisStreamsOptions, SourceSpec } from '../graph/source-spec.ts';
import { isParallelSource } from '../graph/source-spec.ts';
import { SingleOutputStream } from './data-stream.ts';
import { invalidArgument } from '../errors.ts';
import type { Source, SourceSplit } from './source-api.ts';
import type { WatermarkStrategy } from './functions.ts';

export class StreamEnvironment {
  /** @internal */
  readonly graph = new StreamGraph();

  /** @internal */
  constructor(
    /** Default parallelism of operators that do not set one. */
    readonly parallelism: number,
    /** Upper bound of parallelism = number of key groups. */
    readonly maxParallelism: number,
  ) {}

  /** The integers from `from` to `to` inclusive, split across the source's subtasks. */
  fromSequence(from: number, to: number): SingleOutputStream<number> {
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to)) throw invalidArgument(`fromSequence: bounds must be safe integers, got ${from}..${to}`);
    if (to < from) throw invalidArgument(`fromSequence: 'to' (${to}) is before 'from' (${from})`);
    return this.addSource<number>({ type: 'sequence', from, to }, 'Sequence');
  }

  /** The given items in order (a non-parallel source). The array is rebuilt in every worker by the job module. */
  fromArray<T>(items: readonly T[]): SingleOutputStream<T> {
    if (!Array.isArray(items)) throw invalidArgument('fromArray: expected an array');
    return this.addSource<T>({ type: 'array', items }, 'Array');
  }

  /**
   * Items of an (async) iterable created by `factory` inside the worker (non-parallel).
   * For exactly-once replay after a failure, the factory must yield the same items each time.
   */
  fromAsyncIterable<T>(factory: () => AsyncIterable<T> | Iterable<T>): SingleOutputStream<T> {
    if (typeof factory !== 'function') throw invalidArgument('fromAsyncIterable: expected a factory function returning an (async) iterable');
    return this.addSource<T>({ type: 'iterable', factory }, 'AsyncIterable');
  }

  /**
   * `fn(index)` for index 0, 1, 2, … (up to `count`, or unbounded), spread across the
   * source's subtasks, optionally limited to `ratePerSecond` records/s in total.
   */
  fromGenerator<T>(fn: (index: number) => T, options: { count?: number; ratePerSecond?: number } = {}): SingleOutputStream<T> {
    if (typeof fn !== 'function') throw invalidArgument('fromGenerator: expected a function (index) => record');
    if (options.count !== undefined && (!Number.isSafeInteger(options.count) || options.count < 0)) {
      throw invalidArgument(`fromGenerator: count must be a non-negative integer, got ${options.count}`);
    }
    if (options.ratePerSecond !== undefined && !(options.ratePerSecond > 0)) {
      throw invalidArgument(`fromGenerator: ratePerSecond must be > 0, got ${options.ratePerSecond}`);
    }
    return this.addSource<T>({ type: 'generator', fn, ...options }, 'Generator');
  }

  /**
   * A source written with the public Source API (Flink's `fromSource`, api/source-api.ts): its
   * splits are made on the main thread and dealt to the source's subtasks; each subtask's split
   * reader polls records; split positions are in every checkpoint. With a `watermarkStrategy`,
   * timestamps and watermarks are assigned right after the source (chained to it).
   */
  fromSource<T, S extends SourceSplit>(source: Source<T, S>, watermarkStrategy?: WatermarkStrategy<T>, name = 'Source'): SingleOutputStream<T> {
    const s = source as Partial<Source<T, S>> | null | undefined;
    if (!s || typeof s.createSplits !== 'function' || typeof s.createReader !== 'function') {
      throw invalidArgument('fromSource: expected a Source: an object with createSplits(ctx) and createReader(ctx) (see docs/sources.md)');
    }
    if (s.boundedness !== 'bounded' && s.boundedness !== 'unbounded') {
      throw invalidArgument(`fromSource: boundedness must be 'bounded' or 'unbounded', got ${JSON.stringify(s.boundedness)}`);
    }
    if (typeof name !== 'string' || name.length === 0) throw invalidArgument('fromSource: name must be a non-empty string');
    const stream = this.addSource<T>({ type: 'custom', source: source as unknown as Source<unknown, SourceSplit> }, name);
    return watermarkStrategy ? stream.assignTimestampsAndWatermarks(watermarkStrategy) : stream;
  }

  /**
   * Records the embedding app pushes while the job runs: `client.push(name, record)` (a Promise
   * that waits while `maxBufferedRecords` records are held: backpressure) and `client.endPush(name)`
   * to end the input. Non-parallel. With checkpointing, records are replayed after a failover from
   * the checkpointed position (none lost, none duplicated within the process); across a process
   * restart the app pushes again from `client.pushPosition(name)` if it can. See docs/api.md.
   */
  fromPushSource<T>(name: string, options: { maxBufferedRecords?: number } = {}): SingleOutputStream<T> {
    if (typeof name !== 'string' || name.length === 0) throw invalidArgument('fromPushSource: name must be a non-empty string');
    const clash = this.graph.nodes.find((n) => n.spec.kind === 'source' && n.spec.source.type === 'push' && n.spec.source.name === name);
    if (clash) throw invalidArgument(`fromPushSource: a push source named '${name}' exists already in this job`, { name });
    const max = options.maxBufferedRecords ?? 10_000;
    if (!Number.isInteger(max) || max < 1) throw invalidArgument(`fromPushSource('${name}'): maxBufferedRecords must be an integer >= 1, got ${String(max)}`);
    return this.addSource<T>({ type: 'push', name, maxBufferedRecords: max }, `Push(${name})`);
  }

  /** Lines of a text file, or parsed JSON Lines with `format: 'jsonl'` (non-parallel; resumes from a byte offset). */
  readTextFile(path: string, options?: { format?: 'lines' }): SingleOutputStream<string>;
  readTextFile<T = unknown>(path: string, options: { format: 'jsonl' }): SingleOutputStream<T>;
  readTextFile(path: string, options: { format?: 'lines' | 'jsonl' } = {}): SingleOutputStream<any> {
    if (typeof path !== 'string' || path.length === 0) throw invalidArgument('readTextFile: path must be a non-empty string');
    const format = options.format ?? 'lines';
    if (format !== 'lines' && format !== 'jsonl') throw invalidArgument(`readTextFile: format must be 'lines' or 'jsonl', got '${String(format)}'`);
    return this.addSource({ type: 'file', path, format }, `File(${path})`);
  }

  /**
   * Entries of Redis streams read with plain XREAD (no consumer group): each stream is a split,
   * dealt round-robin to the source's subtasks; the last emitted entry id of each stream is kept
   * in checkpoints, so with an exactly-once sink every entry arrives once across failovers and
   * rescaling. `bounded: true` reads up to the last entry present when the source first opens,
   * then finishes. Event time: `redisEntryTime(record.id)`. See docs/connectors.md.
   */
  fromRedisStreams<T = RedisStreamEntry>(options: RedisStreamsOptions<T>): SingleOutputStream<T> {
    const o = options as RedisStreamsOptions<T> | undefined;
    const bad = (m: string) => invalidArgument(`fromRedisStreams: ${m}`);
    if (typeof o !== 'object' || o === null) throw bad('expected an options object { url | host/port, streams, … }');
    if (!Array.isArray(o.streams) || o.streams.length === 0 || !o.streams.every((s) => typeof s === 'string' && s.length > 0)) throw bad('streams must be a non-empty array of stream keys');
    if (new Set(o.streams).size !== o.streams.length) throw bad(`streams lists a key twice: ${o.streams.join(', ')}`);
    if (o.url !== undefined && (typeof o.url !== 'string' || !/^rediss?:\/\//.test(o.url))) throw bad("url must be a redis:// or rediss:// URL");
    if (o.url === undefined && o.host === undefined && o.port === undefined) throw bad('give url, or host and port');
    if (o.port !== undefined && !(Number.isInteger(o.port) && o.port > 0 && o.port < 65536)) throw bad(`port must be an integer in 1..65535, got ${String(o.port)}`);
    if (o.db !== undefined && !(Number.isInteger(o.db) && o.db >= 0)) throw bad(`db must be a non-negative integer, got ${String(o.db)}`);
    const start = o.start ?? 'earliest';
    if (typeof start === 'object' && start !== null) {
      for (const [k, id] of Object.entries(start)) {
        if (!o.streams.includes(k)) throw bad(`start names '${k}', which is not one of the streams`);
        if (typeof id !== 'string' || !(id === '$' || /^\d+(-\d+)?$/.test(id))) throw bad(`start['${k}'] must be an entry id (<ms>-<seq>), '0' or '$', got ${String(id)}`);
      }
    } else if (start !== 'earliest' && start !== 'latest') throw bad(`start must be 'earliest', 'latest' or a record of entry ids, got ${String(start)}`);
    const positive = (name: string, v: number | undefined, dflt: number) => {
      if (v !== undefined && !(Number.isSafeInteger(v) && v > 0)) throw bad(`${name} must be a positive integer, got ${String(v)}`);
      return v ?? dflt;
    };
    if (o.parse !== undefined && typeof o.parse !== 'function') throw bad('parse must be a function (fields, id, stream) => record');
    const connection = {
      ...(o.url !== undefined ? { url: o.url } : {}),
      ...(o.host !== undefined ? { host: o.host } : {}),
      ...(o.port !== undefined ? { port: o.port } : {}),
      ...(o.username !== undefined ? { username: o.username } : {}),
      ...(o.password !== undefined ? { password: o.password } : {}),
      ...(o.db !== undefined ? { db: o.db } : {}),
      ...(o.connectTimeoutMs !== undefined ? { connectTimeoutMs: positive('connectTimeoutMs', o.connectTimeoutMs, 5000) } : {}),
    };
    return this.addSource<T>({
      type: 'redis-streams', connection, streams: [...o.streams], start: typeof start === 'object' ? { ...start } : start,
      bounded: o.bounded === true, batchSize: positive('batchSize', o.batchSize, 1000), blockMs: positive('blockMs', o.blockMs, 100),
      parse: o.parse as ((fields: Record<string, string>, id: string, stream: string) => unknown) | undefined,
    }, `RedisStreams(${o.streams.join(',')})`);
  }

  private addSource<T>(source: SourceSpec, name: string): SingleOutputStream<T> {
    const node = this.graph.addNode({ kind: 'source', source }, [], name);
    if (!isParallelSource(source)) node.parallelism = 1;
    return new SingleOutputStream<T>(this.graph, node);
  }
}
