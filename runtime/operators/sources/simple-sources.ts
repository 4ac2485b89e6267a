/** Sequence, array, iterable and generator sources. All are replayable from their offset. */
import type { SourceBatch, SourceReader, SourceReaderContext } from './source-reader.ts';
import { WeirError } from '../../../common/weir-error.ts';
import { RuntimeErrorCode } from '../../errors.ts';

const DONE: SourceBatch = { records: [], done: true };

function sourceFailed(ctx: SourceReaderContext, what: string, cause: unknown): WeirError {
  const msg = cause instanceof Error ? cause.message : String(cause);
  return new WeirError(RuntimeErrorCode.SOURCE_FAILED, `source '${ctx.operatorName}' (subtask ${ctx.subtask + 1}/${ctx.parallelism}) failed ${what}: ${msg}`, { operator: ctx.operatorName, subtask: ctx.subtask }, { cause });
}

/** [from, to] split into `parallelism` contiguous ranges; offset = next value. */
export class SequenceSourceReader implements SourceReader {
  private next: number;
  private readonly end: number; // inclusive
  constructor(from: number, to: number, ctx: SourceReaderContext, restored?: unknown) {
    const total = to - from + 1;
    const base = Math.floor(total / ctx.parallelism);
    const extra = total % ctx.parallelism;
    const start = from + ctx.subtask * base + Math.min(ctx.subtask, extra);
    const len = base + (ctx.subtask < extra ? 1 : 0);
    this.end = start + len - 1;
    this.next = typeof restored === 'number' ? restored : start;
  }
  read(max: number): SourceBatch {
    if (this.next > this.end) return DONE;
    const n = Math.min(max, this.end - this.next + 1);
    const records = new Array<unknown>(n);
    for (let i = 0; i < n; i++) records[i] = this.next + i;
    this.next += n;
    return { records, done: this.next > this.end };
  }
  offset(): number {
    return this.next;
  }
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
  offset(): number {
    return this.consumed;
  }
  async close(): Promise<void> {
    const it = this.iterator;
    this.iterator = undefined;
    this.pendingNext = undefined;
    if (it && typeof it.return === 'function' && !this.finished) await it.return();
  }
}

/**
 * fn(index) for the indices of this subtask: subtask, subtask + p, subtask + 2p, …
 * below `count` (unbounded without). Rate limit: `ratePerSecond / p` per subtask,
 * paced from the reader's first read (a token bucket without burst credit).
 */
export class GeneratorSourceReader implements SourceReader {
  private next: number;
  private startedAt: number | undefined;
  private emitted = 0;
  private readonly step: number;
  private readonly rate: number | undefined;
  constructor(private readonly fn: (i: number) => unknown, private readonly count: number | undefined, ratePerSecond: number | undefined, private readonly ctx: SourceReaderContext, restored?: unknown) {
    this.step = ctx.parallelism;
    this.next = typeof restored === 'number' ? restored : ctx.subtask;
    this.rate = ratePerSecond === undefined ? undefined : ratePerSecond / ctx.parallelism;
  }
  read(max: number): SourceBatch | Promise<SourceBatch> {
    if (this.count !== undefined && this.next >= this.count) return DONE;
    let n = max;
    if (this.rate !== undefined) {
      const now = this.ctx.now();
      this.startedAt ??= now;
      const allowed = Math.floor(((now - this.startedAt) / 1000) * this.rate) + 1 - this.emitted;
      if (allowed <= 0) {
        const waitMs = Math.max(1, ((this.emitted / this.rate) * 1000) - (now - this.startedAt));
        return this.ctx.sleep(Math.min(waitMs, 50)).then(() => ({ records: [], done: false }));
      }
      n = Math.min(n, allowed);
    }
    const records: unknown[] = [];
    try {
      for (let i = 0; i < n; i++) {
        if (this.count !== undefined && this.next >= this.count) break;
        records.push(this.fn(this.next));
        this.next += this.step;
      }
    } catch (e) {
      throw sourceFailed(this.ctx, `generating record ${this.next}`, e);
    }
    this.emitted += records.length;
    return { records, done: this.count !== undefined && this.next >= this.count };
  }
  offset(): number {
    return this.next;
  }
}
