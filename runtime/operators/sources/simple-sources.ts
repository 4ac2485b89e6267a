/** Sequence, array, iterable and generator sources. All are replayable from their offset. */
import type { SourceBatch, SourceReader, SourceReaderContext } from './source-reader.ts';
import { WeirError } from '../../../common/weir-error.ts';
import { RuntimeErrorCode } from '../../errors.ts';

const DONE: SourceBatch = { records: [], done: true };

function sourceFailed(ctx: SourceReaderContext, what: string, cause: unknown): WeirError {
  const msg = cause instanceof Error ? cause.message : String(cause);
  return new WeirError(RuntimeErrorCode.SOURCE_FAILED, `source '${ctx.operatorName}' (subtask ${ctx.subtask + 1}/${ctx.parallelism}) failed ${what}: ${msg}`, { operator: ctx.operatorName, subtask: ctx.subtask }, { cause });
}

/**
 * A split of a numeric source: the values next, next + step, … up to `end` (inclusive;
 * Infinity = unbounded). Parallel sources checkpoint their remaining splits, so a
 * restore at another parallelism can hand them to other subtasks.
 */
export interface NumericSplit {
  next: number;
  end: number;
  step: number;
}

/** The state a parallel source stores in a checkpoint (numeric splits here; other split shapes, e.g. the Redis Streams source's, redistribute the same way). */
export interface SplitState<S extends object = NumericSplit> {
  splits: S[];
}

export function isSplitState(v: unknown): v is SplitState {
  return typeof v === 'object' && v !== null && Array.isArray((v as SplitState).splits);
}

/** Assign the remaining splits of every old subtask to `parallelism` new subtasks (round-robin). */
export function redistributeSplits<S extends object = NumericSplit>(old: readonly SplitState<S>[], parallelism: number): SplitState<S>[] {
  const out: SplitState<S>[] = Array.from({ length: parallelism }, () => ({ splits: [] }));
  let i = 0;
  for (const s of old) for (const split of s.splits) out[i++ % parallelism]!.splits.push({ ...split });
  return out;
}

/** Reads its splits one after the other; `produce(value)` makes the record. */
abstract class SplitReader {
  protected splits: NumericSplit[];
  constructor(initial: NumericSplit[], restored: unknown) {
    this.splits = restored !== undefined && isSplitState(restored) ? restored.splits.map((x) => ({ ...x })) : initial;
    this.splits = this.splits.filter((x) => x.next <= x.end);
  }
  protected take(n: number, produce: (v: number) => unknown, out: unknown[]): void {
    while (n > 0 && this.splits.length > 0) {
      const sp = this.splits[0]!;
      while (n > 0 && sp.next <= sp.end) {
        out.push(produce(sp.next));
        sp.next += sp.step;
        n--;
      }
      if (sp.next > sp.end) this.splits.shift();
    }
  }
  get exhausted(): boolean {
    return this.splits.length === 0;
  }
  offset(): SplitState {
    return { splits: this.splits.map((x) => ({ ...x })) };
  }
}

/** [from, to] split into `parallelism` contiguous ranges. */
export class SequenceSourceReader extends SplitReader implements SourceReader {
  constructor(from: number, to: number, ctx: SourceReaderContext, restored?: unknown) {
    const total = to - from + 1;
    const base = Math.floor(total / ctx.parallelism);
    const extra = total % ctx.parallelism;
    const start = from + ctx.subtask * base + Math.min(ctx.subtask, extra);
    const len = base + (ctx.subtask < extra ? 1 : 0);
    super([{ next: start, end: start + len - 1, step: 1 }], restored);
  }
  read(max: number): SourceBatch {
    if (this.exhausted) return DONE;
    const records: unknown[] = [];
    this.take(max, (v) => v, records);
    return { records, done: this.exhausted };
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
export class GeneratorSourceReader extends SplitReader implements SourceReader {
  private startedAt: number | undefined;
  private emitted = 0;
  private readonly rate: number | undefined;
  constructor(private readonly fn: (i: number) => unknown, count: number | undefined, ratePerSecond: number | undefined, private readonly ctx: SourceReaderContext, restored?: unknown) {
    super([{ next: ctx.subtask, end: count === undefined ? Infinity : count - 1, step: ctx.parallelism }], restored);
    this.rate = ratePerSecond === undefined ? undefined : ratePerSecond / ctx.parallelism;
  }
  read(max: number): SourceBatch | Promise<SourceBatch> {
    if (this.exhausted) return DONE;
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
      this.take(n, this.fn, records);
    } catch (e) {
      throw sourceFailed(this.ctx, `generating record ${this.splits[0]?.next}`, e);
    }
    this.emitted += records.length;
    return { records, done: this.exhausted };
  }
}
