/**
 * `env.fromSequence` and `env.fromGenerator`, written on the public Source API
 * (api/source-api.ts) as a user's source would be. Their splits are arithmetic progressions of
 * indices — `next, next + step, … ≤ end` (end Infinity: unbounded) — and a split's position is
 * its `next`, so a restore, at any parallelism, resumes every split exactly where it stopped.
 *
 *   sequence [from, to]   one contiguous range per subtask (step 1)
 *   generator fn(i)       subtask s of p reads i = s, s + p, s + 2p, … below `count`; with
 *                         `ratePerSecond`, each subtask emits at rate / p, paced from its first
 *                         poll (a token bucket without burst credit)
 *
 * A subtask holding several splits (after a restore at a lower parallelism) reads a generator's in
 * index order — the order one subtask would have read them in from the start, so a watermark
 * assigned after the source sees no more disorder than the generator's own — and a sequence's one
 * range after the other (no order of its far-apart ranges would help such a watermark).
 */
import type { Source, SourcePoll, SourceSplitReader, SplitReaderContext } from '../api/source-api.ts';
import { WeirError } from '../../common/weir-error.ts';
import { RuntimeErrorCode } from '../errors.ts';

/** A split of a numeric source: the indices next, next + step, … up to `end` (inclusive; Infinity = unbounded). */
export interface NumericSplit {
  next: number;
  end: number;
  step: number;
}

const DONE: SourcePoll<never> = { records: [], done: true };

/** Integers [from, to], one contiguous range per subtask. */
export function sequenceSource(from: number, to: number): Source<number, NumericSplit> {
  return {
    boundedness: 'bounded',
    createSplits({ parallelism }) {
      const total = to - from + 1;
      const base = Math.floor(total / parallelism);
      const extra = total % parallelism;
      return Array.from({ length: parallelism }, (_, s) => {
        const start = from + s * base + Math.min(s, extra);
        const len = base + (s < extra ? 1 : 0);
        return { next: start, end: start + len - 1, step: 1 };
      });
    },
    createReader: (ctx) => new NumericSplitReader<number>(ctx, (i) => i, undefined, 'one-after-another'),
  };
}

/** `fn(i)` for i in [0, count) (unbounded without `count`), spread over the subtasks, optionally rate-limited. */
export function generatorSource<T>(fn: (index: number) => T, count: number | undefined, ratePerSecond: number | undefined): Source<T, NumericSplit> {
  return {
    boundedness: count === undefined ? 'unbounded' : 'bounded',
    createSplits: ({ parallelism }) => Array.from({ length: parallelism }, (_, s) => ({ next: s, end: count === undefined ? Infinity : count - 1, step: parallelism })),
    createReader: (ctx) => new NumericSplitReader<T>(ctx, fn, ratePerSecond === undefined ? undefined : ratePerSecond / ctx.taskInfo.parallelism, 'index-order'),
  };
}

/** How a reader holding several splits orders them: by index across splits, or split by split. */
type SplitOrder = 'index-order' | 'one-after-another';

/** Reads its splits in `order`; `produce(i)` makes the record of index i. */
class NumericSplitReader<T> implements SourceSplitReader<T, NumericSplit> {
  private splits: NumericSplit[] = [];
  private startedAt: number | undefined;
  private emitted = 0;

  constructor(private readonly ctx: SplitReaderContext, private readonly produce: (i: number) => T, private readonly rate: number | undefined, private readonly order: SplitOrder) {}

  addSplits(splits: NumericSplit[]): void {
    for (const s of splits) if (s.next <= s.end) this.splits.push({ next: s.next, end: s.end, step: s.step });
  }

  poll(max: number): SourcePoll<T> | Promise<SourcePoll<T>> {
    if (this.splits.length === 0) return DONE;
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
    const records: T[] = [];
    if (this.order === 'index-order' && this.splits.length > 1) {
      while (n > 0 && this.splits.length > 0) {
        let sp = this.splits[0]!;
        for (const t of this.splits) if (t.next < sp.next) sp = t;
        records.push(this.make(sp.next));
        sp.next += sp.step;
        n--;
        if (sp.next > sp.end) this.splits = this.splits.filter((t) => t !== sp);
      }
    }
    while (n > 0 && this.splits.length > 0) {
      const sp = this.splits[0]!;
      while (n > 0 && sp.next <= sp.end) {
        records.push(this.make(sp.next));
        sp.next += sp.step;
        n--;
      }
      if (sp.next > sp.end) this.splits.shift();
    }
    this.emitted += records.length;
    return { records, done: this.splits.length === 0 };
  }

  private make(i: number): T {
    try {
      return this.produce(i);
    } catch (e) {
      const info = this.ctx.taskInfo;
      throw new WeirError(RuntimeErrorCode.SOURCE_FAILED,
        `source '${info.operatorName}' (subtask ${info.subtask + 1}/${info.parallelism}) failed generating record ${i}: ${e instanceof Error ? e.message : String(e)}`,
        { operator: info.operatorName, subtask: info.subtask }, { cause: e });
    }
  }

  snapshotSplits(): NumericSplit[] {
    return this.splits.map((s) => ({ ...s }));
  }
}
