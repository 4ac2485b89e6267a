/**
 * Encoding of state values: Weir's tagged value codec (common/codec/tagged-values.ts), the
 * same one records use on channels. Every value decodes on its own (snapshots must be readable
 * after a restore in another process) and reads back exactly: -0, NaN, ±Infinity, bigints,
 * undefined fields, Dates (also invalid ones), Maps, Sets, Buffers, typed arrays and an own
 * `__proto__` key survive. (msgpackr, used before, turned -0 into 0, Maps into objects and
 * `__proto__` into `__proto_`.)
 *
 * `packValue` returns a view into a reused buffer: copy it (or consume it) before the next
 * `packValue` call. `packValueCopy` returns an owned copy.
 */
import { ByteSink, ByteSource } from '../common/codec/byte-buffers.ts';
import { notDataReason, readValue, writeValue } from '../common/codec/tagged-values.ts';
import { WeirError, preview } from '../common/weir-error.ts';

const sink = new ByteSink(1 << 12);
/** A sink grown past this is dropped after use, so one huge value does not pin its buffer. */
const RETAIN_BYTES = 1 << 20;

/** Encodes a state value (view valid until the next call). Throws `WEIR_INVALID_STATE_VALUE`. */
export function packValue(value: unknown): Buffer {
  sink.shrink(RETAIN_BYTES, 1 << 12);
  sink.pos = 0;
  try {
    writeValue(sink, value);
  } catch (cause) {
    throw new WeirError('WEIR_INVALID_STATE_VALUE', `Cannot encode state value ${preview(value)}: ${(cause as Error).message}`, {}, { cause });
  }
  return Buffer.from(sink.buf.buffer, sink.buf.byteOffset, sink.pos);
}

/** Throws `WEIR_INVALID_STATE_VALUE` for a value {@link packValue} would refuse (the heap backend stores values without encoding them). */
export function checkStateValue(value: unknown): void {
  if (typeof value !== 'object' && typeof value !== 'function' && typeof value !== 'symbol') return; // primitives: the common case
  const why = notDataReason(value);
  if (why !== undefined) throw new WeirError('WEIR_INVALID_STATE_VALUE', `Cannot store state value ${preview(value)}: ${why} (state values are data: a checkpoint could not hold it)`, {});
}

/** Encodes a state value into a fresh buffer. */
export function packValueCopy(value: unknown): Buffer {
  return Buffer.from(packValue(value));
}

/** The cursor of the last decode, reused while reads come from the same buffer (lmdb reuses its read buffer). */
let source: ByteSource | undefined;

/** Decodes `bytes[start, end)` (works on lmdb's reused read buffer; the result shares no memory with it). */
export function unpackValueRange(bytes: Uint8Array, start: number, end: number): unknown {
  try {
    if (source === undefined || source.u8 !== bytes) source = new ByteSource(bytes);
    const src = source;
    src.pos = start;
    const v = readValue(src);
    if (src.pos !== end) throw new Error(src.pos < end ? `${end - src.pos} bytes left over` : `read ${src.pos - end} bytes past the value`);
    return v;
  } catch (cause) {
    throw new WeirError('WEIR_STATE_CORRUPT', `Cannot decode a stored state value (${end - start} bytes): ${(cause as Error).message}`, {}, { cause });
  }
}

/** Decodes bytes produced by {@link packValue}; the result shares no memory with `bytes`. */
export function unpackValue(bytes: Uint8Array): unknown {
  return unpackValueRange(bytes, 0, bytes.length);
}
