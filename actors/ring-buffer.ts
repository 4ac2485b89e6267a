/**
 * Single-producer single-consumer ring of variable-length frames over a
 * SharedArrayBuffer. One {@link RingWriter} (one thread) and one
 * {@link RingReader} (another thread, or the same) attach to the buffer made by
 * {@link createRingBuffer}.
 *
 * ```
 * byte 0    ┌───────────── header, Int32 words (128 bytes) ──────────────┐
 *           │ writer line  [0] WRITE_POS   u32 byte counter, wraps 2^32   │ writer: Atomics.store = publish
 *           │              [1] FRAMES_W    u32 whole frames published     │
 *           │              [2] DATA_SEQ    ┐ doorbell a reader sleeps on  │
 *           │              [3] READER_WAIT ┘ (actors/doorbell.ts)         │
 *           │              [4] CLOSED      1 once either side closed      │
 *           │              [5] CAPACITY    data bytes (power of two)      │
 *           │              [6] MAGIC                                      │
 * byte 64   │ reader line [16] READ_POS    u32 byte counter, wraps 2^32   │ reader: Atomics.store = release
 *           │             [17] FRAMES_R    u32 whole frames consumed      │
 *           │             [18] SPACE_SEQ   ┐ doorbell a writer sleeps on  │
 *           │             [19] WRITER_WAIT ┘                              │
 *           │             [20] SPACE_AT    READ_POS the sleeping writer needs
 *           │             [21] LIMIT       bytes the writer may keep (0 = CAPACITY)
 * byte 128  ├───────────── data area: CAPACITY bytes ─────────────────────┤
 *           │ … ┌─chunk header (8 B, 8-aligned)─┐┌─payload─┐pad to 8 …     │
 *           │   │u32 len│u8 kind│u8 flags│u16 0 ││ len B   │               │
 *           └─────────────────────────────────────────────────────────────┘
 * ```
 * - Positions are free-running u32 counters; the offset of a position is
 *   `pos & (CAPACITY - 1)`, hence the power-of-two capacity (requests are
 *   rounded up). used = (WRITE_POS − READ_POS) mod 2^32. Empty: used = 0.
 *   Full: a chunk needing `n` bytes does not fit while CAPACITY − used < n.
 *   No slot is sacrificed: the counters never alias because used ≤ CAPACITY ≤ 2^30.
 * - Chunk headers are 8-aligned and the capacity is a multiple of 8, so a
 *   header is never split. A payload may wrap past the end of the data area
 *   and continue at offset 0 (two copies, no padding chunk, no wasted space).
 *   A chunk occupies `8 + align8(len)` bytes.
 * - Publish: the writer copies header + payload, then ONE `Atomics.store` of
 *   WRITE_POS (then FRAMES_W, then rings the doorbells). The reader copies the
 *   payload out, then ONE `Atomics.store` of READ_POS (then FRAMES_R). The
 *   seq-cst store/load pair orders the plain byte copies (no torn frames).
 *
 * Fragmentation (frames larger than the ring): `tryWrite` only takes a frame
 * that fits whole right now. `write` waits for space; a frame whose chunk would
 * exceed CAPACITY is cut into fragments (flags MORE = another fragment
 * follows, CONT = continues the previous one) written as space frees — each
 * fragment once at least min(rest, CAPACITY/2) bytes are free, to avoid
 * trickling tiny fragments. The reader consumes fragments as they come (that
 * frees the ring), reassembles them in a private buffer and returns only whole
 * frames. Frames that fit the ring are never fragmented. Frame counters and
 * indices count whole frames: the frame being fragmented gets its index when
 * its last fragment is published/consumed, so indices are identical on both
 * sides. `peek` never returns a frame whose last fragment is not published.
 *
 * Limit (buffer debloating, Flink's FLIP-183): the reader may store in LIMIT the
 * bytes the writer may keep on the ring; the writer then treats min(CAPACITY,
 * LIMIT) as the capacity, except that a chunk always fits an EMPTY ring (so a
 * frame larger than the limit waits for the ring to drain, never forever). The
 * reader rings the space doorbell after changing it (ring-writer.ts).
 *
 * Memory of returned frames: `tryRead`/`read`/`peek` return copies the caller
 * owns; `tryReadView` returns a reused frame object whose payload is a view on
 * the reader's scratch buffer, valid until the next read call on that reader.
 * A payload given to `write` must stay unchanged until its promise settles.
 *
 * Files: ring-layout.ts (constants, shared base), ring-writer.ts, ring-reader.ts;
 * this module is the public entry (allocation + re-exports).
 */
import { WeirError } from '../common/weir-error.ts';
import { CAPACITY, CHUNK_HEADER_BYTES, LIMIT, MAGIC, MAGIC_VALUE, MAX_CAPACITY, MIN_CAPACITY, RING_HEADER_BYTES, R_POS, W_POS, align8, attach, usableCapacity } from './ring-layout.ts';

export { RingWriter } from './ring-writer.ts';
export { RingReader } from './ring-reader.ts';
export { RING_HEADER_BYTES, CHUNK_HEADER_BYTES, type Frame, type IndexedFrame } from './ring-layout.ts';

/** Bytes a frame of `payloadBytes` occupies in the ring when not fragmented. */
export function frameFootprint(payloadBytes: number): number {
  return CHUNK_HEADER_BYTES + align8(payloadBytes);
}

/** Allocate a ring. The data capacity is `capacityBytes` rounded up to a power of two (64 B … 1 GiB). */
export function createRingBuffer(capacityBytes: number): SharedArrayBuffer {
  if (!Number.isInteger(capacityBytes) || capacityBytes < 1 || capacityBytes > MAX_CAPACITY) {
    throw new WeirError('WEIR_RING_CAPACITY', `Ring capacity must be an integer between 1 and ${MAX_CAPACITY} bytes, got ${capacityBytes}`, { capacityBytes });
  }
  let cap = MIN_CAPACITY;
  while (cap < capacityBytes) cap *= 2;
  const sab = new SharedArrayBuffer(RING_HEADER_BYTES + cap);
  const h = new Int32Array(sab, 0, RING_HEADER_BYTES / 4);
  h[CAPACITY] = cap;
  h[MAGIC] = MAGIC_VALUE;
  return sab;
}

/** Data capacity (bytes) of a ring buffer. */
export function ringCapacity(buffer: SharedArrayBuffer): number {
  return attach(buffer).capacity;
}

/**
 * Bytes published and not yet consumed on a ring, read from its header by any thread (an
 * observer: the job master samples ring occupancy for metrics without touching either end).
 * Two atomic loads; the value may be stale by the time it is used.
 */
export function ringUsedBytes(buffer: SharedArrayBuffer): number {
  const { h } = attach(buffer);
  return (Atomics.load(h, W_POS) - Atomics.load(h, R_POS)) >>> 0;
}

/**
 * Bytes the writer of a ring may keep on it right now (its capacity, or the limit its reader set:
 * buffer debloating), read from its header by any thread (an observer, like {@link ringUsedBytes}).
 */
export function ringUsableBytes(buffer: SharedArrayBuffer): number {
  const { h, capacity } = attach(buffer);
  return usableCapacity(Atomics.load(h, LIMIT), capacity);
}
