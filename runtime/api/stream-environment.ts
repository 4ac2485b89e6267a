/**
 * The environment a job's build function receives: sources and defaults.
 * (Flink's StreamExecutionEnvironment, minus `execute()`: a Weir job is
 * executed through its `JobDefinition`, because the build function also runs
 * in every worker to rebuild the user's closures there.)
 */
import { StreamGraph } from '../graph/stream-graph.ts';
import type { SourceSpec } from '../graph/source-spec.ts';
import { redisStreamsSource } from '../connectors/redis-streams-source.ts';
import { generatorSource, sequenceSource } from '../connectors/numeric-sources.ts';
import { textFileSource } from '../connectors/text-file-source.ts';
import type { RedisStreamEntry, RedisStreamsOptions } from '../connectors/redis-streams-options.ts';
import { isParallelSource } from '../graph/source-spec.ts';
import { SingleOutputStream, SourceWithWatermarks } from './data-stream.ts';
import { invalidArgument } from '../errors.ts';
import type { Source, SourceSplit } from './source-api.ts';
import type { WatermarkStrategy } from './functions.ts';
import { preview } from '../../common/weir-error.ts';

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
  fromSequence(from: number, to: number, ...extra: never[]): SingleOutputStream<number> {
    noStrategyArgument('fromSequence', extra);
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to)) throw invalidArgument(`fromSequence: bounds must be safe integers, got ${from}..${to}`);
    if (to < from) throw invalidArgument(`fromSequence: 'to' (${to}) is before 'from' (${from})`);
    return this.fromSource(sequenceSource(from, to), undefined, 'Sequence');
  }

  /** The given items in order (a non-parallel source). The array is rebuilt in every worker by the job module. */
  fromArray<T>(items: readonly T[], ...extra: never[]): SingleOutputStream<T> {
    noStrategyArgument('fromArray', extra);
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
   * source's subtasks, optionally limited to `ratePerSecond` records/s in total: each of the
   * job's first parallelism's splits paces at `ratePerSecond / parallelism` (Flink's
   * DataGeneratorSource does the same), so a job restored at another parallelism keeps that
   * per-split pace (in total `ratePerSecond × old parallelism ÷ new`, at most the splits' sum).
   */
  fromGenerator<T>(fn: (index: number) => T, options: { count?: number; ratePerSecond?: number } = {}): SingleOutputStream<T> {
    if (typeof fn !== 'function') throw invalidArgument('fromGenerator: expected a function (index) => record');
    if (options.count !== undefined && (!Number.isSafeInteger(options.count) || options.count < 0)) {
      throw invalidArgument(`fromGenerator: count must be a non-negative integer, got ${options.count}`);
    }
    if (options.ratePerSecond !== undefined && !(options.ratePerSecond > 0)) {
      throw invalidArgument(`fromGenerator: ratePerSecond must be > 0, got ${options.ratePerSecond}`);
    }
    return this.fromSource(generatorSource(fn, options.count, options.ratePerSecond), undefined, 'Generator');
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
    if (!watermarkStrategy) return stream;
    // One operator to the user, as Flink's fromSource: uid() and setParallelism() reach the source.
    return new SourceWithWatermarks<T>(this.graph, stream.assignTimestampsAndWatermarks(watermarkStrategy).nodeRef, stream.nodeRef);
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
    if (!Number.isInteger(max) || max < 1) throw invalidArgument(`fromPushSource('${name}'): maxBufferedRecords must be an integer >= 1, got ${preview(max)}`);
    return this.addSource<T>({ type: 'push', name, maxBufferedRecords: max }, `Push(${name})`);
  }

  /**
   * Lines of a text file, or parsed JSON Lines with `format: 'jsonl'`. Read in parallel: a file of
   * at least 2 × `minSplitBytes` (default 1 MiB) is cut into byte ranges, one per subtask; lines
   * keep file order within a range, ranges are read side by side — `.setParallelism(1)` on the
   * source for file order. Resumes from the next line of each range after a restore.
   */
  readTextFile(path: string, options?: { format?: 'lines'; minSplitBytes?: number }): SingleOutputStream<string>;
  readTextFile<T = unknown>(path: string, options: { format: 'jsonl'; minSplitBytes?: number }): SingleOutputStream<T>;
  readTextFile(path: string, options: { format?: 'lines' | 'jsonl'; minSplitBytes?: number } = {}): SingleOutputStream<any> {
    if (typeof path !== 'string' || path.length === 0) throw invalidArgument('readTextFile: path must be a non-empty string');
    const format = options.format ?? 'lines';
    if (format !== 'lines' && format !== 'jsonl') throw invalidArgument(`readTextFile: format must be 'lines' or 'jsonl', got '${String(format)}'`);
    const minSplitBytes = options.minSplitBytes ?? 1024 * 1024;
    if (!Number.isSafeInteger(minSplitBytes) || minSplitBytes < 1) throw invalidArgument(`readTextFile: minSplitBytes must be a positive integer, got ${preview(minSplitBytes)}`);
    return this.fromSource(textFileSource(path, { format, minSplitBytes }), undefined, `File(${path})`);
  }

  /**
   * Entries of Redis streams read with plain XREAD (no consumer group): each stream is a split,
   * dealt round-robin to the source's subtasks; the last emitted entry id of each stream is kept
   * in checkpoints, so with an exactly-once sink every entry arrives once across failovers and
   * rescaling. `bounded: true` reads up to the last entry present when the source first opens,
   * then finishes. Event time: `redisEntryTime(record.id)`. See docs/connectors.md.
   */
  fromRedisStreams<T = RedisStreamEntry>(options: RedisStreamsOptions<T>): SingleOutputStream<T> {
    const source = redisStreamsSource(options);
    return this.fromSource(source, undefined, `RedisStreams(${options.streams.join(',')})`);
  }

  private addSource<T>(source: SourceSpec, name: string): SingleOutputStream<T> {
    const node = this.graph.addNode({ kind: 'source', source }, [], name);
    if (!isParallelSource(source)) node.parallelism = 1;
    return new SingleOutputStream<T>(this.graph, node);
  }
}

/**
 * A source that takes no watermark strategy, given one (JavaScript callers: a second argument
 * was silently ignored, and every event-time window then failed at run time for want of timestamps).
 */
function noStrategyArgument(source: string, extra: readonly unknown[]): void {
  if (extra.length > 0) throw invalidArgument(`${source}: unexpected argument ${preview(extra[0])}; for event time call .assignTimestampsAndWatermarks(strategy) on the stream (fromSource takes a strategy as its second argument)`);
}
