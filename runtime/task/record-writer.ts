/**
 * Output side of a subtask for one output edge: partitions records to the
 * edge's channels, encodes them into a batch per channel as they are emitted
 * (a record that cannot be encoded fails in the `collect` that emitted it) and
 * publishes a full batch as one frame on the channel's ring.
 *
 * User functions are synchronous, so a full ring cannot be awaited in the
 * middle of processing a record. Frames that do not fit are queued per channel
 * (`pending`, Flink's overdraft buffers). Once a channel's queue holds more than
 * `maxPendingBytes`, the shared {@link OutputBudget} says so and the task stops
 * taking input after the current record (frame-processor.ts, the source loop)
 * until `drain()` published the queue. In-flight data per output channel is so
 * bounded by: the ring (`bufferBytes`) + `maxPendingBytes` + the batch being
 * built (≤ `targetBatchBytes` + one record, see ChannelBatch) + the output of one record.
 * Buffer debloating: when the consumer limits the channel's ring (read once per
 * flush), the batch target and the queue's budget shrink to a quarter of the limit.
 *
 * Ordering: once a channel has pending frames, every later frame (records,
 * watermarks, barriers, end-of-partition) queues behind them.
 */
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
  /** … and that write, settled once the frame is published and accounted for. */
  private readonly writing: (Promise<void> | undefined)[];
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
    this.writing = writers.map(() => undefined);
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
    try {
      b.builder.add(value, timestamp);
    } catch (e) {
      throw this.cannotEncode(e);
    }
    if (b.full) this.flushChannel(ch);
  }

  /** Emit `value` on channel `ch`, whatever the partitioner says (re-routing restored broadcast output). */
  emitTo(ch: number, value: unknown, timestamp: number | undefined): void {
    const b = this.batches[ch]!;
    try {
      b.builder.add(value, timestamp);
    } catch (e) {
      throw this.cannotEncode(e);
    }
    if (b.full) this.flushChannel(ch);
  }

  /** Publish (or queue) the batch of one channel. */
  flushChannel(ch: number): void {
    const b = this.batches[ch]!;
    const n = b.builder.count;
    if (n === 0) return;
    const view = b.builder.finishView();
    // Buffer debloating: the consumer's limit on this channel's ring (one atomic load per flush)
    // also shrinks the next batches and the queue outside the ring to a quarter of it each.
    const limit = this.writers[ch]!.dataLimit;
    b.debloat(limit);
    this.pendingLimit[ch] = limit > 0 ? Math.min(this.maxPendingBytes, limit >>> 2) : this.maxPendingBytes;
    this.recordsOut += n;
    this.bytesOut += view.byteLength;
    // The view is the builder's memory: copied onto the ring now, or copied to be queued.
    this.put(ch, RECORD_BATCH_KIND, view, false);
  }

  flushAll(): void {
    for (let ch = 0; ch < this.batches.length; ch++) this.flushChannel(ch);
  }

  /** A record that cannot be encoded fails naming who emitted it (the codec knows only the record). */
  private cannotEncode(e: unknown): unknown {
    if (!(e instanceof WeirError)) return e;
    return new WeirError(e.code, `${this.owner.description} emitted a record that cannot be encoded for its output (records cross threads as data): ${e.message.replace(/^A record cannot be encoded: /, '')}`, { ...e.details, ...this.owner.details }, { cause: e });
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

  /** Wait until every queued frame is on its ring (backpressure); see {@link drainWriters}. */
  drain(whileBlocked?: (write: Promise<void>) => Promise<void>): Promise<void> {
    return drainWriters([this], whileBlocked);
  }

  /**
   * Starts a write on every channel that has queued frames and none going, and adds every write
   * going to `active`; true if one of them waits for room on its ring.
   */
  startWrites(active: Promise<void>[]): boolean {
    let blocked = false;
    for (let ch = 0; ch < this.pending.length; ch++) {
      const w = this.writing[ch] ?? this.startWrite(ch);
      if (w === undefined) continue;
      active.push(w);
      if (this.writers[ch]!.pendingDataWrites > 0) blocked = true;
    }
    return blocked;
  }

  /** Hands channel `ch`'s next queued frame to its ring writer; undefined when none is queued. */
  private startWrite(ch: number): Promise<void> | undefined {
    const f = this.pending[ch]!.shift();
    if (f === undefined) return undefined;
    const w = this.writers[ch]!;
    this.inFlightBase[ch] = w.dataFramesWritten;
    this.inFlight[ch] = f;
    let write: Promise<void>;
    try {
      write = w.write(f.kind, f.payload);
    } catch (e) {
      write = Promise.reject(e);
    }
    const done = write.finally(() => {
      this.inFlight[ch] = undefined;
      this.writing[ch] = undefined;
      this.pendingCount--;
      this.release(ch, f.payload.byteLength);
      if (this.publishWaiters.length > 0) this.settlePublishWaiters(ch);
    });
    done.catch(() => {}); // awaited by drain(); a failure it has stopped waiting for is the task's already
    this.writing[ch] = done;
    return done;
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

  /** `owned`: false when `payload` is borrowed memory (a builder's view), copied if it must be queued. */
  private put(ch: number, kind: number, payload: Uint8Array, owned = true): void {
    const q = this.pending[ch]!;
    this.enqueued[ch]!++;
    if (q.length === 0 && this.inFlight[ch] === undefined && this.writers[ch]!.tryWrite(kind, payload)) return;
    if (!owned) payload = payload.slice();
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

/**
 * Wait until every frame the writers queued is on its ring (backpressure). Every channel with
 * queued frames has one write going at a time, all channels of all writers at once: a consumer that
 * does not read blocks only its own channel, never another channel's frames queued behind it
 * (Flink's subpartitions send on their own credit). `whileBlocked`, when given, is awaited in a
 * race with the blocked writes: it resolves when something else needs the task (a priority
 * barrier) and is called again until a write completes; it may queue more frames.
 */
export async function drainWriters(writers: readonly RecordWriter[], whileBlocked?: (write: Promise<void>) => Promise<void>): Promise<void> {
  for (;;) {
    const active: Promise<void>[] = [];
    let blocked = false;
    for (const w of writers) if (w.startWrites(active)) blocked = true;
    if (active.length === 0) return;
    const next = active.length === 1 ? active[0]! : Promise.race(active);
    if (whileBlocked && blocked) {
      let settled = false;
      next.then(() => (settled = true), () => (settled = true));
      while (!settled) await whileBlocked(next);
    }
    await next;
  }
}
