/**
 * Aligned exactly-once barrier handling (Flink's `CollectingBarriers`).
 *
 * Call order for checkpoint n over channels 0..N-1:
 *   1. in-band barrier n on channel c (not the last one missing): blockChannel(c);
 *   2. the last missing in-band barrier n (or EndOfPartition of the last
 *      missing channel): triggerCheckpoint(unaligned=false, captureChannels=[]),
 *      then unblockChannel for every blocked channel, ascending;
 *   3. back to the idle state.
 * The channel whose barrier completes the alignment is never blocked.
 */
import {
  CheckpointProgress,
  SingleCheckpointState,
  type BarrierHandlerContext,
  type BarrierHandlerState,
} from './barrier-handler-state.ts';
import type { CheckpointBarrier } from '../io/stream-elements.ts';

/** Aligning checkpoint n: channels that delivered barrier n are blocked until all have. */
export class CollectingBarriers extends SingleCheckpointState {
  readonly name: string = 'CollectingBarriers';

  /** Start aligned checkpoint `barrier.checkpointId` (its first event is delivered next). */
  static start(ctx: BarrierHandlerContext, barrier: CheckpointBarrier): CollectingBarriers {
    ctx.begin(barrier);
    return new CollectingBarriers(new CheckpointProgress(barrier));
  }

  protected onBarrier(ctx: BarrierHandlerContext, channel: number, _barrier: CheckpointBarrier): BarrierHandlerState {
    const p = this.progress;
    if (p.arrived.has(channel)) return this; // duplicate on one channel
    p.arrived.add(channel);
    p.markFirstBarrier(ctx.clock.now());
    if (p.allArrived(ctx)) return this.triggerAligned(ctx);
    ctx.block(channel);
    return this;
  }

  protected onPriorityBarrier(_ctx: BarrierHandlerContext, _channel: number, _barrier: CheckpointBarrier): BarrierHandlerState {
    return this; // an aligned checkpoint has nothing on the priority lane
  }

  endOfPartitionReceived(ctx: BarrierHandlerContext, _channel: number, _position: number | undefined): BarrierHandlerState {
    return this.progress.allArrived(ctx) ? this.triggerAligned(ctx) : this;
  }

  /** 1. cancel the timer, 2. trigger aligned, 3. unblock all, 4. idle. */
  protected triggerAligned(ctx: BarrierHandlerContext): BarrierHandlerState {
    this.close();
    const p = this.progress;
    const now = ctx.clock.now();
    ctx.controller.triggerCheckpoint(p.barrier, p.info(now, false, []));
    ctx.unblockAll();
    return ctx.idle();
  }
}
