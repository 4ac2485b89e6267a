/**
 * Reads a subtask's input channels fairly and hands out one event at a time: round-robin, a
 * channel's turn lasting until it has delivered a full batch's bytes (`batching.targetBatchBytes`,
 * {@link TURN_BYTES} by default) or has nothing more. One frame
 * per turn was unfair to a low-rate channel, whose producer publishes one record per frame when
 * it idles: behind a busy channel's 32 KiB frames it got one record per turn and fell behind for
 * good (a 20 records/s input beside a back-pressured one, a user's review). Flink's input gate
 * takes a buffer per turn, but its producers fill buffers for up to the buffer timeout.
 *
 * Priority lanes are drained before every data frame, and a channel's reader
 * refuses to return data while its priority lane holds anything: a priority
 * element published before data frame k is therefore delivered before frame k.
 * That is what lets an unaligned barrier carrying position p identify exactly
 * the frames (index < p) it overtook.
 *
 * A blocked channel (aligned checkpoint alignment) is not read: its data stays
 * in the ring, which back-pressures its producer. Its priority lane is still read.
 *
 * Buffer debloating (buffer-debloater.ts) reads `bytesRead` and `openChannels` here and
 * publishes its limit on every open channel with `setDataLimit`.
 */
import type { ChannelReader, Doorbell, IndexedFrame } from '../../actors/in-worker.ts';

/** A frame read from input channel `channel`. */
export interface InputEvent extends IndexedFrame {
  readonly channel: number;
  /** A view: valid until the next data read of the same channel (copy it to keep it). */
  readonly payload: Uint8Array;
  /** Data-lane frame index, or -1 for a priority frame. */
  readonly index: number;
  readonly priority: boolean;
}

/** Bytes of data frames a channel may deliver in one turn by default: a full batch of the default `batching.targetBatchBytes`. */
export const TURN_BYTES = 32 * 1024;

export class InputGate {
  readonly blocked: boolean[];
  readonly ended: boolean[];
  private endedCount = 0;
  /** Channels that delivered end-of-data (no more records or watermarks; barriers may follow). */
  readonly dataEnded: boolean[];
  private dataEndedCount = 0;
  private nextChannel = 0;
  /** The channel whose turn it is, and the bytes it delivered in this turn. */
  private turnChannel = -1;
  private turnBytes = 0;
  private readonly queue: InputEvent[] = [];
  /** Frames taken off each data lane so far (the next index to process). */
  readonly nextIndex: number[];
  /** Bytes taken off the data lanes so far (ring footprint of the frames: buffer debloating's throughput). */
  bytesRead = 0;

  /** `turnQuantum`: a turn's bytes — the job's `batching.targetBatchBytes`, so a full batch is one turn. */
  constructor(readonly readers: readonly ChannelReader[], private readonly doorbell: Doorbell, private readonly turnQuantum = TURN_BYTES) {
    this.blocked = readers.map(() => false);
    this.ended = readers.map(() => false);
    this.dataEnded = readers.map(() => false);
    this.nextIndex = readers.map(() => 0);
  }

  get channelCount(): number {
    return this.readers.length;
  }

  get allEnded(): boolean {
    return this.endedCount === this.readers.length;
  }

  /** Channels that have not ended (buffer debloating shares its budget among them). */
  get openChannels(): number {
    return this.readers.length - this.endedCount;
  }

  /** Buffer debloating: limit the bytes each open channel's producer keeps on the data lane (0 = none). */
  setDataLimit(bytes: number): void {
    for (let ch = 0; ch < this.readers.length; ch++) if (!this.ended[ch]) this.readers[ch]!.setDataLimit(bytes);
  }

  /** Bytes queued on the data lanes (published, not consumed), read from the rings. */
  queuedBytes(): number {
    let n = 0;
    for (const r of this.readers) n += r.queuedDataBytes;
    return n;
  }

  get allDataEnded(): boolean {
    return this.dataEndedCount === this.readers.length;
  }

  markDataEnded(channel: number): void {
    if (!this.dataEnded[channel]) {
      this.dataEnded[channel] = true;
      this.dataEndedCount++;
    }
  }

  markEnded(channel: number): void {
    this.markDataEnded(channel);
    if (!this.ended[channel]) {
      this.ended[channel] = true;
      this.endedCount++;
    }
  }

  /** The next event, or null when nothing is available right now. */
  poll(): InputEvent | null {
    if (this.queue.length > 0) return this.queue.shift()!;
    if (this.drainPriority()) return this.queue.shift()!;
    const n = this.readers.length;
    for (let k = 0; k < n; k++) {
      const ch = (this.nextChannel + k) % n;
      if (this.blocked[ch] || this.ended[ch]) continue;
      // tryReadView returns null while the channel's priority lane holds anything
      // (see actors/channel.ts): a priority frame is never delivered after data it overtook.
      const f = this.readers[ch]!.tryReadView();
      if (!f) {
        if (this.drainPriority()) return this.queue.shift()!;
        continue;
      }
      const footprint = 8 + ((f.payload.length + 7) & ~7); // frameFootprint, inlined: once per frame
      if (ch !== this.turnChannel) {
        this.turnChannel = ch;
        this.turnBytes = 0;
      }
      this.turnBytes += footprint;
      this.nextChannel = this.turnBytes < this.turnQuantum ? ch : (ch + 1) % n;
      this.nextIndex[ch] = f.index + 1;
      this.bytesRead += footprint;
      return { channel: ch, kind: f.kind, payload: f.payload, index: f.index, priority: false };
    }
    return null;
  }

  /** The next priority event only (data stays queued): used while the task waits for output space. */
  pollPriority(): InputEvent | null {
    if (this.queue.length === 0) this.drainPriority();
    return this.queue.length > 0 ? this.queue.shift()! : null;
  }

  /**
   * Waits until some input may have something, or the doorbell rang for another reason (a
   * mail, output space, stop). `otherWork` is checked after the doorbell is armed, so a ring
   * between the caller's last check and the wait is not lost.
   */
  async waitForInput(otherWork: () => boolean = () => false): Promise<void> {
    const token = this.doorbell.prepareWait();
    if (this.queue.length > 0 || otherWork() || this.anyAvailable()) {
      this.doorbell.cancelWait();
      return;
    }
    await this.doorbell.wait(token);
  }

  /** Copies of the frames queued on a channel's data lane (not consumed), from index `fromIndex` on. */
  peek(channel: number, fromIndex = 0) {
    return this.readers[channel]!.peek(fromIndex);
  }

  /**
   * Like {@link peek}, but only frames that no priority frame can precede, or null while one
   * waits on the channel (handle it first). The published count is loaded BEFORE the priority
   * lane is checked (the order channel.ts `tryRead` relies on), so a frame published after an
   * unaligned barrier that lowers a capture's end is never taken ahead of that barrier.
   */
  peekBeforePriority(channel: number, fromIndex = 0): IndexedFrame[] | null {
    const reader = this.readers[channel]!;
    const published = reader.dataFramesWritten;
    if (reader.hasPriority() || this.queue.some((e) => e.priority && e.channel === channel)) return null;
    const frames = reader.peek(fromIndex);
    let n = frames.length;
    while (n > 0 && frames[n - 1]!.index >= published) n--;
    return n === frames.length ? frames : frames.slice(0, n);
  }

  /** Data frames published so far on a channel (the index the next one will get). */
  framesPublished(channel: number): number {
    return this.readers[channel]!.dataFramesWritten;
  }

  private anyAvailable(): boolean {
    if (this.drainPriority()) return true;
    for (let ch = 0; ch < this.readers.length; ch++) {
      if (!this.blocked[ch] && !this.ended[ch] && this.readers[ch]!.hasAny()) return true;
    }
    return false;
  }

  private drainPriority(): boolean {
    let found = false;
    for (let ch = 0; ch < this.readers.length; ch++) {
      if (this.ended[ch]) continue;
      let f = this.readers[ch]!.tryReadPriority();
      while (f) {
        this.queue.push({ channel: ch, kind: f.kind, payload: f.payload.slice(), index: -1, priority: true });
        found = true;
        f = this.readers[ch]!.tryReadPriority();
      }
    }
    return found;
  }
}
