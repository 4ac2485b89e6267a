/**
 * Per-subtask barrier handling: the owner of the current barrier-handler
 * state (Flink's `SingleCheckpointBarrierHandler` / `CheckpointBarrierTracker`).
 *
 * The task feeds every input event that matters for checkpoints into one
 * `BarrierHandler` and implements the narrow {@link BarrierHandlerController}.
 * Pure logic: no I/O, no threads, time only through the injected clock and
 * timer service.
 *
 * Call order of each `on*` method:
 *   1. validate the arguments (WeirError for a bad channel / malformed barrier);
 *   2. drop what is obsolete — events on ended channels, ids older than every
 *      pending one, ids that were already completed or aborted here — without
 *      any controller call (never throws for them);
 *   3. `state = state.<event>(ctx, …)` — the state calls the controller and
 *      returns the next state;
 *   4. when idle again, replay announcements that were deferred because they
 *      overtook the in-band barrier of an older checkpoint.
 * Before step 2, an unaligned priority barrier lowers a capture end that was taken from an
 * announcement of the same checkpoint (the producer timed out while its in-band barrier was
 * still queued: `lowerTentativeEnd`), and an in-band barrier confirms such an end.
 * Controller implementations must not call back into the handler (checked:
 * WEIR_BARRIER_HANDLER_REENTERED).
 *
 * When every channel has ended no barrier can arrive through the inputs any
 * more; later checkpoints of a finished subtask are the coordinator's business
 * (it treats finished subtasks as acknowledged).
 */
import { WeirError, preview } from '../../common/weir-error.ts';
import type { Clock } from '../../common/clock.ts';
import type { Cancel, Scheduler } from './scheduler.ts';
import {
  BarrierAbortReason,
  type BarrierHandlerContext,
  type BarrierHandlerController,
  type BarrierHandlerState,
} from './barrier-handler-state.ts';
import { WaitingForFirstBarrier } from './barrier-states-waiting.ts';
import { TentativeEnds } from './tentative-ends.ts';
import { AtLeastOnceWaitingForFirstBarrier } from './barrier-states-at-least-once.ts';
import type { CheckpointBarrier } from '../io/stream-elements.ts';

export type { BarrierHandlerController, TriggerInfo } from './barrier-handler-state.ts';
export { BarrierAbortReason } from './barrier-handler-state.ts';

/** Checkpointing guarantee of a job (`CheckpointConfig.mode`). */
export type ConsistencyMode = 'exactly-once' | 'at-least-once';

/** What every barrier handler needs. */
export interface BarrierHandlerOptions {
  /** Input channels of the subtask (>= 1), numbered 0..numChannels-1. */
  numChannels: number;
  controller: BarrierHandlerController;
  clock: Clock;
  scheduler: Scheduler;
}

const ALIGNMENTS = new Set(['aligned', 'unaligned', 'aligned-with-timeout']);

function isIndex(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

/** The mutable facts shared by all states of one handler; lent to them as {@link BarrierHandlerContext}. */
class HandlerContext implements BarrierHandlerContext {
  readonly ended = new Set<number>();
  readonly blocked = new Set<number>();
  /** Highest id started here (pending, completed or aborted); -1 before the first. */
  lastStartedId = -1;
  /** Ids newer than {@link lastStartedId} aborted before they started here. */
  readonly abortedAhead = new Set<number>();
  /** Announcements of checkpoints newer than the pending one: id → channel → barrier. */
  readonly deferred = new Map<number, Map<number, CheckpointBarrier>>();
  /** Capture ends taken from announcements and not confirmed yet. */
  readonly tentativeEnds = new TentativeEnds();

  constructor(
    readonly numChannels: number,
    readonly controller: BarrierHandlerController,
    readonly clock: Clock,
    private readonly scheduler: Scheduler,
    private readonly idleState: BarrierHandlerState,
    private readonly onTimeout: (checkpointId: number) => void,
  ) {}

  idle(): BarrierHandlerState {
    return this.idleState;
  }

  openChannels(): number[] {
    const open: number[] = [];
    for (let c = 0; c < this.numChannels; c++) if (!this.ended.has(c)) open.push(c);
    return open;
  }

  isEnded(channel: number): boolean {
    return this.ended.has(channel);
  }

  block(channel: number): void {
    if (this.blocked.has(channel)) return;
    this.blocked.add(channel);
    this.controller.blockChannel(channel);
  }

  unblockAll(): void {
    if (this.blocked.size === 0) return;
    const channels = [...this.blocked].sort((a, b) => a - b);
    this.blocked.clear();
    for (const c of channels) this.controller.unblockChannel(c);
  }

  begin(barrier: CheckpointBarrier): Map<number, number> {
    const id = barrier.checkpointId;
    if (id > this.lastStartedId) this.lastStartedId = id;
    for (const a of this.abortedAhead) if (a <= id) this.abortedAhead.delete(a);
    const positions = new Map<number, number>();
    for (const [channel, b] of this.deferred.get(id) ?? []) positions.set(channel, b.position);
    for (const d of [...this.deferred.keys()]) if (d <= id) this.deferred.delete(d);
    return positions;
  }

  defer(channel: number, barrier: CheckpointBarrier): void {
    const id = barrier.checkpointId;
    if (this.abortedAhead.has(id)) return;
    let byChannel = this.deferred.get(id);
    if (!byChannel) this.deferred.set(id, (byChannel = new Map()));
    if (!byChannel.has(channel)) byChannel.set(channel, barrier);
  }

  endAtAnnouncedPosition(checkpointId: number, channel: number, position: number): void {
    this.controller.channelStateEnd(checkpointId, channel, position);
    this.tentativeEnds.record(checkpointId, channel, position);
  }

  /**
   * The producer's unaligned barrier of `checkpointId` on `channel`: if that capture was ended at a
   * later announced position, end it here instead — whatever state the handler is in (the
   * checkpoint may have gone idle here already; its capture cannot have completed, see
   * subtask-checkpointer.ts `watchQueuedBarriers`).
   */
  lowerTentativeEnd(checkpointId: number, channel: number, position: number): void {
    if (this.tentativeEnds.lowers(checkpointId, channel, position)) this.controller.channelStateEnd(checkpointId, channel, position);
  }

  scheduleAlignedTimeout(checkpointId: number, atMs: number): Cancel {
    return this.scheduler.schedule(atMs, () => this.onTimeout(checkpointId));
  }
}

/**
 * Barrier handling of one subtask. Create it with {@link BarrierHandler.forMode}
 * (or the named factories); feed it input events; read `stateName` for tests.
 */
export class BarrierHandler {
  private state: BarrierHandlerState;
  private readonly ctx: HandlerContext;
  private closed = false;
  private busy = false;
  private latestSeenId = -1;
  private latestCompletedId = -1;

  private constructor(opts: BarrierHandlerOptions, idle: BarrierHandlerState) {
    if (!Number.isSafeInteger(opts.numChannels) || opts.numChannels < 1) {
      throw new WeirError('WEIR_INVALID_ARGUMENT', `a barrier handler needs numChannels >= 1 (an integer), got ${preview(opts.numChannels)}`, {
        numChannels: opts.numChannels,
      });
    }
    this.ctx = new HandlerContext(opts.numChannels, opts.controller, opts.clock, opts.scheduler, idle, (id) => this.fireAlignedTimeout(id));
    this.state = idle;
  }

  /** Exactly-once: handles aligned, unaligned and aligned-with-timeout barriers (per `barrier.alignment`). */
  static exactlyOnce(opts: BarrierHandlerOptions): BarrierHandler {
    return new BarrierHandler(opts, new WaitingForFirstBarrier());
  }

  /** At-least-once: never blocks; triggers when barrier n arrived on every open channel. */
  static atLeastOnce(opts: BarrierHandlerOptions): BarrierHandler {
    return new BarrierHandler(opts, new AtLeastOnceWaitingForFirstBarrier());
  }

  /** The one function that reads the configured mode. */
  static forMode(mode: ConsistencyMode, opts: BarrierHandlerOptions): BarrierHandler {
    switch (mode) {
      case 'exactly-once':
        return BarrierHandler.exactlyOnce(opts);
      case 'at-least-once':
        return BarrierHandler.atLeastOnce(opts);
      default:
        throw new WeirError('WEIR_INVALID_ARGUMENT', `unknown consistency mode ${JSON.stringify(mode)}: expected 'exactly-once' or 'at-least-once'`, { mode });
    }
  }

  /** Latest checkpoint id seen in any event (barrier, announcement, cancel marker, abort); -1 before any. */
  get currentCheckpointId(): number {
    return this.latestSeenId;
  }

  /** Latest id passed to {@link onNotifyComplete}; -1 before any. */
  get latestCompletedCheckpointId(): number {
    return this.latestCompletedId;
  }

  /** Name of the current state, e.g. `'WaitingForFirstBarrier'`, `'CollectingBarriers'`. */
  get stateName(): string {
    return this.state.name;
  }

  /** Whether checkpoint `checkpointId` is in progress here. */
  isPending(checkpointId: number): boolean {
    return this.state.isPending(checkpointId);
  }

  isBlocked(channel: number): boolean {
    return this.ctx.blocked.has(channel);
  }

  /** An in-band barrier reached the head of `channel`'s data lane (its index is the channel's next index). */
  onBarrier(channel: number, barrier: CheckpointBarrier): void {
    this.run(() => {
      this.checkChannel(channel);
      this.checkBarrier(barrier);
      this.seen(barrier.checkpointId);
      this.ctx.tentativeEnds.confirm(barrier.checkpointId, channel);
      if (this.ctx.ended.has(channel) || this.isObsolete(barrier.checkpointId)) return;
      this.state = this.state.barrierReceived(this.ctx, channel, barrier);
    });
  }

  /** A priority-lane barrier (unaligned) or announcement (aligned-with-timeout). An 'aligned' one is ignored. */
  onPriorityBarrier(channel: number, barrier: CheckpointBarrier): void {
    this.run(() => {
      this.checkChannel(channel);
      this.checkBarrier(barrier);
      this.seen(barrier.checkpointId);
      if (barrier.alignment === 'aligned') return;
      if (barrier.alignment === 'unaligned') this.ctx.lowerTentativeEnd(barrier.checkpointId, channel, barrier.position);
      if (this.ctx.ended.has(channel) || this.isObsolete(barrier.checkpointId)) return;
      this.state = this.state.priorityBarrierReceived(this.ctx, channel, barrier);
    });
  }

  /**
   * `channel` delivered EndOfPartition; it no longer counts for any checkpoint.
   * `position` = the EndOfPartition frame's data-lane index (= the channel's
   * next index). Required only when the channel's in-flight data is being
   * captured for an unaligned checkpoint (its capture ends there); otherwise
   * it may be omitted. A second EndOfPartition on a channel is ignored.
   */
  onEndOfPartition(channel: number, position?: number): void {
    this.run(() => {
      this.checkChannel(channel);
      if (position !== undefined && !isIndex(position)) {
        throw new WeirError('WEIR_INVALID_ARGUMENT', `EndOfPartition position must be a frame index (integer >= 0), got ${preview(position)}`, {
          channel,
          position,
        });
      }
      if (this.ctx.ended.has(channel)) return;
      this.ctx.ended.add(channel);
      try {
        this.state = this.state.endOfPartitionReceived(this.ctx, channel, position);
      } catch (err) {
        this.ctx.ended.delete(channel); // the state validated before changing anything
        throw err;
      }
    });
  }

  /** A CancelCheckpoint marker for `checkpointId` arrived on `channel`. */
  onCancelMarker(channel: number, checkpointId: number): void {
    this.run(() => {
      this.checkChannel(channel);
      this.abortId(checkpointId, BarrierAbortReason.CANCELLATION_BARRIER);
    });
  }

  /** The coordinator aborted `checkpointId` (notifyCheckpointAborted). */
  onAbortFromCoordinator(checkpointId: number, reason: string): void {
    this.run(() => this.abortId(checkpointId, reason));
  }

  /** The coordinator completed `checkpointId` (bookkeeping only). */
  onNotifyComplete(checkpointId: number): void {
    if (!isIndex(checkpointId)) return;
    if (checkpointId > this.latestCompletedId) this.latestCompletedId = checkpointId;
    this.seen(checkpointId);
    // Completed: every subtask acknowledged, so every producer had decided (published or timed out).
    this.ctx.tentativeEnds.forget(checkpointId, true);
  }

  /** Cancel timers; every later event is ignored. Does not abort a pending checkpoint. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.state.close();
  }

  private fireAlignedTimeout(checkpointId: number): void {
    this.run(() => {
      if (this.state.isPending(checkpointId)) this.state = this.state.alignedTimeout(this.ctx, checkpointId);
    });
  }

  /** Abort `checkpointId` once: pending → the state aborts it; not started yet → decline it ahead; else nothing. */
  private abortId(checkpointId: number, reason: string): void {
    if (!isIndex(checkpointId)) {
      throw new WeirError('WEIR_INVALID_ARGUMENT', `checkpoint id must be an integer >= 0, got ${preview(checkpointId)}`, { checkpointId });
    }
    this.seen(checkpointId);
    const ctx = this.ctx;
    ctx.tentativeEnds.forget(checkpointId, false);
    if (this.state.isPending(checkpointId)) {
      this.state = this.state.abort(ctx, checkpointId, reason);
      return;
    }
    if (checkpointId <= ctx.lastStartedId || ctx.abortedAhead.has(checkpointId)) return;
    ctx.abortedAhead.add(checkpointId);
    ctx.deferred.delete(checkpointId);
    ctx.controller.abortCheckpoint(checkpointId, reason);
  }

  private isObsolete(checkpointId: number): boolean {
    if (this.state.isPending(checkpointId)) return false;
    return checkpointId <= this.ctx.lastStartedId || this.ctx.abortedAhead.has(checkpointId);
  }

  private seen(checkpointId: number): void {
    if (checkpointId > this.latestSeenId) this.latestSeenId = checkpointId;
  }

  /** Runs one event; then replays deferred announcements while idle. */
  private run(event: () => void): void {
    if (this.closed) return;
    if (this.busy) {
      throw new WeirError('WEIR_BARRIER_HANDLER_REENTERED', 'a BarrierHandlerController method called back into the barrier handler; queue the event instead', {});
    }
    this.busy = true;
    try {
      event();
      this.replayDeferred();
    } finally {
      this.busy = false;
    }
  }

  /** Step 4: announcements deferred for newer checkpoints, in id order, while nothing is pending. */
  private replayDeferred(): void {
    const ctx = this.ctx;
    while (this.state === ctx.idle() && ctx.deferred.size > 0) {
      const id = Math.min(...ctx.deferred.keys());
      const byChannel = ctx.deferred.get(id)!;
      ctx.deferred.delete(id);
      for (const [channel, barrier] of byChannel) {
        if (ctx.ended.has(channel) || this.isObsolete(id)) continue;
        this.state = this.state.priorityBarrierReceived(ctx, channel, barrier);
      }
    }
  }

  private checkChannel(channel: number): void {
    if (!Number.isInteger(channel) || channel < 0 || channel >= this.ctx.numChannels) {
      throw new WeirError('WEIR_INVALID_ARGUMENT', `channel ${String(channel)} does not exist: this subtask has channels 0..${this.ctx.numChannels - 1}`, {
        channel,
        numChannels: this.ctx.numChannels,
      });
    }
  }

  private checkBarrier(b: CheckpointBarrier): void {
    const ok =
      b !== null &&
      typeof b === 'object' &&
      isIndex(b.checkpointId) &&
      isIndex(b.position) &&
      Number.isFinite(b.timestamp) &&
      Number.isFinite(b.alignedTimeoutMs) &&
      b.alignedTimeoutMs >= 0 &&
      ALIGNMENTS.has(b.alignment);
    if (!ok) {
      throw new WeirError('WEIR_BARRIER_INVALID', 'malformed checkpoint barrier: needs checkpointId and position as integers >= 0, finite timestamp, alignedTimeoutMs >= 0 and a known alignment', {
        barrier: b as unknown,
      });
    }
  }
}
