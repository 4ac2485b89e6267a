/**
 * Buffer debloating (Flink's FLIP-183, `taskmanager.network.memory.buffer-debloat.*`), the
 * consumer's side: the bytes each input channel may keep in flight follow what this subtask
 * actually consumes, so they take about `targetMs` to drain — an aligned barrier then waits
 * behind little data, and an unaligned checkpoint has little to persist. Pure: the caller feeds
 * it cumulative counters and publishes what it returns.
 *
 * Call order (input-task.ts, every `periodMs`, as a mail on the task loop):
 *   1. `sample(bytesConsumed, activeMs, openChannels)`: cumulative bytes taken off the input
 *      rings and cumulative time the task was not idle (busy + back-pressured, TaskTimes: idle
 *      time is excluded, as Flink's ThroughputCalculator does — an idle consumer's channels are
 *      empty, its throughput is not zero);
 *   2. it smooths the throughput over ~`samples` periods — exponentially decayed sums of bytes and
 *      of non-idle time (each period's weight 1 − 2/(samples + 1) of the next's), their ratio the
 *      throughput: a period with little non-idle time weighs little, so a burst read in a moment
 *      (a consumer that was idle, then drained a full ring) does not dominate the average for long
 *      — and computes the per-channel limit
 *      `clamp(throughput × targetMs / 1000 / openChannels, minBytes, maxBytes)`;
 *   3. it returns the new limit when it differs from the published one by more than
 *      `thresholdPercent` (or reaches a bound), else undefined; the caller publishes it into every
 *      open input channel's ring header (`ChannelReader.setDataLimit`; `maxBytes` = the ring's
 *      capacity = no limit), where the producer's thread reads it without a message.
 */
import { frameFootprint } from '../../actors/in-worker.ts';
import { batchBytesBound, type BatchingOptions } from './channel-batch.ts';

/** The resolved `bufferDebloat` execute option. */
export interface BufferDebloatConfig {
  /** Time the in-flight data of a channel should take to consume, ms (Flink: 1 s). */
  readonly targetMs: number;
  /** How often the throughput is measured and the limit recomputed, ms (Flink: 200 ms). */
  readonly periodMs: number;
  /** The smallest limit per channel, bytes. */
  readonly minBytes: number;
  /** A new limit is published only when it differs from the current one by more than this, % (Flink: 25). */
  readonly thresholdPercent: number;
  /** Periods the moving average spans (Flink: 20). */
  readonly samples: number;
}

/** Flink's defaults; the minimum is Weir's (Flink's is 256 bytes per network buffer, several buffers per channel). */
export const DEFAULT_BUFFER_DEBLOAT: BufferDebloatConfig = { targetMs: 1000, periodMs: 200, minBytes: 1024, thresholdPercent: 25, samples: 20 };

export class BufferDebloater {
  private readonly decay: number;
  private readonly minBytes: number;
  private lastBytes = 0;
  private lastActiveMs = 0;
  /** Decayed sums of the bytes consumed and of the non-idle ms of the past periods. */
  private sumBytes = 0;
  private sumMs = 0;
  private throughput: number | undefined;
  private current: number;

  /** `maxBytes`: the channels' ring capacity (a limit there is no limit). */
  constructor(private readonly config: BufferDebloatConfig, private readonly maxBytes: number) {
    this.decay = 1 - 2 / (config.samples + 1);
    this.minBytes = Math.min(config.minBytes, maxBytes);
    this.current = maxBytes;
  }

  /** The per-channel limit published last (the ring's capacity before any). */
  get limitBytes(): number {
    return this.current;
  }

  /** The smoothed throughput, bytes per second of non-idle time; undefined before the first measurement. */
  get throughputBytesPerSecond(): number | undefined {
    return this.throughput;
  }

  /** Flink's `estimatedTimeToConsumeBuffersMs`: `queuedBytes` (on the input rings) at the smoothed throughput. */
  estimatedTimeToConsumeMs(queuedBytes: number): number | undefined {
    const t = this.throughput;
    if (t === undefined) return undefined;
    return t > 0 ? (queuedBytes * 1000) / t : queuedBytes > 0 ? Infinity : 0;
  }

  /** One period's measurement (cumulative counters); the new per-channel limit to publish, or undefined. */
  sample(bytesConsumed: number, activeMs: number, openChannels: number): number | undefined {
    const bytes = bytesConsumed - this.lastBytes;
    const ms = activeMs - this.lastActiveMs;
    this.lastBytes = bytesConsumed;
    this.lastActiveMs = activeMs;
    if (!(ms > 0)) return undefined; // idle the whole period: nothing measured (its channels are empty)
    this.sumBytes = this.sumBytes * this.decay + bytes;
    this.sumMs = this.sumMs * this.decay + ms;
    const throughput = (this.throughput = (this.sumBytes * 1000) / this.sumMs);
    if (openChannels <= 0) return undefined;
    const wanted = Math.floor((throughput * this.config.targetMs) / 1000 / openChannels);
    const limit = Math.min(this.maxBytes, Math.max(this.minBytes, wanted));
    if (limit === this.current) return undefined;
    const atBound = limit === this.minBytes || limit === this.maxBytes;
    if (!atBound && (Math.abs(limit - this.current) * 100) / this.current <= this.config.thresholdPercent) return undefined;
    this.current = limit;
    return limit;
  }
}

/**
 * The in-flight bytes of one channel while its consumer limits it to `limitBytes` (compare
 * `inFlightBytesBound`, record-writer.ts, which holds whatever the limit): the ring holds the
 * limit, or one frame when a larger one entered it empty; the producer's queue outside the ring
 * at most a quarter of the limit (or `maxPendingBytes`); and three batches (the one being built,
 * the frame that crossed the queue's budget, the rest of the frame the consumer is processing) of
 * up to a quarter of the limit (or `targetBatchBytes`) plus one record. The batch being built when
 * the limit dropped keeps its old size.
 */
export function debloatedInFlightBytesBound(limitBytes: number, batching: BatchingOptions, largestRecordBytes: number): number {
  const batch = batchBytesBound(Math.min(batching.targetBatchBytes, Math.max(64, limitBytes >>> 2)), largestRecordBytes);
  return Math.max(limitBytes, frameFootprint(batch)) + Math.min(batching.maxPendingBytes, limitBytes >>> 2) + 3 * batch;
}
