/**
 * The input side of an unaligned checkpoint on a subtask (Flink's `ChannelStateWriter`): the
 * in-flight input frames of each captured channel, from its next index to process up to the
 * barrier's position, collected exactly once per frame (runtime/checkpoint/channel-state-capture.ts
 * holds the ranges), and a promise per checkpoint that settles once its channel state is
 * complete. The subtask checkpointer writes what it `take`s into the checkpoint's channel file.
 *
 * {@link NO_OP_CHANNEL_STATE_WRITER} is the writer of subtasks that never capture (sources,
 * at-least-once mode, no checkpointing), so nobody tests for a missing writer.
 */
import type { Frame, IndexedFrame } from '../../actors/in-worker.ts';
import { ChannelStateCapture } from '../checkpoint/channel-state-capture.ts';

/** Where captured frames come from: the input channels (a peek does not consume). */
export interface CapturedChannels {
  /** Data frames published so far on `channel`. */
  framesPublished(channel: number): number;
  /**
   * Copies of the frames queued on `channel` from index `fromIndex` on that no waiting priority
   * frame precedes; null while one waits (it may lower a capture's end: handle it first).
   */
  peekBeforePriority(channel: number, fromIndex?: number): ReadonlyArray<IndexedFrame> | null;
}

export interface ChannelStateWriter {
  /** Whether some range still needs frames (checked on the hot path). */
  readonly capturing: boolean;
  /**
   * Checkpoint n captures `starts` (channel → next index to process); `unprocessed` is input
   * already taken off those rings but not processed, which precedes their frames.
   */
  start(checkpointId: number, starts: ReadonlyMap<number, number>, unprocessed: ReadonlyMap<number, ReadonlyArray<Frame>>): void;
  /** The barrier of n on `channel` sits at `position`: frames before it belong to n. */
  setEnd(checkpointId: number, channel: number, position: number): void;
  /** A data frame the task is about to process (record-on-consume). */
  onDataFrame(channel: number, index: number, kind: number, payload: Uint8Array): void;
  /** Take captured frames that were published since a range's end was learnt (cheap when none wait). */
  takePublished(): void;
  /** Settles once n's channel state is complete, or n was aborted. */
  whenComplete(checkpointId: number): Promise<void>;
  /** n's frames per channel, in processing order; forgets n. */
  take(checkpointId: number): Map<number, IndexedFrame[]>;
  /** Forget n (no-op if unknown); its `whenComplete` settles. */
  abort(checkpointId: number): void;
}

const RESOLVED = Promise.resolve();

export const NO_OP_CHANNEL_STATE_WRITER: ChannelStateWriter = {
  capturing: false,
  start(checkpointId) {
    throw new Error(`internal: checkpoint ${checkpointId} captures channel state on a subtask that never captures`);
  },
  setEnd() {},
  onDataFrame() {},
  takePublished() {},
  whenComplete: () => RESOLVED,
  take: () => new Map(),
  abort() {},
};

export class CapturingChannelStateWriter implements ChannelStateWriter {
  private readonly capture = new ChannelStateCapture();
  private readonly waiting = new Map<number, () => void>();

  constructor(private readonly channels: CapturedChannels) {}

  get capturing(): boolean {
    return this.capture.capturing;
  }

  start(checkpointId: number, starts: ReadonlyMap<number, number>, unprocessed: ReadonlyMap<number, ReadonlyArray<Frame>>): void {
    this.capture.begin(checkpointId, starts, unprocessed);
  }

  setEnd(checkpointId: number, channel: number, position: number): void {
    this.capture.setEnd(checkpointId, channel, position);
    const queued = this.channels.peekBeforePriority(channel);
    if (queued) this.capture.offerQueued(channel, queued); // else takePublished, after the priority frame
    this.settleComplete();
  }

  onDataFrame(channel: number, index: number, kind: number, payload: Uint8Array): void {
    if (!this.capture.capturing) return;
    this.capture.offerProcessed(channel, index, kind, payload);
    this.settleComplete();
  }

  /**
   * Aligned-with-timeout positions count frames the producer had only queued: a checkpoint
   * completes when they are published, not when this task gets to process them. Peeks never
   * take a frame ahead of a waiting priority frame: an announced end may still be lowered by the
   * producer's unaligned barrier, which precedes every frame published after it.
   */
  takePublished(): void {
    if (!this.capture.capturing) return;
    let offered = false;
    for (const [channel, first] of this.capture.awaitingPublished()) {
      if (this.channels.framesPublished(channel) <= first) continue;
      const queued = this.channels.peekBeforePriority(channel, first);
      if (!queued) continue;
      this.capture.offerQueued(channel, queued);
      offered = true;
    }
    if (offered) this.settleComplete();
  }

  whenComplete(checkpointId: number): Promise<void> {
    if (!this.capture.checkpointIds.includes(checkpointId) || this.capture.isComplete(checkpointId)) return RESOLVED;
    return new Promise<void>((resolve) => {
      const prev = this.waiting.get(checkpointId);
      this.waiting.set(checkpointId, () => {
        prev?.();
        resolve();
      });
    });
  }

  take(checkpointId: number): Map<number, IndexedFrame[]> {
    return this.capture.take(checkpointId);
  }

  abort(checkpointId: number): void {
    this.capture.abort(checkpointId);
    this.settle(checkpointId);
  }

  private settleComplete(): void {
    for (const id of [...this.waiting.keys()]) if (this.capture.isComplete(id)) this.settle(id);
  }

  private settle(checkpointId: number): void {
    const done = this.waiting.get(checkpointId);
    this.waiting.delete(checkpointId);
    done?.();
  }
}
