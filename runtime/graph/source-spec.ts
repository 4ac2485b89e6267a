/**
 * Declarative descriptions of the built-in sources. A spec is created by the
 * environment's `from…` methods; the source reader that executes it lives in
 * `runtime/operators/sources/`.
 */
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
  | { type: 'file'; path: string; format: 'lines' | 'jsonl' };

/** Sources that cannot be split across subtasks run with parallelism 1. */
export function isParallelSource(spec: SourceSpec): boolean {
  return spec.type === 'sequence' || spec.type === 'generator';
}

export function isBoundedSource(spec: SourceSpec): boolean {
  return spec.type !== 'generator' || spec.count !== undefined;
}
