/**
 * Output side of a subtask for one output edge: partitions records to the
 * edge's channels, batches them per channel, encodes a batch into one frame
 * and publishes it on the channel's ring.
 *
 * User functions are synchronous, so a full ring cannot be awaited in the
 * middle of processing a record. Frames that do not fit are queued per channel
 * (`pending`), and the task awaits `drain()` after the current input frame —
 * the queue holds at most what one input frame produced, so memory stays
 * bounded and backpressure reaches the task's input loop.
 *
 * Ordering: once a channel has pending frames, every later frame (records,
 * watermarks, barriers, end-of-partition) queues behind them.
 */
import { encodeBatch } from '../io/record-codec.ts';
import { encodeElement, type StreamElement } from '../io/stream-elements.ts';
import type { ChannelWriter } from '../../actors/index.ts';
import type { Partitioner } from './partitioners.ts';

/** Frame kind of record batches (see stream-elements). */
import { RECORD_BATCH_KIND } from '../io/stream-elements.ts';

export interface BatchingOptions {
  /** Flush a channel's batch once it holds about this many bytes. */
  targetBatchBytes: number;
  /** …or this many records. */
  maxBatchRecords: number;
}

export const DEFAULT_BATCHING: BatchingOptions = { targetBatchBytes: 32 * 1024, maxBatchRecords: 1024 };

export interface Frame { kind: number; payload: Uint8Array }

class ChannelBatch {
  records: unknown[] = [];
  timestamps: number[] = [];
  hasTimestamps = false;
  /** Running estimate of encoded bytes per record on this channel. */
  bytesPerRecord = 16;
  limit: number;
  constructor(private readonly opts: BatchingOptions) {
    this.limit = opts.maxBatchRecords;
  }
  adapt(encodedBytes: number, count: number): void {
    if (count === 0) return;
    this.bytesPerRecord = Math.max(1, encodedBytes / count);
    this.limit = Math.max(1, Math.min(this.opts.maxBatchRecords, Math.floor(this.opts.targetBatchBytes / this.bytesPerRecord)));
  }
}

export class RecordWriter {
  private readonly batches: ChannelBatch[];
  private readonly pending: Frame[][];
  private pendingCount = 0;
  /** Per channel: the frame handed to ChannelWriter.write() whose promise has not settled … */
  private readonly inFlight: (Frame | undefined)[];
  /** … and the writer's published-frame count when that write started (published iff it grew). */
  private readonly inFlightBase: number[];
  /** Frames ever handed to each channel, in order: the data-lane index the next frame will get. */
  private readonly enqueued: number[];
  /** Records and bytes handed to channels (metrics). */
  recordsOut = 0;
  bytesOut = 0;

  constructor(
    private readonly writers: readonly ChannelWriter[],
    private readonly partitioner: Partitioner,
    opts: BatchingOptions = DEFAULT_BATCHING,
  ) {
    this.batches = writers.map(() => new ChannelBatch(opts));
    this.pending = writers.map(() => []);
    this.inFlight = writers.map(() => undefined);
    this.inFlightBase = writers.map(() => 0);
    this.enqueued = writers.map((w) => w.dataFramesWritten);
  }

  get channelCount(): number {
    return this.writers.length;
  }

  get hasPending(): boolean {
    return this.pendingCount > 0;
  }

  emit(value: unknown, timestamp: number | undefined): void {
    const ch = this.partitioner.select(value);
    const b = this.batches[ch]!;
    b.records.push(value);
    if (timestamp !== undefined) {
      if (!b.hasTimestamps) {
        b.hasTimestamps = true;
        for (let i = 0; i < b.records.length - 1; i++) b.timestamps.push(NaN);
      }
      b.timestamps.push(timestamp);
    } else if (b.hasTimestamps) b.timestamps.push(NaN);
    if (b.records.length >= b.limit) this.flushChannel(ch);
  }

  /** Encode and publish (or queue) the batch of one channel. */
  flushChannel(ch: number): void {
    const b = this.batches[ch]!;
    const n = b.records.length;
    if (n === 0) return;
    const payload = encodeBatch(b.records, b.hasTimestamps ? b.timestamps : null);
    b.adapt(payload.byteLength, n);
    b.records = [];
    b.timestamps = [];
    b.hasTimestamps = false;
    this.recordsOut += n;
    this.bytesOut += payload.byteLength;
    this.put(ch, RECORD_BATCH_KIND, payload);
  }

  flushAll(): void {
    for (let ch = 0; ch < this.batches.length; ch++) this.flushChannel(ch);
  }

  /** Records buffered but not yet encoded, per channel (output state of unaligned checkpoints). */
  bufferedRecords(ch: number): number {
    return this.batches[ch]!.records.length;
  }

  /** Send a frame to channel `ch` after everything emitted to it before (output state replay). */
  sendFrame(ch: number, kind: number, payload: Uint8Array): void {
    this.flushChannel(ch);
    this.put(ch, kind, payload);
  }

  /** Send an element to every channel, after everything emitted before it. */
  broadcast(element: StreamElement): void {
    this.flushAll();
    const { kind, payload } = encodeElement(element);
    for (let ch = 0; ch < this.writers.length; ch++) this.put(ch, kind, payload);
  }

  /** Publish an element on channel `ch`'s priority lane now (overtaking queued data); false if that lane is full. */
  trySendPriority(ch: number, element: StreamElement): boolean {
    const { kind, payload } = encodeElement(element);
    return this.writers[ch]!.tryWritePriority(kind, payload);
  }

  /** Send an element to one channel, after everything emitted to it before. */
  sendTo(ch: number, element: StreamElement): void {
    this.flushChannel(ch);
    const { kind, payload } = encodeElement(element);
    this.put(ch, kind, payload);
  }

  /** The data-lane index the next frame handed to channel `ch` will get (published + in flight + queued). */
  nextFrameIndex(ch: number): number {
    return this.enqueued[ch]!;
  }

  /**
   * Frames handed to channel `ch` but not yet published on its ring, in order: what an
   * unaligned barrier overtakes on the producer side (Flink's output channel state).
   * Exact: only the one in-flight `write()` can be published, and it is iff the ring's
   * published count grew since it started (`tryWrite` refuses while a write is pending).
   */
  unpublishedFrames(ch: number): Frame[] {
    const out: Frame[] = [];
    const f = this.inFlight[ch];
    if (f && this.writers[ch]!.dataFramesWritten === this.inFlightBase[ch]) out.push(f);
    for (const q of this.pending[ch]!) out.push(q);
    return out;
  }

  writer(ch: number): ChannelWriter {
    return this.writers[ch]!;
  }

  /**
   * Wait until every queued frame is on its ring (backpressure). `whileBlocked`, when
   * given, is awaited in a race with a blocked write: it resolves when something else
   * needs the task (a priority barrier) and is called again until the write completes.
   */
  async drain(whileBlocked?: (write: Promise<void>) => Promise<void>): Promise<void> {
    for (let ch = 0; ch < this.pending.length; ch++) {
      const q = this.pending[ch]!;
      while (q.length > 0) {
        const f = q.shift()!;
        const w = this.writers[ch]!;
        this.inFlightBase[ch] = w.dataFramesWritten;
        this.inFlight[ch] = f;
        try {
          const p = w.write(f.kind, f.payload);
          if (whileBlocked && w.pendingDataWrites > 0) {
            let settled = false;
            p.then(() => (settled = true), () => (settled = true));
            while (!settled) await whileBlocked(p);
          }
          await p;
        } finally {
          this.inFlight[ch] = undefined;
          this.pendingCount--;
        }
      }
    }
  }

  private put(ch: number, kind: number, payload: Uint8Array): void {
    const q = this.pending[ch]!;
    this.enqueued[ch]!++;
    if (q.length === 0 && this.inFlight[ch] === undefined && this.writers[ch]!.tryWrite(kind, payload)) return;
    q.push({ kind, payload });
    this.pendingCount++;
  }
}
