/**
 * Shared layout constants and the common base of both ends of a ring buffer.
 * The byte layout, the full/empty rule and the publish step are documented
 * in ring-buffer.ts (the module users import); this file only encodes them.
 */
import { WeirError } from '../common/weir-error.ts';
import { Doorbell } from './doorbell.ts';

/**
 * The unit of every channel: a kind byte (1..255) and its payload, whole (fragmentation of
 * frames larger than a ring is invisible). What a writer sends; runtime/ builds on it
 * (encoded stream elements, unpublished output, persisted in-flight data).
 */
export interface Frame {
  readonly kind: number;
  readonly payload: Uint8Array;
}

/** A frame with its position on a ring: `index` counts whole frames on the ring from 0 (a data-lane position). */
export interface IndexedFrame extends Frame {
  readonly index: number;
}

/** Header word indices (Int32). Writer cache line: 0..15, reader cache line: 16..31. */
export const W_POS = 0, FRAMES_W = 1, DATA_SEQ = 2, READER_WAIT = 3, CLOSED = 4, CAPACITY = 5, MAGIC = 6;
export const R_POS = 16, FRAMES_R = 17, SPACE_SEQ = 18, WRITER_WAIT = 19, SPACE_AT = 20;
/** Reader's cache line: the bytes the writer may keep on the ring (buffer debloating; 0 = the whole capacity). */
export const LIMIT = 21;
export const MAGIC_VALUE = 0x57524247; // "WRBG"
/** Bytes of the ring header that precede the data area. */
export const RING_HEADER_BYTES = 128;
/** Bytes of a chunk header. */
export const CHUNK_HEADER_BYTES = 8;
/** Chunk flags: another fragment follows / this fragment continues the previous one. */
export const MORE = 1, CONT = 2;
export const MIN_CAPACITY = 64, MAX_CAPACITY = 2 ** 30;
/** Round up to a multiple of 8 (chunk alignment). */
export const align8 = (n: number): number => (n + 7) & ~7;

/**
 * The usable capacity under a published limit (`LIMIT` word): the capacity when none is set or
 * it is not below the capacity, else the limit rounded down to a multiple of 8 (chunk alignment),
 * at least {@link MIN_CAPACITY}.
 */
export function usableCapacity(limit: number, capacity: number): number {
  return limit > 0 && limit < capacity ? Math.max(MIN_CAPACITY, limit & ~7) : capacity;
}

/** Validate a ring SAB and view its header. */
export function attach(buffer: SharedArrayBuffer): { h: Int32Array; capacity: number } {
  if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength < RING_HEADER_BYTES + MIN_CAPACITY) {
    throw new WeirError('WEIR_RING_INVALID', 'Not a ring buffer: expected the SharedArrayBuffer made by createRingBuffer()', {});
  }
  const h = new Int32Array(buffer, 0, RING_HEADER_BYTES / 4);
  const capacity = h[CAPACITY]!;
  if (h[MAGIC] !== MAGIC_VALUE || capacity + RING_HEADER_BYTES !== buffer.byteLength) {
    throw new WeirError('WEIR_RING_INVALID', 'Not a ring buffer: bad magic or size in the header', { byteLength: buffer.byteLength });
  }
  return { h, capacity };
}

/** The error every write/wait raises once the ring is closed. */
export function closedError(side: string): WeirError {
  return new WeirError('WEIR_RING_CLOSED', `Cannot ${side}: the ring buffer was closed`, {});
}

/** Shared plumbing of both ends. */
export abstract class RingEnd {
  /** The shared memory of the ring. */
  readonly buffer: SharedArrayBuffer;
  /** Data bytes of the ring (power of two). */
  readonly capacity: number;
  protected readonly h: Int32Array;
  protected readonly u8: Uint8Array;
  protected readonly dv: DataView;
  protected readonly mask: number;
  protected readonly dataBell: Doorbell;
  protected readonly spaceBell: Doorbell;

  constructor(buffer: SharedArrayBuffer) {
    const { h, capacity } = attach(buffer);
    this.buffer = buffer;
    this.capacity = capacity;
    this.h = h;
    this.u8 = new Uint8Array(buffer, RING_HEADER_BYTES, capacity);
    this.dv = new DataView(buffer, RING_HEADER_BYTES, capacity);
    this.mask = capacity - 1;
    this.dataBell = new Doorbell(h, DATA_SEQ, READER_WAIT);
    this.spaceBell = new Doorbell(h, SPACE_SEQ, WRITER_WAIT);
  }

  /** True once either side called `close()`. */
  get isClosed(): boolean {
    return Atomics.load(this.h, CLOSED) !== 0;
  }

  /** Bytes the writer may keep on the ring now: the capacity, or the limit the reader set (`RingReader.setLimit`). */
  get usableBytes(): number {
    return usableCapacity(Atomics.load(this.h, LIMIT), this.capacity);
  }

  /** Bytes published and not yet consumed (a snapshot). */
  get usedBytes(): number {
    return (Atomics.load(this.h, W_POS) - Atomics.load(this.h, R_POS)) >>> 0;
  }

  /** Mark the ring closed and wake every sleeper on both sides. Idempotent. */
  close(): void {
    Atomics.store(this.h, CLOSED, 1);
    this.dataBell.forceRing();
    this.spaceBell.forceRing();
  }
}

/** Validate a frame handed to a writer. */
export function checkFrame(kind: number, payload: Uint8Array): void {
  if (!Number.isInteger(kind) || kind < 1 || kind > 255) {
    throw new WeirError('WEIR_RING_FRAME_KIND', `Frame kind must be an integer 1..255, got ${kind}`, { kind });
  }
  if (!(payload instanceof Uint8Array)) {
    throw new WeirError('WEIR_RING_FRAME_PAYLOAD', 'Frame payload must be a Uint8Array', { type: typeof payload });
  }
}

