/**
 * Aligned-with-timeout barrier handling (Flink's `AlternatingCollectingBarriers`):
 * a checkpoint starts aligned and switches to unaligned on this subtask once
 * more than `alignedTimeoutMs` has passed since the global trigger.
 *
 * The producer sends each barrier twice: in-band (blocks like an aligned one)
 * and as an *announcement* on the priority lane carrying the same position.
 *
 * Call order for checkpoint n:
 *   1. start (first announcement or in-band barrier n): schedule the timeout
 *      timer at `timestamp + alignedTimeoutMs + 1` (unless already timed out);
 *   2. in-band barrier on channel c:
 *        - the last one missing  → triggerCheckpoint(aligned), unblock all (even
 *          after the timeout: nothing is left to capture);
 *        - else timed out         → switch (below), c counts as arrived;
 *        - else                   → blockChannel(c);
 *      announcement on c: remember its position; if timed out → switch;
 *      unaligned priority barrier on c (the upstream subtask timed out and
 *      forwarded it unaligned, or its own producer-side timeout fired while the
 *      in-band barrier was still queued in its output): its position replaces
 *      an announced one, switch;
 *      timer fired: switch;
 *   3. switch: triggerCheckpoint(unaligned=true, captureChannels = open
 *      channels whose in-band barrier n has not arrived), then
 *      channelStateEnd(n, c, position) for each of them whose position is
 *      known (ascending; an announced one is tentative: a later unaligned
 *      barrier of the producer lowers it, see barrier-handler.ts), then unblock all; the others end when their
 *      announcement, in-band barrier or EndOfPartition arrives
 *      (`AlternatingCollectingBarriersUnaligned`).
 * The next checkpoint starts aligned again.
 */
import { isAlignedTimedOut, alignedDeadline, CheckpointProgress } from './barrier-handler-state.ts';
import type { BarrierHandlerContext, BarrierHandlerState } from './barrier-handler-state.ts';
import { CollectingBarriers } from './barrier-states-aligned.ts';
import { CollectingBarriersUnaligned } from './barrier-states-unaligned.ts';
import type { CheckpointBarrier } from '../io/stream-elements.ts';

/** Aligned phase of an aligned-with-timeout checkpoint. */
export class AlternatingCollectingBarriers extends CollectingBarriers {
  override readonly name: string = 'AlternatingCollectingBarriers';

  /**
   * Start checkpoint `barrier.checkpointId`: apply announcements that were
   * deferred for it, arm the timeout timer. Its first event is delivered next.
   */
  static override start(ctx: BarrierHandlerContext, barrier: CheckpointBarrier): AlternatingCollectingBarriers {
    const deferred = ctx.begin(barrier);
    const progress = new CheckpointProgress(barrier);
    for (const [channel, position] of deferred) if (!ctx.isEnded(channel)) progress.positions.set(channel, position);
    const state = new AlternatingCollectingBarriers(progress);
    state.armTimer(ctx);
    return state;
  }

  protected override onBarrier(ctx: BarrierHandlerContext, channel: number, _barrier: CheckpointBarrier): BarrierHandlerState {
    const p = this.progress;
    if (p.arrived.has(channel)) return this;
    const now = ctx.clock.now();
    p.arrived.add(channel);
    p.markFirstBarrier(now);
    if (p.allArrived(ctx)) return this.triggerAligned(ctx);
    if (isAlignedTimedOut(p.barrier, now)) return this.switchToUnaligned(ctx);
    ctx.block(channel);
    return this;
  }

  protected override onPriorityBarrier(ctx: BarrierHandlerContext, channel: number, barrier: CheckpointBarrier): BarrierHandlerState {
    const p = this.progress;
    if (barrier.alignment === 'unaligned') {
      // The upstream subtask timed out (as a consumer, or as a producer whose in-band barrier was
      // still queued in its output) and forwarded the checkpoint unaligned: its position is final
      // and replaces an announced one (the frames in between are the producer's output state);
      // an in-band copy, if one follows, is obsolete. Switch now (Flink does the same).
      p.positions.set(channel, barrier.position);
      p.finalPositions.add(channel);
      return this.switchToUnaligned(ctx);
    }
    if (barrier.alignment !== 'aligned-with-timeout') return this;
    if (!p.positions.has(channel)) p.positions.set(channel, barrier.position);
    return isAlignedTimedOut(p.barrier, ctx.clock.now()) ? this.switchToUnaligned(ctx) : this;
  }

  override alignedTimeout(ctx: BarrierHandlerContext, _checkpointId: number): BarrierHandlerState {
    this.timer = undefined;
    if (isAlignedTimedOut(this.progress.barrier, ctx.clock.now())) return this.switchToUnaligned(ctx);
    this.armTimer(ctx); // fired early (real timers may): wait again
    return this;
  }

  private armTimer(ctx: BarrierHandlerContext): void {
    const barrier = this.progress.barrier;
    if (isAlignedTimedOut(barrier, ctx.clock.now())) return; // the first event switches at once
    this.timer = ctx.scheduleAlignedTimeout(barrier.checkpointId, alignedDeadline(barrier));
  }

  /** Step 3 of the header: trigger unaligned, end known captures, unblock all. */
  private switchToUnaligned(ctx: BarrierHandlerContext): BarrierHandlerState {
    this.close();
    const p = this.progress;
    const now = ctx.clock.now();
    p.markFirstBarrier(now);
    const capture = ctx.openChannels().filter((c) => !p.arrived.has(c));
    ctx.controller.triggerCheckpoint(p.barrier, p.info(now, true, capture));
    const awaitingEnd = new Set<number>();
    for (const c of capture) {
      const position = p.positions.get(c);
      if (position === undefined) awaitingEnd.add(c);
      else if (p.finalPositions.has(c)) ctx.controller.channelStateEnd(p.id, c, position);
      else ctx.endAtAnnouncedPosition(p.id, c, position);
    }
    ctx.unblockAll();
    return awaitingEnd.size === 0 ? ctx.idle() : new CollectingBarriersUnaligned('AlternatingCollectingBarriersUnaligned', p, awaitingEnd);
  }
}
