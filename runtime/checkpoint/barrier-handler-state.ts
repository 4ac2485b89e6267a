/**
 * The vocabulary shared by the barrier-handler states: the barrier, the narrow
 * controller the task implements, the context a state may use, and the state
 * interface itself (Flink's `BarrierHandlerState`).
 *
 * Call order (one subtask, one thread, no re-entry):
 *   1. the task feeds an input event to `BarrierHandler` (barrier-handler.ts);
 *   2. the owner filters what is obsolete (old ids, aborted ids, duplicates on
 *      ended channels) and hands the rest to the current state;
 *   3. the state calls the controller (block / trigger / channelStateEnd /
 *      unblock / abort, in that documented order) and RETURNS the next state;
 *   4. the owner stores it in one line and, when idle again, replays
 *      announcements it had to defer.
 * States never read the configuration and never touch time except through
 * `ctx.clock` / `ctx.scheduleAlignedTimeout`.
 */
import type { Clock } from '../../common/clock.ts';
import type { Cancel } from './scheduler.ts';
import type { CheckpointBarrier } from '../io/stream-elements.ts';
import { CheckpointFailureReason } from './checkpoint-failure-reason.ts';

/** Metrics and capture instructions passed with a trigger. */
export interface TriggerInfo {
  /** True when in-flight data must be persisted (unaligned, or aligned-with-timeout that timed out). */
  readonly unaligned: boolean;
  /** Time from the first barrier of this checkpoint on this subtask to the trigger. */
  readonly alignmentMs: number;
  /** First barrier arrival minus `barrier.timestamp` (never negative). */
  readonly startDelayMs: number;
  /** Channels whose in-flight data must be captured from their next-to-process index; [] when aligned. Ascending. */
  readonly captureChannels: readonly number[];
}

/**
 * What a barrier-handler state may ask of its task (Habit #3: a narrow view).
 * Implementations must not call back into the handler synchronously.
 */
export interface BarrierHandlerController {
  /** Aligned: stop processing this channel's data lane (its priority lane is still read). */
  blockChannel(channel: number): void;
  unblockChannel(channel: number): void;
  /** Snapshot operator state NOW and forward barrier n downstream. */
  triggerCheckpoint(barrier: CheckpointBarrier, info: TriggerInfo): void;
  /** For a captured channel: frames with index < position belong to checkpoint `checkpointId`; capture of that channel ends there. */
  channelStateEnd(checkpointId: number, channel: number, position: number): void;
  /** Give up checkpoint n locally: decline it to the coordinator and forward a CancelCheckpoint downstream. */
  abortCheckpoint(checkpointId: number, reason: string): void;
}

/**
 * Reasons this module passes to `abortCheckpoint` on its own initiative. A
 * coordinator abort passes the coordinator's reason through unchanged.
 */
export const BarrierAbortReason = {
  /** A newer barrier arrived while this checkpoint was unfinished. */
  SUBSUMED: CheckpointFailureReason.CHECKPOINT_SUBSUMED,
  /** A CancelCheckpoint marker arrived on an input (an upstream subtask gave the checkpoint up). */
  CANCELLATION_BARRIER: 'CHECKPOINT_DECLINED_ON_CANCELLATION_BARRIER',
} as const;

/** What the owner lends to its states. */
export interface BarrierHandlerContext {
  readonly numChannels: number;
  readonly controller: BarrierHandlerController;
  readonly clock: Clock;
  /** The idle state of this handler's consistency mode. */
  idle(): BarrierHandlerState;
  /** Channels that have not delivered EndOfPartition, ascending. */
  openChannels(): number[];
  isEnded(channel: number): boolean;
  /** Block `channel` (no-op if already blocked). */
  block(channel: number): void;
  /** Unblock every blocked channel, ascending. */
  unblockAll(): void;
  /**
   * Checkpoint `barrier.checkpointId` starts on this subtask: older ids become
   * obsolete. Returns the announcements that were deferred for this id
   * (channel → position), and drops deferred ones for older ids.
   */
  begin(barrier: CheckpointBarrier): Map<number, number>;
  /** Keep an announcement of a checkpoint newer than the pending one for when that checkpoint starts. */
  defer(channel: number, barrier: CheckpointBarrier): void;
  /** Ask for `alignedTimeout` to be delivered for this checkpoint at `atMs`. */
  scheduleAlignedTimeout(checkpointId: number, atMs: number): Cancel;
  /**
   * `controller.channelStateEnd` at a position known only from an aligned-with-timeout
   * announcement: the producer may still time out before that in-band barrier is published and
   * send an unaligned barrier at an earlier position, which then lowers this end (the frames in
   * between become the producer's output channel state). The owner remembers it until the
   * in-band barrier confirms it (barrier-handler.ts).
   */
  endAtAnnouncedPosition(checkpointId: number, channel: number, position: number): void;
}

/**
 * One phase of barrier handling. Every event returns the next state (often
 * `this`). The owner only delivers events that are not obsolete: for an id
 * that is pending ({@link isPending}) or newer than every id started so far.
 */
export interface BarrierHandlerState {
  /** Stable name for tests and logs. */
  readonly name: string;
  /** Whether checkpoint `checkpointId` is in progress in this state. */
  isPending(checkpointId: number): boolean;
  /** An in-band barrier reached the head of `channel`'s data lane. */
  barrierReceived(ctx: BarrierHandlerContext, channel: number, barrier: CheckpointBarrier): BarrierHandlerState;
  /** A priority-lane barrier: the unaligned barrier, or an aligned-with-timeout announcement. */
  priorityBarrierReceived(ctx: BarrierHandlerContext, channel: number, barrier: CheckpointBarrier): BarrierHandlerState;
  /** `channel` ended (already counted as ended in `ctx`); `position` = index of the EndOfPartition frame, if known. */
  endOfPartitionReceived(ctx: BarrierHandlerContext, channel: number, position: number | undefined): BarrierHandlerState;
  /** The aligned-timeout timer of `checkpointId` fired. */
  alignedTimeout(ctx: BarrierHandlerContext, checkpointId: number): BarrierHandlerState;
  /** Abort the pending checkpoint `checkpointId` (calls `controller.abortCheckpoint` once). */
  abort(ctx: BarrierHandlerContext, checkpointId: number, reason: string): BarrierHandlerState;
  /** Release timers; the handler is closing. */
  close(): void;
}

/** Per-checkpoint bookkeeping shared by the single-checkpoint (exactly-once) states. */
export class CheckpointProgress {
  /** Channels whose in-band barrier (aligned phases) or barrier of any lane (unaligned) arrived. */
  readonly arrived = new Set<number>();
  /** Announced positions (aligned-with-timeout), channel → position. */
  readonly positions = new Map<number, number>();
  /** Channels whose position came from the producer's unaligned barrier (final), not from an announcement. */
  readonly finalPositions = new Set<number>();
  /** Clock time the checkpoint took effect here (first in-band barrier, or the switch to unaligned). */
  firstBarrierAt: number | undefined;

  constructor(readonly barrier: CheckpointBarrier) {}

  get id(): number {
    return this.barrier.checkpointId;
  }

  /** Marks the first barrier arrival now, if not done yet. */
  markFirstBarrier(now: number): void {
    if (this.firstBarrierAt === undefined) this.firstBarrierAt = now;
  }

  /** Whether every open channel is in {@link arrived}. */
  allArrived(ctx: BarrierHandlerContext): boolean {
    for (const c of ctx.openChannels()) if (!this.arrived.has(c)) return false;
    return true;
  }

  /** Trigger info for a trigger happening at `now`. */
  info(now: number, unaligned: boolean, captureChannels: readonly number[]): TriggerInfo {
    const first = this.firstBarrierAt ?? now;
    return {
      unaligned,
      alignmentMs: Math.max(0, now - first),
      startDelayMs: Math.max(0, first - this.barrier.timestamp),
      captureChannels,
    };
  }
}

/** Whether more than `alignedTimeoutMs` has passed since the global trigger. */
export function isAlignedTimedOut(barrier: CheckpointBarrier, now: number): boolean {
  return now - barrier.timestamp > barrier.alignedTimeoutMs;
}

/** First clock time at which {@link isAlignedTimedOut} holds for integer clocks. */
export function alignedDeadline(barrier: CheckpointBarrier): number {
  return barrier.timestamp + barrier.alignedTimeoutMs + 1;
}

/**
 * Base of the exactly-once states that hold ONE pending checkpoint. It settles
 * what every such phase does with a newer id:
 *  - a newer barrier (in-band, or an unaligned priority barrier) subsumes the
 *    pending checkpoint: abort it (CHECKPOINT_SUBSUMED), then let the idle
 *    state start the new one;
 *  - a newer aligned-with-timeout announcement overtook the in-band barrier
 *    of the pending checkpoint on its channel; it decides nothing yet, so it
 *    is deferred and applied when its checkpoint starts.
 */
export abstract class SingleCheckpointState implements BarrierHandlerState {
  abstract readonly name: string;
  /** The aligned-timeout timer, if this phase owns one. */
  protected timer: Cancel | undefined;

  constructor(protected readonly progress: CheckpointProgress) {}

  isPending(checkpointId: number): boolean {
    return checkpointId === this.progress.id;
  }

  barrierReceived(ctx: BarrierHandlerContext, channel: number, barrier: CheckpointBarrier): BarrierHandlerState {
    if (barrier.checkpointId > this.progress.id) {
      return this.abort(ctx, this.progress.id, BarrierAbortReason.SUBSUMED).barrierReceived(ctx, channel, barrier);
    }
    return this.onBarrier(ctx, channel, barrier);
  }

  priorityBarrierReceived(ctx: BarrierHandlerContext, channel: number, barrier: CheckpointBarrier): BarrierHandlerState {
    if (barrier.checkpointId > this.progress.id) {
      if (barrier.alignment === 'aligned-with-timeout') {
        ctx.defer(channel, barrier);
        return this;
      }
      return this.abort(ctx, this.progress.id, BarrierAbortReason.SUBSUMED).priorityBarrierReceived(ctx, channel, barrier);
    }
    return this.onPriorityBarrier(ctx, channel, barrier);
  }

  alignedTimeout(_ctx: BarrierHandlerContext, _checkpointId: number): BarrierHandlerState {
    return this;
  }

  /** 1. cancel the timer, 2. decline + forward CancelCheckpoint, 3. unblock, 4. idle. */
  abort(ctx: BarrierHandlerContext, checkpointId: number, reason: string): BarrierHandlerState {
    this.close();
    ctx.controller.abortCheckpoint(checkpointId, reason);
    ctx.unblockAll();
    return ctx.idle();
  }

  close(): void {
    this.timer?.();
    this.timer = undefined;
  }

  abstract endOfPartitionReceived(ctx: BarrierHandlerContext, channel: number, position: number | undefined): BarrierHandlerState;
  /** An in-band barrier of the pending checkpoint. */
  protected abstract onBarrier(ctx: BarrierHandlerContext, channel: number, barrier: CheckpointBarrier): BarrierHandlerState;
  /** A priority barrier / announcement of the pending checkpoint. */
  protected abstract onPriorityBarrier(ctx: BarrierHandlerContext, channel: number, barrier: CheckpointBarrier): BarrierHandlerState;
}
