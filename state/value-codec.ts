/**
 * Encoding of state values: plain msgpack (no record extension, no shared structures, so every
 * value decodes on its own — snapshots must be readable after restore in another process).
 * `moreTypes` keeps Map/Set/typed arrays; bigints beyond 64 bits use msgpackr's extension.
 *
 * `packValue` returns a view into msgpackr's reused buffer: copy it (or consume it) before the
 * next `packValue` call. `packValueCopy` returns an owned copy.
 */
import { Packr } from 'msgpackr';
import { WeirError, preview } from '../common/weir-error.ts';

const packr = new Packr({ useRecords: false, moreTypes: true, copyBuffers: true, useBigIntExtension: true, int64AsType: 'bigint' });

/** Encodes a state value (view valid until the next call). Throws `WEIR_INVALID_STATE_VALUE`. */
export function packValue(value: unknown): Buffer {
  try {
    return packr.pack(value);
  } catch (cause) {
    throw new WeirError('WEIR_INVALID_STATE_VALUE', `Cannot encode state value ${preview(value)}: ${(cause as Error).message}`, {}, { cause });
  }
}

/** Encodes a state value into a fresh buffer. */
export function packValueCopy(value: unknown): Buffer {
  return Buffer.from(packValue(value));
}

/** Decodes `bytes[start, end)` (no subarray allocation; works on lmdb's reused read buffer). */
export function unpackValueRange(bytes: Uint8Array, start: number, end: number): unknown {
  try {
    return packr.unpack(bytes, { start, end });
  } catch (cause) {
    throw new WeirError('WEIR_STATE_CORRUPT', `Cannot decode a stored state value (${end - start} bytes): ${(cause as Error).message}`, {}, { cause });
  }
}

/** Decodes bytes produced by {@link packValue}; the result shares no memory with `bytes`. */
export function unpackValue(bytes: Uint8Array): unknown {
  try {
    return packr.unpack(bytes);
  } catch (cause) {
    throw new WeirError('WEIR_STATE_CORRUPT', `Cannot decode a stored state value (${bytes.length} bytes): ${(cause as Error).message}`, {}, { cause });
  }
}
