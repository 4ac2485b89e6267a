/**
 * A user's source (the public Source API, runtime/api/source-api.ts) as the source task's
 * internal reader: its split reader gets the subtask's splits — the checkpointed ones after a
 * restore, else those the main thread made and assigned (job/source-splits.ts) — before the first
 * poll; every record batch comes from `poll`; the checkpointed offset is `{ splits }` (a
 * SplitState, so the restore planner deals the splits round-robin when the parallelism changes).
 */
import type { Source, SourceSplit, SourceSplitReader } from '../../api/source-api.ts';
import type { TaskInfo } from '../../api/functions.ts';
import type { SourceBatch, SourceReader, SourceReaderContext } from './source-reader.ts';
import { isSplitState } from './simple-sources.ts';
import { WeirError } from '../../../common/weir-error.ts';
import { toExactJson } from '../../../common/codec/exact-json.ts';
import { RuntimeErrorCode } from '../../errors.ts';

export function createCustomSourceReader(source: Source<unknown, SourceSplit>, ctx: SourceReaderContext, restoredOffset: unknown, initialSplits: readonly SourceSplit[] | undefined): SourceReader {
  const splits = restoredOffset !== undefined && isSplitState(restoredOffset) ? restoredOffset.splits as SourceSplit[] : [...(initialSplits ?? [])];
  return new CustomSourceReader(source, ctx, splits);
}

class CustomSourceReader implements SourceReader {
  private readonly reader: SourceSplitReader<unknown, SourceSplit>;
  private opened: Promise<void> | undefined;
  private isOpen = false;

  constructor(source: Source<unknown, SourceSplit>, private readonly ctx: SourceReaderContext, private readonly splits: SourceSplit[]) {
    const taskInfo: TaskInfo = { ...ctx.taskInfo };
    try {
      this.reader = source.createReader({ taskInfo, now: ctx.now, sleep: ctx.sleep });
    } catch (e) {
      throw this.failed('createReader', e);
    }
    if (!this.reader || typeof this.reader.poll !== 'function' || typeof this.reader.addSplits !== 'function' || typeof this.reader.snapshotSplits !== 'function') {
      throw this.failed('createReader', new Error('it must return an object with addSplits(splits), poll(max) and snapshotSplits() methods'));
    }
  }

  read(max: number): SourceBatch | Promise<SourceBatch> {
    if (!this.isOpen) return (this.opened ??= this.open()).then(() => this.read(max));
    let polled;
    try {
      polled = this.reader.poll(max);
    } catch (e) {
      throw this.failed('poll', e);
    }
    if (polled instanceof Promise) return polled.then((p) => this.batch(p), (e) => { throw this.failed('poll', e); });
    return this.batch(polled);
  }

  offset(): unknown {
    if (!this.isOpen) return { splits: this.splits }; // a checkpoint before the first poll: the splits as assigned
    let splits: SourceSplit[];
    try {
      splits = this.reader.snapshotSplits();
    } catch (e) {
      throw this.failed('snapshotSplits', e);
    }
    if (!Array.isArray(splits) || splits.some((s) => s === null || typeof s !== 'object')) {
      throw this.failed('snapshotSplits', new Error('it must return an array of split objects'));
    }
    // Checked here, not when the checkpoint is written: a split a checkpoint would store wrongly
    // (a RegExp or class instance comes back as a plain object) or not at all (a function) fails
    // the source with its own code, whether the checkpoint or an asynchronous poll asked.
    splits.forEach((s, i) => {
      try {
        toExactJson(s, `split ${i}`, { strict: true });
      } catch (e) {
        throw this.failed('snapshotSplits', new Error((e as Error).message, { cause: e })); // a contract breach of the source, not a WEIR_NOT_SERIALIZABLE of its own
      }
    });
    return { splits };
  }

  async close(): Promise<void> {
    try {
      await this.reader.close?.();
    } catch (e) {
      throw this.failed('close', e);
    }
  }

  private async open(): Promise<void> {
    try {
      await this.reader.addSplits(this.splits.map((s) => structuredClone(s)));
    } catch (e) {
      throw this.failed('addSplits', e);
    }
    this.isOpen = true;
  }

  private batch(p: { records: readonly unknown[]; done: boolean } | undefined): SourceBatch {
    if (!p || !Array.isArray(p.records) || typeof p.done !== 'boolean') throw this.failed('poll', new Error('it must return { records: [...], done: boolean } (or a Promise of it)'));
    return { records: p.records as unknown[], done: p.done };
  }

  private failed(what: string, cause: unknown): WeirError {
    if (cause instanceof WeirError) return cause;
    const msg = cause instanceof Error ? cause.message : String(cause);
    const { operatorName, subtask, parallelism } = this.ctx.taskInfo;
    return new WeirError(RuntimeErrorCode.SOURCE_FAILED, `source '${operatorName}' (subtask ${subtask + 1}/${parallelism}) failed in ${what}: ${msg}`, { operator: operatorName, subtask, call: what }, { cause });
  }
}
