/**
 * The Nexmark generator as a Weir source, written with the public Source API (docs/sources.md)
 * as a user would. One split per parallel generator instance (the reference's
 * `NexmarkSource.getSplits(parallelism)`): split i of p generates the event numbers
 * i, i + p, i + 2p, … below `events`, and its position is the next event number, stored in every
 * checkpoint. Since event n is a pure function of n (generator.ts), a restored split — at any
 * parallelism: splits are dealt round-robin — replays exactly the events the checkpoint had not
 * covered.
 *
 * A reader holding several splits (after a rescale to fewer subtasks) interleaves them by event
 * number, so each subtask's output stays in event-time order and the bounded out-of-orderness
 * watermark after the source (`nexmarkWatermarks`, 4 s as the reference's DDL) never makes an
 * event late.
 */
import type { Source, SourcePoll, SourceSplitReader, WatermarkStrategy } from '../../index.ts';
import { EventRandom } from './event-random.ts';
import { eventAt, resolveConfig, type NexmarkConfig, type ResolvedNexmarkConfig } from './generator.ts';
import type { NexmarkEvent } from './model.ts';

/** A stride of the event sequence: `next`, `next + step`, … while below `end`. */
export interface NexmarkSplit {
  readonly step: number;
  readonly end: number;
  /** The next event number to generate: the split's position. */
  next: number;
}

/** The splits of `events` events over `parallelism` generators. */
export function nexmarkSplits(events: number, parallelism: number): NexmarkSplit[] {
  return Array.from({ length: parallelism }, (_, i) => ({ step: parallelism, end: events, next: i }));
}

/** The Nexmark generator source (bounded by `config.events`). */
export function nexmarkSource(config: NexmarkConfig): Source<NexmarkEvent, NexmarkSplit> {
  const resolved = resolveConfig(config);
  return {
    boundedness: 'bounded',
    createSplits: ({ parallelism }) => nexmarkSplits(resolved.events, parallelism),
    createReader: () => new NexmarkReader(resolved),
  };
}

/** The reference's `WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND`. */
export const nexmarkWatermarks: WatermarkStrategy<NexmarkEvent> = { timestamp: (e) => e.dateTime, maxOutOfOrdernessMs: 4000 };

class NexmarkReader implements SourceSplitReader<NexmarkEvent, NexmarkSplit> {
  private splits: NexmarkSplit[] = [];
  private readonly random = new EventRandom();

  constructor(private readonly config: ResolvedNexmarkConfig) {}

  addSplits(splits: NexmarkSplit[]): void {
    this.splits.push(...splits.map((s) => ({ ...s })));
    this.splits = this.splits.filter((s) => s.next < s.end);
  }

  poll(max: number): SourcePoll<NexmarkEvent> {
    const records: NexmarkEvent[] = [];
    if (this.splits.length === 1) {
      // The common case: one stride.
      const s = this.splits[0]!;
      while (records.length < max && s.next < s.end) {
        records.push(eventAt(this.config, s.next, this.random));
        s.next += s.step;
      }
    } else {
      while (records.length < max && this.splits.length > 0) {
        let s = this.splits[0]!;
        for (const t of this.splits) if (t.next < s.next) s = t;
        records.push(eventAt(this.config, s.next, this.random));
        s.next += s.step;
        if (s.next >= s.end) this.splits = this.splits.filter((t) => t !== s);
      }
    }
    this.splits = this.splits.filter((s) => s.next < s.end);
    return { records, done: this.splits.length === 0 };
  }

  snapshotSplits(): NexmarkSplit[] {
    return this.splits.map((s) => ({ ...s }));
  }
}
