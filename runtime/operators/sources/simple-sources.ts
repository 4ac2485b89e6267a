/**
 * Array and iterable sources (non-parallel; replayable from their offset), and the split state
 * every split source checkpoints. Sequence and generator are Sources on the public API
 * (connectors/numeric-sources.ts).
 */
import type { SourceBatch, SourceReader, SourceReaderContext } from './source-reader.ts';
import { WeirError } from '../../../common/weir-error.ts';
import { RuntimeErrorCode } from '../../errors.ts';

const DONE: SourceBatch = { records: [], done: true };

function sourceFailed(ctx: SourceReaderContext, what: string, cause: unknown): WeirError {
  const msg = cause instanceof Error ? cause.message : String(cause);
  const { operatorName, subtask, parallelism } = ctx.taskInfo;
  return new WeirError(RuntimeErrorCode.SOURCE_FAILED, `source '${operatorName}' (subtask ${subtask + 1}/${parallelism}) failed ${what}: ${msg}`, { operator: operatorName, subtask }, { cause });
}

/** The state a split source (the public Source API's) stores in a checkpoint: its unfinished splits. */
export interface SplitState<S extends object = object> {
  splits: S[];
}

export function isSplitState(v: unknown): v is SplitState {
  return typeof v === 'object' && v !== null && Array.isArray((v as SplitState).splits);
}

/** Assign the remaining splits of every old subtask to `parallelism` new subtasks (round-robin). */
export function redistributeSplits<S extends object = object>(old: readonly SplitState<S>[], parallelism: number): SplitState<S>[] {
  const out: SplitState<S>[] = Array.from({ length: parallelism }, () => ({ splits: [] }));
  let i = 0;
  for (const s of old) for (const split of s.splits) out[i++ % parallelism]!.splits.push({ ...split });
  return out;
}

export class ArraySourceReader implements SourceReader {
  private index: number;
  constructor(private readonly items: readonly unknown[], restored?: unknown) {
    this.index = typeof restored === 'number' ? restored : 0;
  }
  read(max: number): SourceBatch {
    const records = this.items.slice(this.index, this.index + max);
    this.index += records.length;
    return { records, done: this.index >= this.items.length };
  }
  offset(): number {
    return this.index;
  }
}

/** Offset = items consumed; on restore the first `offset` items are skipped. */
export class IterableSourceReader implements SourceReader {
  private consumed = 0;
  private skip: number;
  private iterator: Iterator<unknown> | AsyncIterator<unknown> | undefined;
  private isAsync = false;
  private finished = false;
  private pendingNext: Promise<IteratorResult<unknown>> | undefined;
  constructor(private readonly factory: () => Iterable<unknown> | AsyncIterable<unknown>, private readonly ctx: SourceReaderContext, restored?: unknown) {
    this.skip = typeof restored === 'number' ? restored : 0;
  }
  private open(): void {
    let it: Iterable<unknown> | AsyncIterable<unknown>;
    try {
      it = this.factory();
    } catch (e) {
      throw sourceFailed(this.ctx, 'creating its iterable', e);
    }
    if (it && typeof (it as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
      this.iterator = (it as AsyncIterable<unknown>)[Symbol.asyncIterator]();
      this.isAsync = true;
    } else if (it && typeof (it as Iterable<unknown>)[Symbol.iterator] === 'function') {
      this.iterator = (it as Iterable<unknown>)[Symbol.iterator]();
    } else {
      throw sourceFailed(this.ctx, 'creating its iterable', new TypeError('the factory must return an Iterable or AsyncIterable'));
    }
  }
  read(max: number): SourceBatch | Promise<SourceBatch> {
    if (this.finished) return DONE;
    if (!this.iterator) this.open();
    return this.isAsync ? this.readAsync(max) : this.readSync(max);
  }
  private readSync(max: number): SourceBatch {
    const it = this.iterator as Iterator<unknown>;
    const records: unknown[] = [];
    try {
      while (records.length < max) {
        const r = it.next();
        if (r.done) {
          this.finished = true;
          break;
        }
        this.accept(r.value, records);
      }
    } catch (e) {
      throw sourceFailed(this.ctx, 'reading', e);
    }
    return { records, done: this.finished };
  }
  /**
   * Hands out what the iterator has ready: once at least one record is in hand, a
   * `next()` that has not settled by the next macrotask is kept for the following read
   * instead of holding the records back.
   */
  private async readAsync(max: number): Promise<SourceBatch> {
    const it = this.iterator as AsyncIterator<unknown>;
    const records: unknown[] = [];
    try {
      while (records.length < max) {
        const next = this.pendingNext ?? it.next();
        this.pendingNext = undefined;
        let r: IteratorResult<unknown>;
        if (records.length === 0) r = await next;
        else {
          const settled = await Promise.race([next, new Promise<undefined>((res) => setImmediate(res, undefined))]);
          if (settled === undefined) {
            this.pendingNext = next;
            break;
          }
          r = settled;
        }
        if (r.done) {
          this.finished = true;
          break;
        }
        this.accept(r.value, records);
      }
    } catch (e) {
      throw sourceFailed(this.ctx, 'reading', e);
    }
    return { records, done: this.finished };
  }
  private accept(v: unknown, out: unknown[]): void {
    this.consumed++;
    if (this.skip > 0) {
      this.skip--;
      return;
    }
    out.push(v);
  }
  /**
   * Items consumed, counting those still to skip after a restore: until the skipping is done
   * (over many reads of an async iterable, with checkpoints in between) the position is the
   * restored one — `consumed` alone fell back to 0 and a restore of that checkpoint replayed
   * every item again.
   */
  offset(): number {
    return this.consumed + this.skip;
  }
  async close(): Promise<void> {
    const it = this.iterator;
    this.iterator = undefined;
    this.pendingNext = undefined;
    if (it && typeof it.return === 'function' && !this.finished) await it.return();
  }
}
