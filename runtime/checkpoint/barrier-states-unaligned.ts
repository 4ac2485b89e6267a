/**
 * Unaligned exactly-once barrier handling (Flink's
 * `WaitingForFirstBarrierUnaligned` / `CollectingBarriersUnaligned`), also
 * used for the second half of an aligned-with-timeout checkpoint that timed
 * out (`AlternatingCollectingBarriersUnaligned`).
 *
 * Call order for unaligned checkpoint n:
 *   1. first barrier n (priority lane, any channel c):
 *      triggerCheckpoint(unaligned=true, captureChannels = every open channel),
 *      then channelStateEnd(n, c, position);
 *   2. each later barrier n on channel c': channelStateEnd(n, c', position);
 *      an EndOfPartition on a channel still captured ends its capture at the
 *      EndOfPartition frame's index;
 *   3. when every captured channel has its end: back to idle.
 * Processing never blocks. Whichever copy of barrier n reaches this state
 * first on a channel (priority barrier, announcement, or in-band barrier at the
 * head of the lane) gives the end position; later copies are ignored — except
 * that an announced position is tentative until confirmed, and the producer's
 * unaligned barrier lowers it (the handler owner does that, barrier-handler.ts).
 */
import { WeirError } from '../../common/weir-error.ts';
import {
  CheckpointProgress,
  SingleCheckpointState,
  type BarrierHandlerContext,
  type BarrierHandlerState,
} from './barrier-handler-state.ts';
import type { CheckpointBarrier } from '../io/stream-elements.ts';

/** Checkpoint n was triggered unaligned; waiting for the end position of each captured channel. */
export class CollectingBarriersUnaligned extends SingleCheckpointState {
  /**
   * @param name `'CollectingBarriersUnaligned'` or `'AlternatingCollectingBarriersUnaligned'`.
   * @param pendingEnd captured channels whose end position is not known yet.
   */
  constructor(
    readonly name: string,
    progress: CheckpointProgress,
    private readonly pendingEnd: Set<number>,
  ) {
    super(progress);
  }

  /** Channels still captured without a known end (ascending), for diagnostics. */
  get channelsAwaitingEnd(): number[] {
    return [...this.pendingEnd].sort((a, b) => a - b);
  }

  protected onBarrier(ctx: BarrierHandlerContext, channel: number, barrier: CheckpointBarrier): BarrierHandlerState {
    return this.endChannel(ctx, channel, barrier.position);
  }

  protected onPriorityBarrier(ctx: BarrierHandlerContext, channel: number, barrier: CheckpointBarrier): BarrierHandlerState {
    if (barrier.alignment !== 'aligned-with-timeout') return this.endChannel(ctx, channel, barrier.position);
    // An announcement: its position is tentative (the producer may still time out, see barrier-handler.ts).
    if (!this.pendingEnd.delete(channel)) return this;
    ctx.endAtAnnouncedPosition(this.progress.id, channel, barrier.position);
    return this.pendingEnd.size === 0 ? ctx.idle() : this;
  }

  endOfPartitionReceived(ctx: BarrierHandlerContext, channel: number, position: number | undefined): BarrierHandlerState {
    if (!this.pendingEnd.has(channel)) return this;
    if (position === undefined) {
      throw new WeirError(
        'WEIR_BARRIER_END_POSITION_REQUIRED',
        `EndOfPartition on channel ${channel} while its in-flight data is captured for unaligned checkpoint ${this.progress.id}: pass the EndOfPartition frame's index as position`,
        { channel, checkpointId: this.progress.id },
      );
    }
    return this.endChannel(ctx, channel, position);
  }

  /** channelStateEnd for `channel` if it is still awaiting its end; idle once none is left. */
  endChannel(ctx: BarrierHandlerContext, channel: number, position: number): BarrierHandlerState {
    if (!this.pendingEnd.delete(channel)) return this; // not captured, or already ended: duplicate
    ctx.controller.channelStateEnd(this.progress.id, channel, position);
    return this.pendingEnd.size === 0 ? ctx.idle() : this;
  }
}

/**
 * First barrier of unaligned checkpoint `barrier.checkpointId` on `channel`:
 * 1. start it, 2. trigger with every open channel captured, 3. end the
 * capture of `channel` at `barrier.position`.
 */
export function startUnaligned(ctx: BarrierHandlerContext, channel: number, barrier: CheckpointBarrier): BarrierHandlerState {
  ctx.begin(barrier);
  const progress = new CheckpointProgress(barrier);
  const now = ctx.clock.now();
  progress.markFirstBarrier(now);
  const capture = ctx.openChannels();
  ctx.controller.triggerCheckpoint(barrier, progress.info(now, true, capture));
  return new CollectingBarriersUnaligned('CollectingBarriersUnaligned', progress, new Set(capture)).endChannel(ctx, channel, barrier.position);
}
