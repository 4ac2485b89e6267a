/**
 * Stream elements on the wire: each element is ONE channel frame whose kind
 * byte says what it is. Record batches carry record-codec bytes untouched
 * (decode them with record-codec.ts); the control elements have fixed
 * little-endian layouts:
 *
 * ```
 * kind 1 RecordBatch       payload = record-codec batch bytes (see record-codec.ts)
 * kind 2 Barrier           40 bytes ┐ in-band, on the data lane
 * kind 3 PriorityBarrier   40 bytes ┘ on the priority lane (unaligned barrier, or
 *                                     the announcement in aligned-with-timeout mode)
 *        0  f64 checkpointId      integer 0 … 2^53−1
 *        8  f64 timestamp         epoch ms when the coordinator triggered it
 *       16  f64 alignedTimeoutMs  ≥ 0 (0 unless alignment = aligned-with-timeout)
 *       24  f64 position          data-lane frame index the barrier sits at / precedes
 *       32  u8  kind              0 checkpoint, 1 savepoint
 *       33  u8  alignment         0 aligned, 1 unaligned, 2 aligned-with-timeout
 *       34  u16 0, 36 u32 0       reserved (written as 0, ignored on read)
 * kind 4 Watermark          8 bytes: f64 timestamp (epoch ms; ±Infinity allowed)
 * kind 5 EndOfPartition     0 bytes
 * kind 7 EndOfData          0 bytes   (no more records/watermarks; barriers may still follow)
 * kind 6 CancelCheckpoint   8 bytes: f64 checkpointId
 * kind 8 WatermarkStatus    1 byte: 0 active, 1 idle (Flink's WatermarkStatus: an idle channel
 *                                   does not hold back the receiver's watermark)
 * ```
 * Float64 holds every integer up to 2^53 exactly, so ids and positions need no
 * BigInt. Kinds 9…255 are free for future elements; decoding an unknown kind
 * or a payload of the wrong size throws (a corrupted channel must not be
 * silently misread after a restore).
 */
import { WeirError, preview } from '../../common/weir-error.ts';
import type { Frame } from '../../actors/in-worker.ts';

/** Frame kind bytes of the stream elements. */
export const ElementKind = {
  RecordBatch: 1,
  Barrier: 2,
  PriorityBarrier: 3,
  Watermark: 4,
  EndOfPartition: 5,
  CancelCheckpoint: 6,
  EndOfData: 7,
  WatermarkStatus: 8,
} as const;

/** Frame kind of record batches (the hot path). */
export const RECORD_BATCH_KIND = ElementKind.RecordBatch;

/** Checkpoint or savepoint (savepoints are always aligned). */
export type CheckpointKind = 'checkpoint' | 'savepoint';
/** How the receiving subtasks must handle the barriers of one checkpoint (chosen by checkpoint-config.ts). */
export type BarrierAlignment = 'aligned' | 'unaligned' | 'aligned-with-timeout';

/** Barrier n, in-band (data lane) or priority (priority lane), as encoded here and decoded by the task. */
export interface CheckpointBarrier {
  readonly checkpointId: number;
  /** Global trigger time (coordinator clock, epoch ms). */
  readonly timestamp: number;
  readonly kind: CheckpointKind;
  /** Savepoints are always `'aligned'`. */
  readonly alignment: BarrierAlignment;
  /** For `'aligned-with-timeout'`: switch to unaligned once more than this has passed since `timestamp`; 0 otherwise. */
  readonly alignedTimeoutMs: number;
  /** Data-lane frame index at which the in-band copy sits / before which the overtaken data lies. */
  readonly position: number;
}

/** One element of a stream as it travels through a channel. */
export type StreamElement =
  | { readonly type: 'record-batch'; readonly bytes: Uint8Array }
  | { readonly type: 'barrier'; readonly barrier: CheckpointBarrier }
  | { readonly type: 'priority-barrier'; readonly barrier: CheckpointBarrier }
  | { readonly type: 'watermark'; readonly timestamp: number }
  | { readonly type: 'watermark-status'; readonly idle: boolean }
  | { readonly type: 'end-of-partition' }
  | { readonly type: 'end-of-data' }
  | { readonly type: 'cancel-checkpoint'; readonly checkpointId: number };

const BARRIER_BYTES = 40;
const CHECKPOINT_KINDS: readonly CheckpointKind[] = ['checkpoint', 'savepoint'];
const ALIGNMENTS: readonly BarrierAlignment[] = ['aligned', 'unaligned', 'aligned-with-timeout'];
const EMPTY = new Uint8Array(0);
const IDLE = Uint8Array.of(1);
const ACTIVE = Uint8Array.of(0);

/** True for the record batch kind: such frames go to the record codec, not to `decodeElement`. */
export function isRecordBatch(kind: number): boolean {
  return kind === RECORD_BATCH_KIND;
}

/** True for kinds this module knows. */
export function isElementKind(kind: number): boolean {
  return Number.isInteger(kind) && kind >= ElementKind.RecordBatch && kind <= ElementKind.WatermarkStatus;
}

function invalid(what: string, value: unknown): WeirError {
  return new WeirError('WEIR_INVALID_ELEMENT', `Cannot encode stream element: ${what} (got ${preview(value)})`, { value });
}

function checkId(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw invalid(`${name} must be an integer 0 … 2^53−1`, v);
}

function encodeBarrier(kind: number, b: CheckpointBarrier): Frame {
  checkId('barrier checkpointId', b.checkpointId);
  checkId('barrier position', b.position);
  if (!Number.isFinite(b.timestamp)) throw invalid('barrier timestamp must be a finite number', b.timestamp);
  if (!(b.alignedTimeoutMs >= 0)) throw invalid('barrier alignedTimeoutMs must be ≥ 0', b.alignedTimeoutMs);
  const k = CHECKPOINT_KINDS.indexOf(b.kind);
  const a = ALIGNMENTS.indexOf(b.alignment);
  if (k < 0) throw invalid('barrier kind must be checkpoint or savepoint', b.kind);
  if (a < 0) throw invalid('barrier alignment must be aligned, unaligned or aligned-with-timeout', b.alignment);
  const payload = new Uint8Array(BARRIER_BYTES);
  const dv = new DataView(payload.buffer);
  dv.setFloat64(0, b.checkpointId, true);
  dv.setFloat64(8, b.timestamp, true);
  dv.setFloat64(16, b.alignedTimeoutMs, true);
  dv.setFloat64(24, b.position, true);
  payload[32] = k;
  payload[33] = a;
  return { kind, payload };
}

function f64(value: number): Uint8Array {
  const payload = new Uint8Array(8);
  new DataView(payload.buffer).setFloat64(0, value, true);
  return payload;
}

/** Encode an element as a frame (kind byte + payload). RecordBatch bytes are passed through, not copied. */
export function encodeElement(el: StreamElement): Frame {
  switch (el.type) {
    case 'record-batch':
      if (!(el.bytes instanceof Uint8Array)) throw invalid('record-batch bytes must be a Uint8Array', typeof el.bytes);
      return { kind: ElementKind.RecordBatch, payload: el.bytes };
    case 'barrier':
      return encodeBarrier(ElementKind.Barrier, el.barrier);
    case 'priority-barrier':
      return encodeBarrier(ElementKind.PriorityBarrier, el.barrier);
    case 'watermark':
      if (typeof el.timestamp !== 'number' || Number.isNaN(el.timestamp)) throw invalid('watermark timestamp must be a number', el.timestamp);
      return { kind: ElementKind.Watermark, payload: f64(el.timestamp) };
    case 'watermark-status':
      if (typeof el.idle !== 'boolean') throw invalid('watermark-status idle must be a boolean', el.idle);
      return { kind: ElementKind.WatermarkStatus, payload: el.idle ? IDLE : ACTIVE };
    case 'end-of-partition':
      return { kind: ElementKind.EndOfPartition, payload: EMPTY };
    case 'end-of-data':
      return { kind: ElementKind.EndOfData, payload: EMPTY };
    case 'cancel-checkpoint':
      checkId('cancel-checkpoint checkpointId', el.checkpointId);
      return { kind: ElementKind.CancelCheckpoint, payload: f64(el.checkpointId) };
    default:
      throw invalid('unknown element type', (el as { type?: unknown }).type);
  }
}

function corrupt(kind: number, payload: Uint8Array, why: string): WeirError {
  return new WeirError('WEIR_CORRUPT_ELEMENT', `Corrupt stream element of kind ${kind}: ${why}`, { kind, bytes: payload.length });
}

function view(payload: Uint8Array): DataView {
  return new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
}

function decodeBarrier(kind: number, payload: Uint8Array): CheckpointBarrier {
  if (payload.length !== BARRIER_BYTES) throw corrupt(kind, payload, `a barrier has ${BARRIER_BYTES} bytes`);
  const dv = view(payload);
  const k = CHECKPOINT_KINDS[payload[32]!];
  const a = ALIGNMENTS[payload[33]!];
  if (k === undefined || a === undefined) throw corrupt(kind, payload, 'bad barrier kind or alignment byte');
  return {
    checkpointId: dv.getFloat64(0, true),
    timestamp: dv.getFloat64(8, true),
    kind: k,
    alignment: a,
    alignedTimeoutMs: dv.getFloat64(16, true),
    position: dv.getFloat64(24, true),
  };
}

/**
 * Decode a frame into an element. A RecordBatch element's `bytes` is the
 * given payload itself (not copied): if it is a ring view, decode it before
 * the next read.
 */
export function decodeElement(kind: number, payload: Uint8Array): StreamElement {
  switch (kind) {
    case ElementKind.RecordBatch:
      return { type: 'record-batch', bytes: payload };
    case ElementKind.Barrier:
      return { type: 'barrier', barrier: decodeBarrier(kind, payload) };
    case ElementKind.PriorityBarrier:
      return { type: 'priority-barrier', barrier: decodeBarrier(kind, payload) };
    case ElementKind.Watermark:
      if (payload.length !== 8) throw corrupt(kind, payload, 'a watermark has 8 bytes');
      return { type: 'watermark', timestamp: view(payload).getFloat64(0, true) };
    case ElementKind.EndOfPartition:
      if (payload.length !== 0) throw corrupt(kind, payload, 'end-of-partition has no payload');
      return { type: 'end-of-partition' };
    case ElementKind.EndOfData:
      if (payload.length !== 0) throw corrupt(kind, payload, 'end-of-data has no payload');
      return { type: 'end-of-data' };
    case ElementKind.CancelCheckpoint:
      if (payload.length !== 8) throw corrupt(kind, payload, 'a cancel marker has 8 bytes');
      return { type: 'cancel-checkpoint', checkpointId: view(payload).getFloat64(0, true) };
    case ElementKind.WatermarkStatus:
      if (payload.length !== 1 || payload[0]! > 1) throw corrupt(kind, payload, 'a watermark status is one byte, 0 or 1');
      return { type: 'watermark-status', idle: payload[0] === 1 };
    default:
      throw new WeirError('WEIR_UNKNOWN_ELEMENT_KIND', `Unknown stream element kind ${kind} (known: ${ElementKind.RecordBatch} … ${ElementKind.WatermarkStatus})`, { kind, bytes: payload.length });
  }
}
