/**
 * At-least-once barrier handling (Flink's `CheckpointBarrierTracker`): never
 * block; trigger checkpoint n when barrier n has arrived on every open
 * channel. Records that follow barrier n on a fast channel are already in the
 * snapshot and are replayed after a restore (duplicates, never loss).
 *
 * Several checkpoints may be tracked at once (a fast channel can deliver
 * barrier n+1 before a slow one delivered n). Call order when checkpoint k
 * becomes complete (its last barrier, or the EndOfPartition of the last
 * channel it was missing):
 *   1. abortCheckpoint(j, CHECKPOINT_SUBSUMED) for every tracked j < k, ascending;
 *   2. triggerCheckpoint(k, unaligned=false, captureChannels=[]);
 * newer tracked checkpoints stay. At most {@link MAX_TRACKED_CHECKPOINTS} are
 * tracked; starting one more aborts the oldest as subsumed.
 *
 * Priority lane: an aligned-with-timeout announcement is ignored (its in-band
 * copy is what counts); an unaligned barrier is a configuration error
 * (unaligned requires exactly-once) and throws.
 */
import { WeirError } from '../../common/weir-error.ts';
import { BarrierAbortReason } from './barrier-handler-state.ts';
import type { BarrierHandlerContext, BarrierHandlerState } from './barrier-handler-state.ts';
import type { CheckpointBarrier } from '../io/stream-elements.ts';

/** Bound on checkpoints tracked at once (as Flink's tracker). */
export const MAX_TRACKED_CHECKPOINTS = 50;

interface TrackedCheckpoint {
  readonly barrier: CheckpointBarrier;
  readonly arrived: Set<number>;
  readonly firstBarrierAt: number;
}

function rejectUnaligned(barrier: CheckpointBarrier): void {
  if (barrier.alignment === 'unaligned') {
    throw new WeirError(
      'WEIR_BARRIER_UNSUPPORTED_ALIGNMENT',
      `unaligned barrier of checkpoint ${barrier.checkpointId} reached an at-least-once subtask: unaligned checkpoints require mode 'exactly-once'`,
      { checkpointId: barrier.checkpointId, alignment: barrier.alignment },
    );
  }
}

/** No checkpoint tracked (at-least-once). */
export class AtLeastOnceWaitingForFirstBarrier implements BarrierHandlerState {
  readonly name = 'AtLeastOnceWaitingForFirstBarrier';

  isPending(_checkpointId: number): boolean {
    return false;
  }

  barrierReceived(ctx: BarrierHandlerContext, channel: number, barrier: CheckpointBarrier): BarrierHandlerState {
    rejectUnaligned(barrier);
    return new AtLeastOnceCollectingBarriers([]).barrierReceived(ctx, channel, barrier);
  }

  priorityBarrierReceived(_ctx: BarrierHandlerContext, _channel: number, barrier: CheckpointBarrier): BarrierHandlerState {
    rejectUnaligned(barrier);
    return this;
  }

  endOfPartitionReceived(): BarrierHandlerState {
    return this;
  }

  alignedTimeout(): BarrierHandlerState {
    return this;
  }

  abort(): BarrierHandlerState {
    return this;
  }

  close(): void {}
}

/** One or more checkpoints tracked, ascending by id. */
export class AtLeastOnceCollectingBarriers implements BarrierHandlerState {
  readonly name = 'AtLeastOnceCollectingBarriers';

  constructor(private readonly tracked: TrackedCheckpoint[]) {}

  /** Ids tracked, ascending (diagnostics). */
  get trackedIds(): number[] {
    return this.tracked.map((t) => t.barrier.checkpointId);
  }

  isPending(checkpointId: number): boolean {
    return this.tracked.some((t) => t.barrier.checkpointId === checkpointId);
  }

  barrierReceived(ctx: BarrierHandlerContext, channel: number, barrier: CheckpointBarrier): BarrierHandlerState {
    rejectUnaligned(barrier);
    let t = this.tracked.find((x) => x.barrier.checkpointId === barrier.checkpointId);
    if (!t) {
      // The owner only lets through ids newer than every id started so far.
      ctx.begin(barrier);
      t = { barrier, arrived: new Set(), firstBarrierAt: ctx.clock.now() };
      this.tracked.push(t);
      if (this.tracked.length > MAX_TRACKED_CHECKPOINTS) {
        const oldest = this.tracked.shift()!;
        ctx.controller.abortCheckpoint(oldest.barrier.checkpointId, BarrierAbortReason.SUBSUMED);
      }
    }
    if (t.arrived.has(channel)) return this;
    t.arrived.add(channel);
    return this.triggerCompleted(ctx);
  }

  priorityBarrierReceived(_ctx: BarrierHandlerContext, _channel: number, barrier: CheckpointBarrier): BarrierHandlerState {
    rejectUnaligned(barrier);
    return this;
  }

  endOfPartitionReceived(ctx: BarrierHandlerContext, _channel: number, _position: number | undefined): BarrierHandlerState {
    return this.triggerCompleted(ctx);
  }

  alignedTimeout(): BarrierHandlerState {
    return this;
  }

  abort(ctx: BarrierHandlerContext, checkpointId: number, reason: string): BarrierHandlerState {
    const i = this.tracked.findIndex((t) => t.barrier.checkpointId === checkpointId);
    if (i < 0) return this;
    this.tracked.splice(i, 1);
    ctx.controller.abortCheckpoint(checkpointId, reason);
    return this.tracked.length === 0 ? ctx.idle() : this;
  }

  close(): void {}

  /** Trigger the newest complete checkpoint (subsuming older tracked ones), if any. */
  private triggerCompleted(ctx: BarrierHandlerContext): BarrierHandlerState {
    const open = ctx.openChannels();
    let k = -1;
    for (let i = this.tracked.length - 1; i >= 0; i--) {
      const arrived = this.tracked[i]!.arrived;
      if (open.every((c) => arrived.has(c))) {
        k = i;
        break;
      }
    }
    if (k < 0) return this;
    const done = this.tracked.splice(0, k + 1);
    const t = done.pop()!;
    for (const older of done) ctx.controller.abortCheckpoint(older.barrier.checkpointId, BarrierAbortReason.SUBSUMED);
    const now = ctx.clock.now();
    ctx.controller.triggerCheckpoint(t.barrier, {
      unaligned: false,
      alignmentMs: Math.max(0, now - t.firstBarrierAt),
      startDelayMs: Math.max(0, t.firstBarrierAt - t.barrier.timestamp),
      captureChannels: [],
    });
    return this.tracked.length === 0 ? ctx.idle() : this;
  }
}
