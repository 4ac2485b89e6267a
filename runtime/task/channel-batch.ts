/**
 * Batching of one output channel, for record-writer.ts: the options, the
 * batch being built for a channel with its adaptive record limit and sampled size check, and the
 * documented bound of in-flight bytes per channel that follows from them.
 */
export interface BatchingOptions {
  /** Flush a channel's batch once it holds about this many bytes. */
  targetBatchBytes: number;
  /** …or this many records. */
  maxBatchRecords: number;
  /**
   * Encoded bytes an output channel may queue outside its full ring (Flink's overdraft
   * buffers). Beyond it the subtask takes no more input until the queue is published.
   */
  maxPendingBytes: number;
}

/** Records sampled for a size estimate: a batch whose records grow is flushed within this many. */
const SIZE_SAMPLE_EVERY = 16;

export const DEFAULT_BATCHING: BatchingOptions = { targetBatchBytes: 32 * 1024, maxBatchRecords: 1024, maxPendingBytes: 64 * 1024 };

/**
 * The documented upper bound of in-flight data on one channel (what an unaligned checkpoint can
 * persist for it, and the memory it holds): the ring, the producer's queue outside the ring
 * (`maxPendingBytes`, overshot by at most one frame) and up to three batches (the one being built
 * by the producer, the frame that crossed the budget, the rest of the frame the consumer is
 * processing). A batch is about `targetBatchBytes`, or one record when records are larger; when
 * record sizes jump, a batch can hold up to {@link SIZE_SAMPLE_EVERY} records before it is flushed.
 * Buffer debloating never raises it: under a consumer's limit L the ring holds at most L (or one
 * frame), and the queue and the batches shrink to L/4 each (`debloatedInFlightBytesBound`,
 * buffer-debloater.ts).
 */
export function inFlightBytesBound(bufferBytes: number, batching: BatchingOptions, largestRecordBytes: number): number {
  const batch = Math.max(batching.targetBatchBytes, SIZE_SAMPLE_EVERY * largestRecordBytes);
  return bufferBytes + batching.maxPendingBytes + 3 * batch;
}

/**
 * A rough encoded size of a record, for sampling (strings count UTF-16 units, numbers 8 bytes;
 * nested values up to a few levels). Good to a small factor, which is all the bound needs.
 */
function estimateBytes(v: unknown, depth = 0): number {
  switch (typeof v) {
    case 'string':
      return v.length + 2;
    case 'object': {
      if (v === null) return 1;
      if (ArrayBuffer.isView(v)) return v.byteLength + 4;
      if (v instanceof ArrayBuffer) return v.byteLength + 4;
      if (depth >= 4) return 16;
      let n = 2;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) n += estimateBytes(v[i], depth + 1);
      } else if (v instanceof Map || v instanceof Set) {
        for (const x of v as Iterable<unknown>) n += estimateBytes(x, depth + 1);
      } else {
        for (const k in v) n += k.length + 1 + estimateBytes((v as Record<string, unknown>)[k], depth + 1);
      }
      return n;
    }
    default:
      return 8;
  }
}

/**
 * The batch being built for one channel. Its record limit comes from the encoded size of the
 * previous batches; it starts at 1 and at most doubles per batch (slow start), so the first
 * records of a channel cannot pile up before their size is known; and every
 * {@link SIZE_SAMPLE_EVERY}th record is sized roughly, so records that suddenly grow flush the
 * batch within that many records instead of after `limit` of them.
 */
export class ChannelBatch {
  records: unknown[] = [];
  timestamps: number[] = [];
  hasTimestamps = false;
  /** Running estimate of encoded bytes per record on this channel. */
  bytesPerRecord = 16;
  limit = 1;
  /** Bytes a batch aims at: `targetBatchBytes`, or less under the channel's debloated limit (see {@link debloat}). */
  targetBytes: number;
  constructor(private readonly opts: BatchingOptions) {
    this.targetBytes = opts.targetBatchBytes;
  }
  /**
   * Buffer debloating: under a limit on the channel's ring (0 = none), a batch aims at a quarter
   * of it (at least 64 bytes), so the ring holds a few frames and the consumer reads one while the
   * producer writes the next. Takes effect from the next batch (`adapt`).
   */
  debloat(limit: number): void {
    this.targetBytes = limit > 0 ? Math.min(this.opts.targetBatchBytes, Math.max(64, limit >>> 2)) : this.opts.targetBatchBytes;
  }
  adapt(encodedBytes: number, count: number): void {
    if (count === 0) return;
    this.bytesPerRecord = Math.max(1, encodedBytes / count);
    const bySize = Math.floor(this.targetBytes / this.bytesPerRecord);
    this.limit = Math.max(1, Math.min(this.opts.maxBatchRecords, bySize, this.limit * 2));
  }
  /** Sampled check (the batch's first record and every 16th): would the batch, at this record's size, exceed the target? */
  outgrown(value: unknown): boolean {
    const n = this.records.length;
    return n % SIZE_SAMPLE_EVERY === 1 && estimateBytes(value) * n > this.targetBytes;
  }
}
