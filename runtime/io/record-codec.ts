/**
 * Record batches: JS records (+ optional per-record event timestamps) ⇄ the
 * bytes of ONE RecordBatch frame. Every batch decodes on its own — no state
 * shared between batches or with the encoder — because checkpointed channel
 * data is replayed after a restore, possibly in another process.
 *
 * ```
 * batch      0 u8 0xB7 magic · 1 u8 version 1 · 2 u8 flags (bit 0: timestamps) · 3 u8 0
 *            4 u32 record count · then segments · then, if flagged, count × f64 timestamps
 * segment    u8 type (1 shaped, 2 tagged) · u32 records · u32 body bytes · body
 *   shaped   shape header + one row per record          (record-shapes.ts)
 *   tagged   one self-describing value per record       (tagged-values.ts)
 * ```
 * Records keep their order across segments. The builder opens a shaped
 * segment whenever a record has a shape (the previous batch's shape is tried
 * first) and switches segments when the shape changes; after 16 switches in
 * one batch it stays tagged (mixed streams must not pay a header per record).
 * A missing timestamp is NaN (a batch with no timestamp at all stores none).
 *
 * Round trip is exact for numbers (-0, NaN, ±Infinity, fractions), strings
 * (any: lone surrogates as WTF-8, byte-buffers.ts), booleans, null,
 * undefined, bigint, arrays, plain and null-prototype objects (including an
 * own `__proto__` key), Uint8Array, Buffer, Date (also invalid), Map, Set,
 * typed arrays and ArrayBuffer. See tagged-values.ts for the rest.
 *
 * Why this codec (4-field records `{ id: int, key: 'key-1234', value: float,
 * ok: bool }`, batches of 1 000, one core of this 2-vCPU host, Node 20.20,
 * `npm run bench:channels` prints the current figures; they vary ~1.5× run to run):
 * ```
 *   codec                              self-contained  encode/s  decode/s  bytes/record
 *   JSON                                    yes          2.1 M     2.8 M      57.7
 *   msgpackr maps (useRecords: false)       yes          4.9 M     2.9 M      40.8
 *   msgpackr records, inline structures     yes          6.7 M    11.8 M      22.8
 *   msgpackr shared structures              NO           6.4 M    12.1 M      22.8
 *   Weir tagged path (tagged-values.ts)     yes          5.2 M     2.6 M      42.7
 *   Weir shaped path (record-shapes.ts)     yes         16.8 M    20.4 M      21.9
 * ```
 * Choice: the shaped path for records of a common shape (2.5× the encode and
 * 1.7× the decode rate of the best self-contained msgpackr variant, and
 * smaller), and an own tagged format for everything else — about msgpackr's
 * speed for maps, but exact where msgpackr 2.1.3 is not (-0 → 0, an own
 * `__proto__` key → `__proto_`; Uint8Array → Buffer unless `moreTypes`). msgpackr's shared
 * structures are faster still but are state shared outside the batch, which
 * a restored channel replay cannot rely on. Through a ring between two
 * workers (encode → 64 KiB frame → decode) the shaped path moves ~16 M
 * records/s.
 */
import { ByteSink, ByteSource, corrupt } from '../../common/codec/byte-buffers.ts';
import { inferShape, readShapeHeader, writeShapeHeader, type RecordShape } from './record-shapes.ts';
import { readValue, writeValue } from '../../common/codec/tagged-values.ts';
import { WeirError } from '../../common/weir-error.ts';

const MAGIC = 0xb7;
const VERSION = 1;
const HEADER_BYTES = 8;
const SEGMENT_HEADER_BYTES = 9;
const SHAPED = 1;
const TAGGED = 2;
const FLAG_TIMESTAMPS = 1;
const MAX_SWITCHES = 16;
/** By default, a builder whose buffer grew past this (one huge batch) drops it before the next batch. */
const SHRINK_ABOVE_BYTES = 4 << 20;
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A decoded batch. `timestamps[i]` is record i's event time (NaN = none), or null if the batch has none. */
export interface DecodedBatch {
  records: unknown[];
  timestamps: Float64Array | null;
}

/**
 * Accumulates the records of one output channel into one batch. `byteLength`
 * is exact (the bytes `finish` would return), so the runtime can flush at
 * ~N KiB or M records. Call order: `add`… → `finish()`/`finishView()` → the
 * builder is empty again, ready for the next batch.
 */
export class BatchBuilder {
  private readonly sink: ByteSink;
  private readonly initialBytes: number;
  private records = 0;
  private timestamps: Float64Array | null = null;
  private spareTimestamps: Float64Array | null = null;
  private segStart = -1;
  private segType = 0;
  private segCount = 0;
  private shape: RecordShape | null = null;
  private switches = 0;
  private readonly shrinkAboveBytes: number;

  /** `shrinkAboveBytes`: a buffer that grew past it (one huge batch) is dropped before the next batch (default 4 MiB). */
  constructor(options: { initialBytes?: number; shrinkAboveBytes?: number } = {}) {
    this.initialBytes = Math.max(64, options.initialBytes ?? 1 << 16);
    this.shrinkAboveBytes = Math.max(this.initialBytes, options.shrinkAboveBytes ?? SHRINK_ABOVE_BYTES);
    this.sink = new ByteSink(this.initialBytes);
    this.sink.pos = HEADER_BYTES;
  }

  /** Records added since the last finish. */
  get count(): number {
    return this.records;
  }

  /** Exact size in bytes of the batch if finished now. */
  get byteLength(): number {
    return this.sink.pos + (this.timestamps !== null ? this.records * 8 : 0);
  }

  /** Append a record (and its event timestamp, if any). Throws WEIR_RECORD_NOT_SERIALIZABLE for functions/symbols/cycles. */
  add(record: unknown, timestamp?: number): void {
    if (this.records === 0 && this.segStart < 0) this.sink.shrink(this.shrinkAboveBytes, this.initialBytes);
    const hadTimestamps = this.timestamps !== null;
    if (timestamp !== undefined || hadTimestamps) this.addTimestamp(timestamp);
    if (this.segType === SHAPED && this.shape!.encode(record, this.sink)) {
      this.segCount++;
      this.records++;
      return;
    }
    try {
      this.addSlow(record);
    } catch (err) {
      if (!hadTimestamps) this.timestamps = null;
      throw err;
    }
  }

  private addTimestamp(timestamp: number | undefined): void {
    if (timestamp !== undefined && typeof timestamp !== 'number') {
      throw new WeirError('WEIR_INVALID_TIMESTAMP', `A record timestamp must be a number (epoch ms), got ${typeof timestamp}`, { timestamp: String(timestamp) });
    }
    let ts = this.timestamps;
    if (ts === null) {
      // The previous batch's array when it is large enough (a batch of event-time records would
      // otherwise allocate it anew, doubling from 64, every batch).
      const spare = this.spareTimestamps;
      ts = this.timestamps = spare !== null && spare.length > this.records ? spare : new Float64Array(Math.max(64, this.records * 2));
      ts.fill(NaN, 0, this.records); // the records before the first timestamp have none
    } else if (this.records >= ts.length) {
      const next = new Float64Array(ts.length * 2).fill(NaN);
      next.set(ts);
      ts = this.timestamps = next;
    }
    ts[this.records] = timestamp ?? NaN;
  }

  private addSlow(record: unknown): void {
    if (this.switches < MAX_SWITCHES) {
      const prev = this.shape;
      const next = prev !== null && this.segType !== SHAPED && prev.test(record) ? prev : inferShape(record, prev);
      if (next !== null) {
        this.openSegment(SHAPED, next);
        next.encode(record, this.sink); // cannot fail: the shape was made from / tested on this record
        this.segCount++;
        this.records++;
        return;
      }
    }
    if (this.segType !== TAGGED) this.openSegment(TAGGED, null);
    const before = this.sink.pos;
    try {
      writeValue(this.sink, record);
    } catch (err) {
      this.sink.pos = before; // the batch stays as it was before this record
      throw err;
    }
    this.segCount++;
    this.records++;
  }

  private openSegment(type: number, shape: RecordShape | null): void {
    if (this.segStart >= 0 && this.segCount > 0) this.switches++;
    this.closeSegment();
    const sink = this.sink;
    this.segStart = sink.pos;
    sink.ensure(SEGMENT_HEADER_BYTES);
    sink.buf[sink.pos] = type;
    sink.pos += SEGMENT_HEADER_BYTES;
    if (shape !== null) {
      writeShapeHeader(shape, sink);
      this.shape = shape;
    }
    this.segType = type;
    this.segCount = 0;
  }

  private closeSegment(): void {
    if (this.segStart < 0) return;
    const sink = this.sink;
    if (this.segCount === 0) {
      sink.pos = this.segStart; // drop an empty segment
    } else {
      sink.dv.setUint32(this.segStart + 1, this.segCount, true);
      sink.dv.setUint32(this.segStart + 5, sink.pos - this.segStart - SEGMENT_HEADER_BYTES, true);
    }
    this.segStart = -1;
    this.segType = 0;
    this.segCount = 0;
  }

  /**
   * Finish the batch: its bytes as a view on the builder's memory, valid until
   * the next `add` — e.g. `if (!writer.tryWrite(kind, b.finishView()))` needs a
   * copy before queueing (or use `finish`).
   */
  finishView(): Uint8Array {
    this.closeSegment();
    const sink = this.sink;
    const n = this.records;
    const ts = this.timestamps;
    sink.buf[0] = MAGIC;
    sink.buf[1] = VERSION;
    sink.buf[2] = ts !== null ? FLAG_TIMESTAMPS : 0;
    sink.buf[3] = 0;
    sink.dv.setUint32(4, n, true);
    if (ts !== null) {
      sink.ensure(n * 8);
      if (littleEndian) sink.buf.set(new Uint8Array(ts.buffer, 0, n * 8), sink.pos);
      else for (let i = 0; i < n; i++) sink.dv.setFloat64(sink.pos + i * 8, ts[i]!, true);
      sink.pos += n * 8;
    }
    const out = sink.buf.subarray(0, sink.pos);
    sink.pos = HEADER_BYTES;
    this.records = 0;
    if (ts !== null) this.spareTimestamps = ts;
    this.timestamps = null;
    this.switches = 0;
    return out;
  }

  /** Finish the batch: its bytes as a new array the caller owns. */
  finish(): Uint8Array {
    return this.finishView().slice();
  }
}

let shared: BatchBuilder | null = null;

/** Encode a batch of records (with per-record timestamps, or null/undefined for none) into bytes the caller owns. */
export function encodeBatch(records: readonly unknown[], timestamps?: ArrayLike<number> | null): Uint8Array {
  if (timestamps != null && timestamps.length !== records.length) {
    throw new WeirError('WEIR_INVALID_TIMESTAMP', `Got ${timestamps.length} timestamps for ${records.length} records`, {});
  }
  const b = shared ?? new BatchBuilder();
  shared = null; // re-entrant calls (a record's getter encoding a batch) get their own builder
  try {
    for (let i = 0; i < records.length; i++) b.add(records[i], timestamps != null ? timestamps[i] : undefined);
    return b.finish();
  } catch (err) {
    b.finishView(); // reset
    throw err;
  } finally {
    shared = b;
  }
}

/** Decode bytes made by `encodeBatch`/`BatchBuilder`. Throws WEIR_CORRUPT_RECORD_BATCH on anything else. */
export function decodeBatch(bytes: Uint8Array): DecodedBatch {
  try {
    return decode(bytes);
  } catch (err) {
    if (err instanceof WeirError) throw err;
    throw corrupt((err as Error).message);
  }
}

function decode(bytes: Uint8Array): DecodedBatch {
  if (bytes.length < HEADER_BYTES || bytes[0] !== MAGIC) throw corrupt('not a record batch (bad magic)');
  if (bytes[1] !== VERSION) throw corrupt(`unsupported version ${bytes[1]}`);
  const src = new ByteSource(bytes, HEADER_BYTES);
  const n = src.dv.getUint32(4, true);
  const hasTs = (bytes[2]! & FLAG_TIMESTAMPS) !== 0;
  const tsBytes = hasTs ? n * 8 : 0;
  const bodyEnd = bytes.length - tsBytes;
  if (bodyEnd < HEADER_BYTES) throw corrupt('truncated');
  const records = new Array<unknown>(n);
  let at = 0;
  while (at < n) {
    if (src.pos + SEGMENT_HEADER_BYTES > bodyEnd) throw corrupt('truncated segment header');
    const type = src.u8at();
    const count = src.u32();
    const length = src.u32();
    const end = src.pos + length;
    if (count === 0 || count > n - at || end > bodyEnd) throw corrupt('bad segment header');
    if (type === SHAPED) {
      readShapeHeader(src).decode(src, count, records, at);
    } else if (type === TAGGED) {
      for (let i = 0; i < count; i++) records[at + i] = readValue(src);
    } else {
      throw corrupt(`unknown segment type ${type}`);
    }
    if (src.pos !== end) throw corrupt('segment length mismatch');
    at += count;
  }
  if (src.pos !== bodyEnd) throw corrupt('trailing bytes');
  let timestamps: Float64Array | null = null;
  if (hasTs) {
    timestamps = new Float64Array(n);
    if (littleEndian) new Uint8Array(timestamps.buffer).set(bytes.subarray(bodyEnd, bodyEnd + tsBytes));
    else for (let i = 0; i < n; i++) timestamps[i] = src.dv.getFloat64(bodyEnd + i * 8, true);
  }
  return { records, timestamps };
}
