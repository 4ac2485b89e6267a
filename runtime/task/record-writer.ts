/**
 * Output side of a subtask for one output edge: partitions records to the
 * edge's channels, batches them per channel, encodes a batch into one frame
 * and publishes it on the channel's ring.
 *
 * User functions are synchronous, so a full ring cannot be awaited in the
 * middle of processing a record. Frames that do not fit are queued per channel
 * (`pending`, Flink's overdraft buffers). Once a channel's queue holds more than
 * `maxPendingBytes`, the shared {@link OutputBudget} says so and the task stops
 * taking input after the current record (frame-processor.ts, the source loop)
 * until `drain()` published the queue. In-flight data per output channel is so
 * bounded by: the ring (`bufferBytes`) + `maxPendingBytes` + the batch being
 * built (≈ `targetBatchBytes`, see ChannelBatch) + the output of one record.
 * Buffer debloating: when the consumer limits the channel's ring (read once per
 * flush), the batch target and the queue's budget shrink to a quarter of the limit.
 *
 * Ordering: once a channel has pending frames, every later frame (records,
 * watermarks, barriers, end-of-partition) queues behind them.
 */
import { encodeBatch } from '../io/record-codec.ts';
import { WeirError } from '../../common/weir-error.ts';
import { encodeElement, type CheckpointBarrier, type StreamElement } from '../io/stream-elements.ts';
import type { ChannelWriter, Frame } from '../../actors/in-worker.ts';
import { ALL_CHANNELS, type Partitioner } from './partitioners.ts';
import { ChannelBatch, DEFAULT_BATCHING, type BatchingOptions } from './channel-batch.ts';

export { DEFAULT_BATCHING, inFlightBytesBound, type BatchingOptions } from './channel-batch.ts';

/** Frame kind of record batches (see stream-elements). */
import { RECORD_BATCH_KIND } from '../io/stream-elements.ts';

/**
 * Shared by a subtask's record writers: set while any output channel queues more than
 * `maxPendingBytes` outside its ring. Read once per record by the processing loops.
 */
export class OutputBudget {
  /** Output channels (of every writer of the subtask) over their budget. */
  private over = 0;
  /** Operators that asked for no more input for now (an async operator at capacity; stream-task.ts blockInputUntil). */
  private blocking = 0;
  /** Take no more input after the current record: drain first. */
  get exceeded(): boolean {
    return this.over > 0 || this.blocking > 0;
  }
  operatorBlocked(): void {
    this.blocking++;
  }
  /** An operator (not an output channel) holds the input back now. */
  get blockedByOperator(): boolean {
    return this.blocking > 0;
  }
  operatorUnblocked(): void {
    this.blocking--;
  }
  channelOver(): void {
    this.over++;
  }
  channelBack(): void {
    this.over--;
  }
}

export class RecordWriter {
  private readonly batches: ChannelBatch[];
  private readonly pending: Frame[][];
  private pendingCount = 0;
  /** Per channel: encoded bytes queued outside the ring (pending + the one in flight). */
  private readonly pendingBytes: number[];
  private readonly maxPendingBytes: number;
  /** Per channel: the queue's budget, `maxPendingBytes` or less under a debloated limit (set per flush) … */
  private readonly pendingLimit: number[];
  /** … and whether the channel is over it (counted once in the budget). */
  private readonly overBudget: boolean[];
  /** Per channel: the frame handed to ChannelWriter.write() whose promise has not settled … */
  private readonly inFlight: (Frame | undefined)[];
  /** … and the writer's published-frame count when that write started (published iff it grew). */
  private readonly inFlightBase: number[];
  /** Frames ever handed to each channel, in order: the data-lane index the next frame will get. */
  private readonly enqueued: number[];
  /** {@link whenPublished} waits, settled by `drain()` as frames get published. */
  private publishWaiters: { ch: number; index: number; resolve: () => void }[] = [];
  /** Records and bytes handed to channels (metrics). */
  recordsOut = 0;
  /** The last watermark broadcast (metrics: the subtask's output watermark). */
  lastWatermark = -Infinity;
  bytesOut = 0;

  constructor(
    private readonly writers: readonly ChannelWriter[],
    private readonly partitioner: Partitioner,
    opts: BatchingOptions = DEFAULT_BATCHING,
    private readonly budget: OutputBudget = new OutputBudget(),
    /** Who emits on these channels, for errors: e.g. `operator 'Map' (uid map-1, subtask 1/2)`, and its details. */
    private readonly owner: { readonly description: string; readonly details: Record<string, unknown> } = { description: 'a subtask', details: {} },
  ) {
    this.batches = writers.map(() => new ChannelBatch(opts));
    this.pending = writers.map(() => []);
    this.pendingBytes = writers.map(() => 0);
    this.maxPendingBytes = opts.maxPendingBytes;
    this.pendingLimit = writers.map(() => opts.maxPendingBytes);
    this.overBudget = writers.map(() => false);
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

  /** Encoded bytes channel `ch` holds outside its ring (queued frames and the one being written). */
  queuedBytes(ch: number): number {
    return this.pendingBytes[ch]!;
  }

  emit(value: unknown, timestamp: number | undefined): void {
    const ch = this.partitioner.select(value);
    // The one-channel case is `emitTo` written out: this is the per-record hot path (calling
    // emitTo from here measured slower in bench:throughput: weir-p2-long 1.7-1.9 vs 2.1-2.8 M records/s, noisy).
    if (ch === ALL_CHANNELS) {
      for (let c = 0; c < this.batches.length; c++) this.emitTo(c, value, timestamp);
      return;
    }
    const b = this.batches[ch]!;
    b.records.push(value);
    if (timestamp !== undefined) {
      if (!b.hasTimestamps) {
        b.hasTimestamps = true;
        for (let i = 0; i < b.records.length - 1; i++) b.timestamps.push(NaN);
      }
      b.timestamps.push(timestamp);
    } else if (b.hasTimestamps) b.timestamps.push(NaN);
    if (b.records.length >= b.limit || b.outgrown(value)) this.flushChannel(ch);
  }

  /** Emit `value` on channel `ch`, whatever the partitioner says (re-routing restored broadcast output). */
  emitTo(ch: number, value: unknown, timestamp: number | undefined): void {
    const b = this.batches[ch]!;
    b.records.push(value);
    if (timestamp !== undefined) {
      if (!b.hasTimestamps) {
        b.hasTimestamps = true;
        for (let i = 0; i < b.records.length - 1; i++) b.timestamps.push(NaN);
      }
      b.timestamps.push(timestamp);
    } else if (b.hasTimestamps) b.timestamps.push(NaN);
    if (b.records.length >= b.limit || b.outgrown(value)) this.flushChannel(ch);
  }

  /** Encode and publish (or queue) the batch of one channel. */
  flushChannel(ch: number): void {
    const b = this.batches[ch]!;
    const n = b.records.length;
    if (n === 0) return;
    const payload = this.encode(b.records, b.hasTimestamps ? b.timestamps : null);
    // Buffer debloating: the consumer's limit on this channel's ring (one atomic load per flush)
    // also shrinks the next batches and the queue outside the ring to a quarter of it each.
    const limit = this.writers[ch]!.dataLimit;
    b.debloat(limit);
    this.pendingLimit[ch] = limit > 0 ? Math.min(this.maxPendingBytes, limit >>> 2) : this.maxPendingBytes;
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

  /** Encodes a batch; a record that cannot be encoded fails naming who emitted it (batches are encoded later than records are emitted, outside the user function). */
  private encode(records: unknown[], timestamps: number[] | null): Uint8Array {
    try {
      return encodeBatch(records, timestamps);
    } catch (e) {
      if (!(e instanceof WeirError)) throw e;
      throw new WeirError(e.code, `${this.owner.description} emitted a record that cannot be encoded for its output (records cross threads as data): ${e.message.replace(/^A record cannot be encoded: /, '')}`, { ...e.details, ...this.owner.details }, { cause: e });
    }
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
    if (element.type === 'watermark') this.lastWatermark = element.timestamp;
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
          this.release(ch, f.payload.byteLength);
          if (this.publishWaiters.length > 0) this.settlePublishWaiters(ch);
        }
      }
    }
  }

  /** Resolves once frame `index` of channel `ch` is published on its ring (at once if it is). */
  whenPublished(ch: number, index: number): Promise<void> {
    if (this.writers[ch]!.dataFramesWritten > index) return Promise.resolve();
    return new Promise<void>((resolve) => this.publishWaiters.push({ ch, index, resolve }));
  }

  /**
   * Producer-side alignment timeout (Flink's `PipelinedSubpartition` timeout of an aligned
   * barrier): the in-band barrier at data-lane index `barrierIndex` of channel `ch` is still
   * queued, unpublished. Overtake it now: publish `barrier` as an unaligned priority barrier at
   * position = frames published so far, and return the frames it overtook (from that position up
   * to the queued barrier) — the checkpoint's output channel state for this channel. They stay
   * queued and are delivered as usual; the queued in-band copy becomes obsolete downstream.
   * Returns undefined when the in-band barrier was published meanwhile (nothing to do).
   */
  overtakeQueuedBarrier(ch: number, barrierIndex: number, barrier: CheckpointBarrier): Frame[] | undefined {
    const published = this.writers[ch]!.dataFramesWritten;
    if (published > barrierIndex) return undefined;
    const overtaken = this.unpublishedFrames(ch).slice(0, barrierIndex - published);
    if (!this.trySendPriority(ch, { type: 'priority-barrier', barrier: { ...barrier, alignment: 'unaligned', position: published } })) {
      throw new Error(`priority lane of output channel ${ch} is full: the consumer is not draining it`);
    }
    return overtaken;
  }

  private settlePublishWaiters(ch: number): void {
    const published = this.writers[ch]!.dataFramesWritten;
    const due = this.publishWaiters.filter((w) => w.ch === ch && published > w.index);
    if (due.length === 0) return;
    this.publishWaiters = this.publishWaiters.filter((w) => !due.includes(w));
    for (const w of due) w.resolve();
  }

  private put(ch: number, kind: number, payload: Uint8Array): void {
    const q = this.pending[ch]!;
    this.enqueued[ch]!++;
    if (q.length === 0 && this.inFlight[ch] === undefined && this.writers[ch]!.tryWrite(kind, payload)) return;
    q.push({ kind, payload });
    this.pendingCount++;
    const before = this.pendingBytes[ch]!;
    const after = (this.pendingBytes[ch] = before + payload.byteLength);
    if (!this.overBudget[ch] && after > this.pendingLimit[ch]!) {
      this.overBudget[ch] = true;
      this.budget.channelOver();
    }
  }

  private release(ch: number, bytes: number): void {
    const before = this.pendingBytes[ch]!;
    const after = (this.pendingBytes[ch] = before - bytes);
    if (this.overBudget[ch] && after <= this.pendingLimit[ch]!) {
      this.overBudget[ch] = false;
      this.budget.channelBack();
    }
  }
}
