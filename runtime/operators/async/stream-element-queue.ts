/**
 * The queue of an async operator (Flink's `OrderedStreamElementQueue` and
 * `UnorderedStreamElementQueue`): records waiting for their results and the watermarks between
 * them, and the rule for what may be emitted. Pure: no I/O, no timers.
 *
 * - Ordered: only the head may be emitted, once it is complete (a watermark is always complete).
 * - Unordered: completed records of the first segment (the records before the first watermark
 *   still queued) may be emitted in any order; a watermark is emitted once everything before it
 *   was; records after it wait for it. So event time never goes backwards across results.
 */

/** One record's request. `results` is set when the request completed. */
export interface RecordEntry {
  readonly kind: 'record';
  readonly value: unknown;
  readonly timestamp: number | undefined;
  results: unknown[] | undefined;
}

export interface WatermarkEntry {
  readonly kind: 'watermark';
  readonly timestamp: number;
}

export type QueueEntry = RecordEntry | WatermarkEntry;

export class StreamElementQueue {
  /** Segments: records, then one watermark that closes the segment (the last segment has none yet). */
  private readonly entries: QueueEntry[] = [];
  private recordCount = 0;

  constructor(private readonly ordered: boolean) {}

  /** Records queued (in flight or completed, not emitted): what capacity counts. */
  get records(): number {
    return this.recordCount;
  }

  get isEmpty(): boolean {
    return this.entries.length === 0;
  }

  addRecord(value: unknown, timestamp: number | undefined): RecordEntry {
    const e: RecordEntry = { kind: 'record', value, timestamp, results: undefined };
    this.entries.push(e);
    this.recordCount++;
    return e;
  }

  addWatermark(timestamp: number): void {
    this.entries.push({ kind: 'watermark', timestamp });
  }

  /** Removes and returns what may be emitted now, in emission order. */
  takeEmittable(): QueueEntry[] {
    const out: QueueEntry[] = [];
    if (this.ordered) {
      while (this.entries.length > 0 && isComplete(this.entries[0]!)) out.push(this.take(0));
      return out;
    }
    for (;;) {
      // The first segment: completed records in it go out; its watermark once it holds no record.
      let i = 0;
      let pendingInSegment = false;
      while (i < this.entries.length && this.entries[i]!.kind === 'record') {
        if (isComplete(this.entries[i]!)) out.push(this.take(i));
        else {
          pendingInSegment = true;
          i++;
        }
      }
      if (pendingInSegment || i >= this.entries.length) return out;
      out.push(this.take(i)); // the watermark closing a fully emitted segment
    }
  }

  /** Every queued element in queue order (what a checkpoint stores). */
  snapshot(): readonly QueueEntry[] {
    return this.entries;
  }

  private take(i: number): QueueEntry {
    const [e] = this.entries.splice(i, 1);
    if (e!.kind === 'record') this.recordCount--;
    return e!;
  }
}

function isComplete(e: QueueEntry): boolean {
  return e.kind === 'watermark' || e.results !== undefined;
}
