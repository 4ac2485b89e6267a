/**
 * Declarative descriptions of the sources. A spec is created by the environment's `from…`
 * methods; the source reader that executes it lives in `runtime/operators/sources/`. Sources on
 * the public Source API (`custom`: a user's, and sequence, generator, text file, Redis Streams from
 * runtime/connectors/) are split sources; the others run at parallelism 1.
 */
import type { Source, SourceSplit } from '../api/source-api.ts';

export type SourceSpec =
  /** A fixed array (non-parallel). Replayable by index. */
  | { type: 'array'; items: readonly unknown[] }
  /** Any (async) iterable made by a factory, run in the worker (non-parallel). Replayable only if the factory yields the same items each time. */
  | { type: 'iterable'; factory: () => Iterable<unknown> | AsyncIterable<unknown> }
  /** A source on the public Source API (api/source-api.ts): a user's, or a connector's (runtime/connectors/: sequence, generator, text file, Redis Streams). Splits made on the main thread, read per subtask. Replayable from the splits' positions. */
  | { type: 'custom'; source: Source<unknown, SourceSplit> }
  /** Records an embedding app pushes from the main thread (`client.push(name, record)`; non-parallel). Replayed after a failover from the checkpointed position. */
  | { type: 'push'; name: string; maxBufferedRecords: number };

/** Sources that cannot be split across subtasks run with parallelism 1. */
export function isParallelSource(spec: SourceSpec): boolean {
  return spec.type === 'custom';
}

export function isBoundedSource(spec: SourceSpec): boolean {
  if (spec.type === 'custom') return spec.source.boundedness === 'bounded';
  return true;
}
