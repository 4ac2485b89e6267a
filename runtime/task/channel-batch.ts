/**
 * Batching of one output channel, for record-writer.ts: the options, the
 * batch being built for a channel (encoded as its records are emitted), and the documented bound
 * of in-flight bytes per channel that follows from them.
 */
import { BatchBuilder } from '../io/record-codec.ts';

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
  /**
   * A subtask that keeps busy publishes its partial batches at least this often, ms (Flink's
   * `execution.buffer-timeout`, 100 ms): a low-rate output of a busy subtask waits at most about
   * this long. 0: at every chance (after each input frame or source batch, and every ~2 ms within
   * a frame). An idle subtask publishes them at once.
   */
  bufferTimeoutMs: number;
}

export const DEFAULT_BATCHING: BatchingOptions = { targetBatchBytes: 32 * 1024, maxBatchRecords: 1024, maxPendingBytes: 64 * 1024, bufferTimeoutMs: 100 };

/** A channel's builder starts this small and grows with its batches (many channels, mostly idle, hold little). */
const INITIAL_BUILDER_BYTES = 1024;

/**
 * The documented upper bound of in-flight data on one channel (what an unaligned checkpoint can
 * persist for it, and the memory it holds): the ring, the producer's queue outside the ring
 * (`maxPendingBytes`, overshot by at most one frame) and up to three batches (the one being built
 * by the producer, the frame that crossed the budget, the rest of the frame the consumer is
 * processing). Records are encoded as they are emitted, so a batch's size is exact: it is flushed
 * once it reaches `targetBatchBytes`, so it holds at most that plus one record.
 * Buffer debloating never raises it: under a consumer's limit L the ring holds at most L (or one
 * frame), and the queue and the batches shrink to L/4 each (`debloatedInFlightBytesBound`,
 * buffer-debloater.ts).
 */
export function inFlightBytesBound(bufferBytes: number, batching: BatchingOptions, largestRecordBytes: number): number {
  return bufferBytes + batching.maxPendingBytes + 3 * batchBytesBound(batching.targetBatchBytes, largestRecordBytes);
}

/** The largest batch a channel builds for a target: the target plus the record that crossed it (and its timestamp). */
export function batchBytesBound(targetBytes: number, largestRecordBytes: number): number {
  return targetBytes + largestRecordBytes + 8;
}

/**
 * The batch being built for one channel: records are encoded into the channel's
 * {@link BatchBuilder} as they are emitted (they do not wait in an array for the flush, where
 * they outlived the young generation and were walked twice), and the batch is flushed once it
 * holds `targetBytes` (exact) or `maxBatchRecords` records.
 */
export class ChannelBatch {
  readonly builder: BatchBuilder;
  /** Flush once the batch holds this many records … */
  readonly limit: number;
  /** … or this many bytes: `targetBatchBytes`, or less under the channel's debloated limit (see {@link debloat}). */
  targetBytes: number;
  constructor(private readonly opts: BatchingOptions) {
    this.targetBytes = opts.targetBatchBytes;
    this.limit = opts.maxBatchRecords;
    this.builder = new BatchBuilder({ initialBytes: INITIAL_BUILDER_BYTES, shrinkAboveBytes: 2 * opts.targetBatchBytes });
  }
  /**
   * Buffer debloating: under a limit on the channel's ring (0 = none), a batch aims at a quarter
   * of it (at least 64 bytes), so the ring holds a few frames and the consumer reads one while the
   * producer writes the next. Takes effect for the records emitted from now on.
   */
  debloat(limit: number): void {
    this.targetBytes = limit > 0 ? Math.min(this.opts.targetBatchBytes, Math.max(64, limit >>> 2)) : this.opts.targetBatchBytes;
  }
  /** Whether the batch is due to be flushed (after a record was added). */
  get full(): boolean {
    const b = this.builder;
    return b.count >= this.limit || b.byteLength >= this.targetBytes;
  }
}
