/**
 * The idle exactly-once state (Flink's `WaitingForFirstBarrier`): no
 * checkpoint is in progress on this subtask. The first barrier of a new
 * checkpoint chooses the state family from `barrier.alignment`:
 *
 *   in-band  'aligned'              → CollectingBarriers
 *   in-band  'unaligned'            → unaligned trigger at once (barrier at the head: nothing overtaken on its channel)
 *   in-band  'aligned-with-timeout' → AlternatingCollectingBarriers
 *   priority 'unaligned'            → unaligned trigger at once
 *   priority 'aligned-with-timeout' → AlternatingCollectingBarriers (announcement; may switch at once if already timed out)
 *   priority 'aligned'              → filtered out by the owner (nothing to overtake)
 */
import type { BarrierHandlerContext, BarrierHandlerState } from './barrier-handler-state.ts';
import { CollectingBarriers } from './barrier-states-aligned.ts';
import { AlternatingCollectingBarriers } from './barrier-states-alternating.ts';
import { startUnaligned } from './barrier-states-unaligned.ts';
import type { CheckpointBarrier } from '../io/stream-elements.ts';

/** No checkpoint in progress (exactly-once). */
export class WaitingForFirstBarrier implements BarrierHandlerState {
  readonly name = 'WaitingForFirstBarrier';

  isPending(_checkpointId: number): boolean {
    return false;
  }

  barrierReceived(ctx: BarrierHandlerContext, channel: number, barrier: CheckpointBarrier): BarrierHandlerState {
    switch (barrier.alignment) {
      case 'aligned':
        return CollectingBarriers.start(ctx, barrier).barrierReceived(ctx, channel, barrier);
      case 'unaligned':
        return startUnaligned(ctx, channel, barrier);
      case 'aligned-with-timeout':
        return AlternatingCollectingBarriers.start(ctx, barrier).barrierReceived(ctx, channel, barrier);
    }
  }

  priorityBarrierReceived(ctx: BarrierHandlerContext, channel: number, barrier: CheckpointBarrier): BarrierHandlerState {
    switch (barrier.alignment) {
      case 'aligned':
        return this;
      case 'unaligned':
        return startUnaligned(ctx, channel, barrier);
      case 'aligned-with-timeout':
        return AlternatingCollectingBarriers.start(ctx, barrier).priorityBarrierReceived(ctx, channel, barrier);
    }
  }

  endOfPartitionReceived(_ctx: BarrierHandlerContext, _channel: number, _position: number | undefined): BarrierHandlerState {
    return this;
  }

  alignedTimeout(_ctx: BarrierHandlerContext, _checkpointId: number): BarrierHandlerState {
    return this;
  }

  abort(_ctx: BarrierHandlerContext, _checkpointId: number, _reason: string): BarrierHandlerState {
    return this; // the owner handles ids that are not pending
  }

  close(): void {}
}
