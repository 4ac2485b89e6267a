/**
 * The environment a job's build function receives: sources and defaults.
 * (Flink's StreamExecutionEnvironment, minus `execute()`: a Weir job is
 * executed through its `JobDefinition`, because the build function also runs
 * in every worker to rebuild the user's closures there.)
 */
import { StreamGraph } from '../graph/stream-graph.ts';
import type { SourceSpec } from '../graph/source-spec.ts';
import { isParallelSource } from '../graph/source-spec.ts';
import { SingleOutputStream } from './data-stream.ts';
import { invalidArgument } from '../errors.ts';

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

  /** Lines of a text file, or parsed JSON Lines with `format: 'jsonl'` (non-parallel; resumes from a byte offset). */
  readTextFile(path: string, options?: { format?: 'lines' }): SingleOutputStream<string>;
  readTextFile<T = unknown>(path: string, options: { format: 'jsonl' }): SingleOutputStream<T>;
  readTextFile(path: string, options: { format?: 'lines' | 'jsonl' } = {}): SingleOutputStream<any> {
    if (typeof path !== 'string' || path.length === 0) throw invalidArgument('readTextFile: path must be a non-empty string');
    const format = options.format ?? 'lines';
    if (format !== 'lines' && format !== 'jsonl') throw invalidArgument(`readTextFile: format must be 'lines' or 'jsonl', got '${String(format)}'`);
    return this.addSource({ type: 'file', path, format }, `File(${path})`);
  }

  private addSource<T>(source: SourceSpec, name: string): SingleOutputStream<T> {
    const node = this.graph.addNode({ kind: 'source', source }, [], name);
    if (!isParallelSource(source)) node.parallelism = 1;
    return new SingleOutputStream<T>(this.graph, node);
  }
}
