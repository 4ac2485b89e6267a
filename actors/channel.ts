/**
 * A channel connects ONE producer subtask to ONE consumer subtask:
 *
 * ```
 *   producer thread                                   consumer thread
 *   ChannelWriter ── data lane (ring, capacityBytes) ──▶ ChannelReader ┐
 *                 ── priority lane (small ring)      ──▶               ├─ consumer's Doorbell
 *                 ── ring() after every publish ──────────────────────▶┘  (one per consumer,
 *                                                                          shared by all its inputs)
 * ```
 *
 * `createChannel()` returns a {@link ChannelSpec}: plain SharedArrayBuffers and
 * numbers, so it crosses `postMessage`/piscina task boundaries by structured
 * clone (the memory is shared, not copied). Build the writer on the producer's
 * thread with the consumer's doorbell, and the reader on the consumer's thread.
 *
 * Semantics the runtime relies on:
 * 1. Order and indices. Data frames arrive exactly once, in order; frame
 *    index k on the data lane is the k-th frame published (from 0), and the
 *    writer's `dataFramesWritten` / the reader's frame indices and
 *    `dataFramesRead` count the same frames on both sides. A frame accepted by
 *    `write()` whose promise has not settled is NOT yet counted (it is not
 *    published; `pendingDataWrites` tells how many there are).
 * 2. Overtaking. A priority frame published when `dataFramesWritten = p` is
 *    delivered before every data frame with index ≥ p, provided the consumer
 *    drains the priority lane before reading data. `tryRead()` enforces it: it
 *    loads the data lane's publish position FIRST and then returns null while
 *    the priority lane holds anything — so any data frame it returns was
 *    published before a priority lane check that found the lane empty, i.e.
 *    every priority frame published before that data frame was already handed
 *    out. The producer writes `position = dataFramesWritten` into the priority
 *    frame (the runtime's job) and must await `writePriority` before writing
 *    further data; the consumer can then tell exactly which queued frames the
 *    priority frame overtook: indices in [dataFramesRead, position), which
 *    `peek()` returns (they are published: they precede the priority frame).
 * 3. Backpressure. A full data lane makes `write` wait (without spinning)
 *    until the consumer frees space; memory is bounded by the two capacities.
 *    Frames larger than the data lane are fragmented transparently.
 * 4. Wake-ups. Every publish (data or priority, every fragment) rings the
 *    consumer's doorbell, which costs one atomic load unless the consumer is
 *    asleep. Consumer loop: drain → `token = bell.prepareWait()` → if no
 *    input `hasAny()` → `await bell.wait(token)` (see doorbell.ts). For a
 *    channel it does not read right now (blocked by alignment) it re-checks
 *    `hasPriority()` only. A wake-up costs ~70 µs, so batch records into
 *    frames (the record codec's BatchBuilder) rather than sending one each.
 * 5. Debloating. The consumer may limit the bytes its producer keeps on the data
 *    lane (`setDataLimit`, read by the producer from the ring's header without
 *    a message); a frame still passes an empty lane whatever the limit.
 * 6. Closing. Either end may `close()`. After the writer closes, the reader
 *    still drains everything published before, then `isFinished()` is true.
 *    After the reader closes (cancel), pending and later writes reject with
 *    WEIR_RING_CLOSED. Both lanes close together and the doorbell is rung.
 */
import { WeirError } from '../common/weir-error.ts';
import { Doorbell } from './doorbell.ts';
import { createRingBuffer, ringCapacity, RingReader, RingWriter, type IndexedFrame } from './ring-buffer.ts';

/** Default capacity of a channel's priority lane (barriers are ~50 bytes). */
export const DEFAULT_PRIORITY_CAPACITY_BYTES = 4096;

/** Everything both ends need; structured-clone safe. */
export interface ChannelSpec {
  /** Ring buffer of the data lane. */
  readonly data: SharedArrayBuffer;
  /** Ring buffer of the priority lane. */
  readonly priority: SharedArrayBuffer;
  /** Data lane capacity in bytes (the request rounded up to a power of two). */
  readonly capacityBytes: number;
  /** Priority lane capacity in bytes (rounded up to a power of two). */
  readonly priorityCapacityBytes: number;
}

/** Options of {@link createChannel}. */
export interface ChannelOptions {
  /** Data lane capacity; rounded up to a power of two, at least 64 bytes. */
  capacityBytes: number;
  /** Priority lane capacity; default {@link DEFAULT_PRIORITY_CAPACITY_BYTES}. */
  priorityCapacityBytes?: number;
}

/** Allocate the shared memory of one channel. */
export function createChannel(options: ChannelOptions): ChannelSpec {
  const data = createRingBuffer(options.capacityBytes);
  const priority = createRingBuffer(options.priorityCapacityBytes ?? DEFAULT_PRIORITY_CAPACITY_BYTES);
  return { data, priority, capacityBytes: ringCapacity(data), priorityCapacityBytes: ringCapacity(priority) };
}

function checkSpec(spec: ChannelSpec): void {
  if (spec === null || typeof spec !== 'object' || !(spec.data instanceof SharedArrayBuffer) || !(spec.priority instanceof SharedArrayBuffer)) {
    throw new WeirError('WEIR_CHANNEL_SPEC', 'Not a channel spec: expected the object returned by createChannel()', {});
  }
}

/** The producer's end of a channel. One writer per channel, used from one thread. */
export class ChannelWriter {
  private readonly data: RingWriter;
  private readonly priority: RingWriter;
  private readonly bell: Doorbell;

  /** `consumerDoorbell`: the consumer's {@link Doorbell}, or its `buffer`. */
  constructor(spec: ChannelSpec, consumerDoorbell: Doorbell | SharedArrayBuffer) {
    checkSpec(spec);
    this.bell = consumerDoorbell instanceof Doorbell ? consumerDoorbell : new Doorbell(consumerDoorbell);
    this.data = new RingWriter(spec.data, { notify: this.bell });
    this.priority = new RingWriter(spec.priority, { notify: this.bell });
  }

  /** Data frames published so far (exact; = index of the next data frame published). */
  get dataFramesWritten(): number {
    return this.data.framesWritten;
  }

  /** Data frames the consumer has consumed so far. */
  get dataFramesRead(): number {
    return this.data.framesRead;
  }

  /** Data frames accepted by `write()` and not yet published. */
  get pendingDataWrites(): number {
    return this.data.pendingWrites;
  }

  /** Priority frames published so far. */
  get priorityFramesWritten(): number {
    return this.priority.framesWritten;
  }

  /** Bytes queued on the data lane (published, not consumed). */
  get queuedDataBytes(): number {
    return this.data.usedBytes;
  }

  /** True once either end closed the channel. */
  get isClosed(): boolean {
    return this.data.isClosed;
  }

  /**
   * Buffer debloating: the bytes the consumer lets this producer keep on the data lane, or 0 when
   * it set no limit (one atomic load; `tryWrite`/`write` honour it by themselves).
   */
  get dataLimit(): number {
    const usable = this.data.usableBytes;
    return usable < this.data.capacity ? usable : 0;
  }

  /** Publish a data frame if it fits whole right now (see RingWriter.tryWrite). */
  tryWrite(kind: number, payload: Uint8Array): boolean {
    return this.data.tryWrite(kind, payload);
  }

  /** Publish a data frame, waiting for space; `payload` must stay unchanged until the promise settles. */
  write(kind: number, payload: Uint8Array): Promise<void> {
    return this.data.write(kind, payload);
  }

  /** Publish a priority frame if it fits right now. */
  tryWritePriority(kind: number, payload: Uint8Array): boolean {
    return this.priority.tryWrite(kind, payload);
  }

  /** Publish a priority frame (overtakes queued data), waiting if the priority lane is full. */
  writePriority(kind: number, payload: Uint8Array): Promise<void> {
    return this.priority.write(kind, payload);
  }

  /** Close both lanes (end of channel, or cancel) and wake the consumer. */
  close(): void {
    this.priority.close();
    this.data.close();
  }
}

/** The consumer's end of a channel. One reader per channel, used from one thread. */
export class ChannelReader {
  private readonly data: RingReader;
  private readonly priority: RingReader;

  constructor(spec: ChannelSpec) {
    checkSpec(spec);
    this.data = new RingReader(spec.data);
    this.priority = new RingReader(spec.priority);
  }

  /** Data frames consumed so far (exact) = index of the next data frame. */
  get dataFramesRead(): number {
    return this.data.framesRead;
  }

  /** Data frames the producer has published so far. */
  get dataFramesWritten(): number {
    return this.data.framesWritten;
  }

  /** True once either end closed the channel. */
  get isClosed(): boolean {
    return this.data.isClosed;
  }

  /** Bytes queued on the data lane (published, not consumed). */
  get queuedDataBytes(): number {
    return this.data.usedBytes;
  }

  /** Data lane capacity in bytes. */
  get dataCapacity(): number {
    return this.data.capacity;
  }

  /**
   * Buffer debloating: let the producer keep at most `bytes` on the data lane (0 = no limit; see
   * RingReader.setLimit). The producer's record writer also shrinks its batches and its queue
   * outside the ring to it (runtime/task/record-writer.ts).
   */
  setDataLimit(bytes: number): void {
    this.data.setLimit(bytes);
  }

  /** True when the channel is closed and nothing published remains to be read. */
  isFinished(): boolean {
    return this.data.isClosed && !this.hasAny();
  }

  /** True when either lane holds published bytes not yet consumed. */
  hasAny(): boolean {
    return this.priority.hasUnread() || this.data.hasUnread();
  }

  /** True when the priority lane holds published bytes not yet consumed. */
  hasPriority(): boolean {
    return this.priority.hasUnread();
  }

  /**
   * True when the data lane holds published bytes not yet consumed. A consumer
   * that has blocked this channel (aligned checkpoint) re-checks only
   * `hasPriority()` for it before sleeping — `hasAny()` would never let it sleep.
   */
  hasData(): boolean {
    return this.data.hasUnread();
  }

  /** Next priority frame (a copy), or null. */
  tryReadPriority(): IndexedFrame | null {
    return this.priority.readFrame(false, true);
  }

  /**
   * Next data frame (a copy), or null when none is complete OR while the
   * priority lane is not empty (drain it first — this is what makes priority
   * frames overtake data; see the header).
   */
  tryRead(): IndexedFrame | null {
    return this.readData(false);
  }

  /** Like `tryRead`, but the frame and payload are reused views valid until the next data read. */
  tryReadView(): IndexedFrame | null {
    return this.readData(true);
  }

  private readData(view: boolean): IndexedFrame | null {
    this.data.refresh(); // 1. fix which data frames may be returned …
    if (this.priority.hasUnread()) return null; // 2. … then make sure no priority frame precedes them
    return this.data.readFrame(view, false);
  }

  /** Copies of the whole data frames queued (published, not consumed), in order, with indices. */
  peek(fromIndex = 0): IndexedFrame[] {
    return this.data.peek(fromIndex);
  }

  /** Close both lanes (cancel): the producer's pending writes reject. */
  close(): void {
    this.priority.close();
    this.data.close();
  }
}
