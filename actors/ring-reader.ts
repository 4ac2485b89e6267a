/**
 * The consuming end of a ring buffer (layout and reassembly rules: see
 * ring-buffer.ts). Call order: `tryRead`/`tryReadView`/`read`/`peek` and
 * `setLimit` any number of times, then `close()` (optional). Exactly one reader per ring.
 */
import { WeirError } from '../common/weir-error.ts';
import { CHUNK_HEADER_BYTES, CONT, FRAMES_R, FRAMES_W, LIMIT, MIN_CAPACITY, MORE, R_POS, RingEnd, SPACE_AT, W_POS, align8, type IndexedFrame } from './ring-layout.ts';

/** Mutable frame reused by `tryReadView`. */
interface ViewFrame {
  kind: number;
  payload: Uint8Array;
  index: number;
}

const EMPTY = new Uint8Array(0);

/** The consuming end. Not thread-safe: exactly one reader per ring. */
export class RingReader extends RingEnd {
  private pos: number;
  private writeCache: number;
  private frames: number;
  private scratch: Uint8Array;
  /** Bytes of a fragmented frame reassembled so far in `scratch`; -1 when not reassembling. */
  private assembled = -1;
  private assembledKind = 0;
  private readonly view: ViewFrame = { kind: 0, payload: EMPTY, index: 0 };
  private readonly scratchLimit: number;

  constructor(buffer: SharedArrayBuffer) {
    super(buffer);
    this.pos = Atomics.load(this.h, R_POS) >>> 0;
    this.writeCache = this.pos;
    this.frames = Atomics.load(this.h, FRAMES_R) >>> 0;
    this.scratchLimit = Math.max(2 * this.capacity, 1 << 16);
    this.scratch = new Uint8Array(Math.min(this.capacity, 1 << 16));
  }

  /** Whole frames consumed so far (exact) = index of the next frame to read. */
  get framesRead(): number {
    return this.frames;
  }

  /** Whole frames the writer has published so far (exact, read from the shared header). */
  get framesWritten(): number {
    return this.frames + ((Atomics.load(this.h, FRAMES_W) - (this.frames | 0)) >>> 0);
  }

  /**
   * Buffer debloating: let the writer keep at most `bytes` on the ring (0, or anything not below
   * the capacity: no limit; at least 64 bytes). Whatever the limit, a frame is still written into
   * an empty ring. Wakes a writer waiting for space, which re-reads the limit (a raise can free it).
   */
  setLimit(bytes: number): void {
    const limit = !(bytes > 0) || bytes >= this.capacity ? 0 : Math.max(MIN_CAPACITY, Math.floor(bytes));
    Atomics.store(this.h, LIMIT, limit);
    this.spaceBell.ring();
  }

  /** True when published bytes are waiting to be consumed (possibly a fragment of an unfinished frame). */
  hasUnread(): boolean {
    return Atomics.load(this.h, W_POS) >>> 0 !== this.pos;
  }

  /** Load the writer's published position; `readFrame(…, false)` reads only up to the last refresh. */
  refresh(): void {
    this.writeCache = Atomics.load(this.h, W_POS) >>> 0;
  }

  /** Consume the next whole frame as a copy the caller owns, or null if none is complete yet. */
  tryRead(): IndexedFrame | null {
    return this.readFrame(false, true);
  }

  /**
   * Like `tryRead` without allocating: the returned object and its payload
   * (a view on reader-owned memory) are reused and valid until the next read.
   */
  tryReadView(): IndexedFrame | null {
    return this.readFrame(true, true);
  }

  /**
   * Low-level read. `view`: see `tryReadView`. `reload`: false reads only
   * bytes seen published by the last `refresh()`/read (channel.ts uses this to
   * check its priority lane between the load of WRITE_POS and the read).
   */
  readFrame(view: boolean, reload: boolean): IndexedFrame | null {
    if (this.assembled < 0 && this.scratch.length > this.scratchLimit) this.scratch = new Uint8Array(1 << 16);
    for (;;) {
      if (this.pos === this.writeCache) {
        if (!reload) return null;
        this.writeCache = Atomics.load(this.h, W_POS) >>> 0;
        if (this.pos === this.writeCache) return null;
      }
      const off = this.pos & this.mask;
      const len = this.dv.getUint32(off, true);
      const kind = this.u8[off + 4]!;
      const flags = this.u8[off + 5]!;
      const size = CHUNK_HEADER_BYTES + align8(len);
      this.checkChunk(kind, flags, size, (this.writeCache - this.pos) >>> 0);
      const dataAt = (off + CHUNK_HEADER_BYTES) & this.mask;
      if (flags === 0) {
        let payload: Uint8Array;
        if (view) {
          this.ensureScratch(len, 0);
          this.copyOut(dataAt, len, this.scratch, 0);
          payload = this.scratch.subarray(0, len);
        } else if (dataAt + len <= this.capacity) {
          payload = this.u8.slice(dataAt, dataAt + len);
        } else {
          payload = new Uint8Array(len);
          this.copyOut(dataAt, len, payload, 0);
        }
        this.release(size, true);
        return this.frame(view, kind, payload);
      }
      // A fragment: append to the reassembly buffer.
      if ((flags & CONT) === 0) {
        this.assembled = 0;
        this.assembledKind = kind;
      }
      this.ensureScratch(this.assembled + len, this.assembled);
      this.copyOut(dataAt, len, this.scratch, this.assembled);
      this.assembled += len;
      if ((flags & MORE) !== 0) {
        this.release(size, false);
        continue;
      }
      const total = this.assembled;
      this.assembled = -1;
      this.release(size, true);
      const payload = view ? this.scratch.subarray(0, total) : this.scratch.slice(0, total);
      return this.frame(view, this.assembledKind, payload);
    }
  }

  private frame(view: boolean, kind: number, payload: Uint8Array): IndexedFrame {
    const index = this.frames - 1;
    if (!view) return { kind, payload, index };
    const f = this.view;
    f.kind = kind;
    f.payload = payload;
    f.index = index;
    return f;
  }

  private checkChunk(kind: number, flags: number, size: number, available: number): void {
    const fragmentState = this.assembled >= 0 ? (flags & CONT) !== 0 : (flags & CONT) === 0;
    if (kind === 0 || flags > 3 || size > available || !fragmentState) {
      throw new WeirError('WEIR_RING_CORRUPT', 'Ring buffer holds an invalid chunk (two writers on one ring, or memory overwritten)', {
        kind,
        flags,
        size,
        available,
        reassembling: this.assembled >= 0,
      });
    }
  }

  private ensureScratch(size: number, keep: number): void {
    if (size <= this.scratch.length) return;
    const next = new Uint8Array(Math.max(size, this.scratch.length * 2));
    if (keep > 0) next.set(this.scratch.subarray(0, keep));
    this.scratch = next;
  }

  private copyOut(from: number, len: number, dst: Uint8Array, at: number): void {
    const first = Math.min(len, this.capacity - from);
    dst.set(this.u8.subarray(from, from + first), at);
    if (first < len) dst.set(this.u8.subarray(0, len - first), at + first);
  }

  /** Release consumed bytes to the writer; wake it if it sleeps and now has the space it wants. */
  private release(size: number, frameDone: boolean): void {
    this.pos = (this.pos + size) >>> 0;
    Atomics.store(this.h, R_POS, this.pos | 0);
    if (frameDone) {
      this.frames++;
      Atomics.store(this.h, FRAMES_R, this.frames | 0);
    }
    if (this.spaceBell.isWaiting && ((this.pos - Atomics.load(this.h, SPACE_AT)) | 0) >= 0) this.spaceBell.ring();
  }

  /**
   * Copies of all whole frames published and not yet consumed, in order, with
   * their indices, without consuming them. Includes the frame being
   * reassembled when its last fragment is published; a frame whose last
   * fragment is not yet published (and everything after it) is left out.
   * `fromIndex`: leave out (and do not copy) whole frames with a lower index.
   */
  peek(fromIndex = 0): IndexedFrame[] {
    this.refresh();
    const out: IndexedFrame[] = [];
    let p = this.pos;
    let index = this.frames;
    let parts: Uint8Array[] | null = this.assembled >= 0 ? [this.scratch.slice(0, this.assembled)] : null;
    let partKind = this.assembledKind;
    let partBytes = this.assembled >= 0 ? this.assembled : 0;
    while (p !== this.writeCache) {
      const off = p & this.mask;
      const len = this.dv.getUint32(off, true);
      const kind = this.u8[off + 4]!;
      const flags = this.u8[off + 5]!;
      const size = CHUNK_HEADER_BYTES + align8(len);
      if (kind === 0 || size > ((this.writeCache - p) >>> 0)) break;
      if (flags === 0 && index < fromIndex) {
        p = (p + size) >>> 0;
        index++;
        continue;
      }
      const payload = new Uint8Array(len);
      this.copyOut((off + CHUNK_HEADER_BYTES) & this.mask, len, payload, 0);
      p = (p + size) >>> 0;
      if (flags === 0) {
        out.push({ kind, payload, index: index++ });
        continue;
      }
      if ((flags & CONT) === 0) {
        parts = [];
        partKind = kind;
        partBytes = 0;
      }
      if (parts === null) break; // inconsistent; readFrame reports corruption
      parts.push(payload);
      partBytes += len;
      if ((flags & MORE) === 0) {
        const whole = new Uint8Array(partBytes);
        let at = 0;
        for (const part of parts) {
          whole.set(part, at);
          at += part.length;
        }
        out.push({ kind: partKind, payload: whole, index: index++ });
        parts = null;
      }
    }
    return out;
  }

  /**
   * Wait (without spinning) for the next whole frame; resolves null once the
   * ring is closed and everything published before the close was consumed.
   */
  async read(): Promise<IndexedFrame | null> {
    for (;;) {
      const f = this.readFrame(false, true);
      if (f !== null) return f;
      if (this.isClosed) return this.readFrame(false, true);
      const token = this.dataBell.prepareWait();
      if (this.hasUnread() || this.isClosed) {
        this.dataBell.cancelWait();
        continue;
      }
      await this.dataBell.wait(token);
    }
  }
}
