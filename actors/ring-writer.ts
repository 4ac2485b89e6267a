/**
 * The producing end of a ring buffer (layout, publish step and fragmentation
 * rules: see ring-buffer.ts). Call order: `tryWrite`/`write` any number of
 * times, then `close()` (optional). Exactly one writer per ring.
 *
 * Limit (buffer debloating): the reader may publish in the header's LIMIT word how
 * many bytes the writer may keep on the ring (`RingReader.setLimit`). The writer
 * then treats min(capacity, limit) as the usable capacity — except that a chunk
 * always fits an EMPTY ring, so a frame larger than the limit is delayed, never
 * deadlocked. The limit is read on every write and in every wait (a limit that
 * changes while the writer sleeps: a raise rings the space doorbell, a cut only
 * makes the sleeper wake early and wait again).
 */
import { Doorbell } from './doorbell.ts';
import { CHUNK_HEADER_BYTES, CLOSED, CONT, FRAMES_R, FRAMES_W, LIMIT, MORE, R_POS, RingEnd, SPACE_AT, W_POS, align8, checkFrame, closedError, usableCapacity } from './ring-layout.ts';

const RESOLVED: Promise<void> = Promise.resolve();

/** The producing end. Not thread-safe: exactly one writer per ring. */
export class RingWriter extends RingEnd {
  private pos: number;
  private readCache: number;
  private frames: number;
  private pending = 0;
  private tail: Promise<void> = RESOLVED;
  private readonly notify: Doorbell | undefined;

  /** `options.notify`: an extra doorbell rung after every publish (a channel's consumer bell). */
  constructor(buffer: SharedArrayBuffer, options: { notify?: Doorbell } = {}) {
    super(buffer);
    this.pos = Atomics.load(this.h, W_POS) >>> 0;
    this.readCache = Atomics.load(this.h, R_POS) >>> 0;
    this.frames = Atomics.load(this.h, FRAMES_W) >>> 0;
    this.notify = options.notify;
  }

  /** Whole frames published so far (exact). */
  get framesWritten(): number {
    return this.frames;
  }

  /** Whole frames the reader has consumed so far (exact, read from the shared header). */
  get framesRead(): number {
    return this.frames - (((this.frames | 0) - Atomics.load(this.h, FRAMES_R)) >>> 0);
  }

  /** Writes accepted by `write()` whose promise has not settled yet. */
  get pendingWrites(): number {
    return this.pending;
  }

  /**
   * Bytes a chunk may take right now (reloads the reader's position and the limit): the free
   * space within the usable capacity, or the whole ring when it is empty.
   */
  get freeBytes(): number {
    return Math.max(0, this.room());
  }

  /** {@link freeBytes}, negative when a cut limit left more on the ring than it allows. */
  private room(): number {
    this.readCache = Atomics.load(this.h, R_POS) >>> 0;
    const used = (this.pos - this.readCache) >>> 0;
    if (used === 0) return this.capacity;
    return usableCapacity(Atomics.load(this.h, LIMIT), this.capacity) - used;
  }

  /**
   * Publish a whole frame if it fits right now. Returns false when there is
   * not enough free space (within the limit, unless the ring is empty), when
   * the frame can only be written fragmented (larger than the ring: use
   * `write`), or while earlier `write`s are still pending (order is
   * preserved). Throws WEIR_RING_CLOSED after close.
   */
  tryWrite(kind: number, payload: Uint8Array): boolean {
    checkFrame(kind, payload);
    if (Atomics.load(this.h, CLOSED) !== 0) throw closedError('write');
    if (this.pending !== 0) return false;
    const need = CHUNK_HEADER_BYTES + align8(payload.length);
    if (need > this.capacity) return false;
    // The cached read position can only under-estimate the space: reload it only when needed.
    const usable = usableCapacity(Atomics.load(this.h, LIMIT), this.capacity);
    if (need > usable - ((this.pos - this.readCache) >>> 0) && need > this.room()) return false;
    this.putChunk(kind, 0, payload, 0, payload.length);
    this.publish(true);
    return true;
  }

  /**
   * Publish a frame of any size, waiting (without spinning) while the ring is
   * full and fragmenting frames larger than the ring. Writes are published in
   * call order. Rejects with WEIR_RING_CLOSED if the ring is or gets closed.
   */
  write(kind: number, payload: Uint8Array): Promise<void> {
    try {
      if (this.pending === 0 && this.tryWrite(kind, payload)) return RESOLVED;
    } catch (err) {
      return Promise.reject(err);
    }
    this.pending++;
    const p = this.tail.then(() => this.writeSlow(kind, payload));
    const done = (): void => {
      this.pending--;
    };
    this.tail = p.then(done, done);
    return p;
  }

  private async writeSlow(kind: number, payload: Uint8Array): Promise<void> {
    const len = payload.length;
    const whole = CHUNK_HEADER_BYTES + align8(len);
    if (whole <= this.capacity) {
      await this.waitForSpace(whole);
      this.putChunk(kind, 0, payload, 0, len);
      this.publish(true);
      return;
    }
    let off = 0;
    let flags = 0;
    for (;;) {
      const rest = len - off;
      const restNeed = CHUNK_HEADER_BYTES + align8(rest);
      const usable = usableCapacity(Atomics.load(this.h, LIMIT), this.capacity);
      // `free` is what the wait saw: a multiple of 8 and ≥ 32 (usable ≥ 64), so a chunk fits it.
      const free = await this.waitForSpace(Math.min(restNeed, usable >>> 1));
      if (restNeed <= free) {
        this.putChunk(kind, flags, payload, off, rest);
        this.publish(true);
        return;
      }
      const chunk = free - CHUNK_HEADER_BYTES; // free is a multiple of 8, so the chunk fills it exactly
      this.putChunk(kind, flags | MORE, payload, off, chunk);
      this.publish(false);
      off += chunk;
      flags = CONT;
    }
  }

  /**
   * Sleep on the space doorbell until a chunk of `need` bytes may be written (step order: see
   * doorbell.ts); returns the room seen then. SPACE_AT tells the reader from which of its
   * positions to ring: where `need` fits the usable capacity, or, for a chunk larger than the
   * limit, where the ring is empty. A limit raised meanwhile rings the bell (RingReader.setLimit).
   */
  private async waitForSpace(need: number): Promise<number> {
    for (;;) {
      if (Atomics.load(this.h, CLOSED) !== 0) throw closedError('write');
      let room = this.room();
      if (room >= need) return room;
      const usable = usableCapacity(Atomics.load(this.h, LIMIT), this.capacity);
      // Hysteresis: be woken when half the usable ring is free, not as soon as one frame fits — a
      // producer faster than its consumer was otherwise woken once per frame (the reader's ring()
      // was ~20 % of a keyed count's consumer CPU, issue #18 profile; a wake-up costs ~70 µs).
      const want = Math.max(need, usable >>> 1);
      Atomics.store(this.h, SPACE_AT, (need <= usable ? this.pos + Math.min(want, usable) - usable : this.pos) | 0);
      const token = this.spaceBell.prepareWait();
      if (Atomics.load(this.h, CLOSED) !== 0 || (room = this.room()) >= need) {
        this.spaceBell.cancelWait();
        continue;
      }
      await this.spaceBell.wait(token);
    }
  }

  private putChunk(kind: number, flags: number, src: Uint8Array, start: number, len: number): void {
    const off = this.pos & this.mask;
    this.dv.setUint32(off, len, true);
    this.u8[off + 4] = kind;
    this.u8[off + 5] = flags;
    this.u8[off + 6] = 0;
    this.u8[off + 7] = 0;
    const p = (off + CHUNK_HEADER_BYTES) & this.mask;
    const first = Math.min(len, this.capacity - p);
    if (first === src.length) this.u8.set(src, p);
    else this.u8.set(src.subarray(start, start + first), p);
    if (first < len) this.u8.set(src.subarray(start + first, start + len), 0);
    this.pos = (this.pos + CHUNK_HEADER_BYTES + align8(len)) >>> 0;
  }

  private publish(frameDone: boolean): void {
    Atomics.store(this.h, W_POS, this.pos | 0);
    if (frameDone) {
      this.frames++;
      Atomics.store(this.h, FRAMES_W, this.frames | 0);
    }
    this.dataBell.ring();
    this.notify?.ring();
  }

  /** Close the ring: pending and future writes reject; the reader drains what was published. */
  override close(): void {
    super.close();
    this.notify?.forceRing();
  }
}
