/**
 * The contract of a source inside a source subtask, and the factory that turns
 * a `SourceSpec` into a reader for subtask i of p.
 *
 * Call order: create (with the restored offset, if any) → read()* until
 * `done` → close. `offset()` may be called between reads; it is what a
 * checkpoint stores (in operator state) so the reader resumes exactly there.
 */
import type { SourceSpec } from '../../graph/source-spec.ts';
import type { TaskInfo } from '../../api/functions.ts';
import { createCustomSourceReader } from './custom-source.ts';
import { PushSourceReader, type PushChannelArgs } from './push-source.ts';
import { ArraySourceReader, IterableSourceReader } from './simple-sources.ts';

export interface SourceBatch {
  readonly records: unknown[];
  /** No more records will ever come from this reader. */
  readonly done: boolean;
}

export interface SourceReader {
  /** Up to `max` records; synchronous when they are ready, a Promise when the reader must wait. */
  read(max: number): SourceBatch | Promise<SourceBatch>;
  /** Position to resume from after a restore (JSON-serializable). */
  offset(): unknown;
  close?(): void | Promise<void>;
}

export interface SourceReaderContext {
  /** Where the reader runs, as every operator learns it (name, uid, subtask of parallelism, max parallelism, attempt). */
  readonly taskInfo: TaskInfo;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

/** What a source subtask gets from the main thread besides its spec: a user source's splits, a push source's channel. */
export interface SourceWiring {
  readonly initialSplits?: readonly object[];
  readonly push?: PushChannelArgs;
}

export function createSourceReader(spec: SourceSpec, ctx: SourceReaderContext, restoredOffset?: unknown, wiring: SourceWiring = {}): SourceReader {
  switch (spec.type) {
    case 'array': return new ArraySourceReader(spec.items, restoredOffset);
    case 'iterable': return new IterableSourceReader(spec.factory, ctx, restoredOffset);
    case 'custom': return createCustomSourceReader(spec.source, ctx, restoredOffset, wiring.initialSplits);
    case 'push':
      if (!wiring.push) throw new Error(`internal: push source '${spec.name}' deployed without its channel`);
      return new PushSourceReader(wiring.push, restoredOffset);
  }
}
