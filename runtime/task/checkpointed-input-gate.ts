/**
 * The input of a non-source subtask as the task loop sees it (Flink's `CheckpointedInputGate`):
 * the input channels (input-gate.ts: fair reading, priority lanes first, blocked channels
 * skipped), decoding of control elements, and the barrier handler. It is the only place that
 * routes barriers, announcements, cancel markers and end-of-partition to the barrier handler,
 * and the only place that hands data frames to the channel-state writer (record-on-consume).
 *
 * Its barrier handler's controller is here too: blocking a channel is the gate's business,
 * the end of a channel's in-flight data is the channel-state writer's, and a trigger or a
 * local abort goes to the subtask checkpointer.
 *
 * The loop takes input with {@link pollNext} (data only: record batches, watermarks, the end
 * of a channel's data or partition) and, between slices of a frame and while its output is
 * blocked, lets priority events through with {@link processPriorityEvents}.
 */
import { BarrierHandler, type BarrierHandlerController, type TriggerInfo } from '../checkpoint/barrier-handler.ts';
import type { Clock } from '../../common/clock.ts';
import type { Scheduler } from '../checkpoint/scheduler.ts';
import { decodeElement, RECORD_BATCH_KIND, type CheckpointBarrier, type StreamElement } from '../io/stream-elements.ts';
import type { InputGate, InputEvent } from './input-gate.ts';
import type { ChannelStateWriter } from './channel-state-writer.ts';

/** What the loop gets from its input. */
export type InputItem =
  /** A record batch (payload is a view, valid until the channel's next read). */
  | { readonly type: 'records'; readonly channel: number; readonly index: number; readonly payload: Uint8Array }
  | { readonly type: 'watermark'; readonly channel: number; readonly timestamp: number }
  /** The channel's producer turned idle (no records for its idle timeout) or active again. */
  | { readonly type: 'watermark-status'; readonly channel: number; readonly idle: boolean }
  /** The channel carries no more records or watermarks (barriers may follow). */
  | { readonly type: 'end-of-data'; readonly channel: number }
  /** The channel ended. */
  | { readonly type: 'end-of-partition'; readonly channel: number };

/** The subtask checkpointer, as the barrier handler needs it. */
export interface CheckpointActions {
  triggerCheckpoint(barrier: CheckpointBarrier, info: TriggerInfo): void;
  abortCheckpoint(checkpointId: number, reason: string): void;
}

export interface BarrierHandling {
  readonly mode: 'exactly-once' | 'at-least-once';
  readonly checkpoints: CheckpointActions;
  readonly clock: Clock;
  /** Runs the aligned-checkpoint timeout (it submits a mail: it must not act on its own). */
  readonly scheduler: Scheduler;
}

export class CheckpointedInputGate {
  /** Undefined without checkpointing (barriers never come). */
  readonly barrierHandler: BarrierHandler | undefined;
  /** Frames read so far, data and control (metrics). */
  framesRead = 0;

  constructor(readonly gate: InputGate, private readonly channelState: ChannelStateWriter, barriers?: BarrierHandling) {
    if (barriers) {
      const controller: BarrierHandlerController = {
        blockChannel: (ch) => void (gate.blocked[ch] = true),
        unblockChannel: (ch) => void (gate.blocked[ch] = false),
        triggerCheckpoint: (barrier, info) => barriers.checkpoints.triggerCheckpoint(barrier, info),
        channelStateEnd: (id, ch, position) => channelState.setEnd(id, ch, position),
        abortCheckpoint: (id, reason) => barriers.checkpoints.abortCheckpoint(id, reason),
      };
      this.barrierHandler = BarrierHandler.forMode(barriers.mode, { numChannels: gate.channelCount, controller, clock: barriers.clock, scheduler: barriers.scheduler });
    }
  }

  get channelCount(): number {
    return this.gate.channelCount;
  }

  /** Every channel delivered end-of-data. */
  get allDataEnded(): boolean {
    return this.gate.allDataEnded;
  }

  /** Every channel ended. */
  get allEnded(): boolean {
    return this.gate.allEnded;
  }

  /**
   * The next data item, or null when nothing is available now. Control elements met on the
   * way (barriers, announcements, cancel markers) are handled here and not returned.
   */
  pollNext(): InputItem | null {
    for (let ev = this.gate.poll(); ev; ev = this.gate.poll()) {
      this.framesRead++;
      if (!ev.priority) this.channelState.onDataFrame(ev.channel, ev.index, ev.kind, ev.payload);
      if (ev.kind === RECORD_BATCH_KIND) return { type: 'records', channel: ev.channel, index: ev.index, payload: ev.payload };
      const el = decodeElement(ev.kind, ev.payload);
      switch (el.type) {
        case 'watermark':
          return { type: 'watermark', channel: ev.channel, timestamp: el.timestamp };
        case 'watermark-status':
          return { type: 'watermark-status', channel: ev.channel, idle: el.idle };
        case 'end-of-data':
          this.gate.markDataEnded(ev.channel);
          return { type: 'end-of-data', channel: ev.channel };
        case 'end-of-partition':
          this.barrierHandler?.onEndOfPartition(ev.channel, ev.index);
          this.gate.markEnded(ev.channel);
          return { type: 'end-of-partition', channel: ev.channel };
        default:
          this.routeControl(ev, el);
          // A capture end may have been set while a priority frame waited (no peek then): take now.
          this.channelState.takePublished();
      }
    }
    return null;
  }

  /**
   * Handle what waits on the priority lanes (unaligned barriers, announcements) and take the
   * channel state that was published meanwhile; data stays queued. Whether anything was handled.
   */
  processPriorityEvents(): boolean {
    let handled = false;
    for (let ev = this.gate.pollPriority(); ev; ev = this.gate.pollPriority()) {
      this.framesRead++;
      this.routeControl(ev, decodeElement(ev.kind, ev.payload));
      handled = true;
    }
    this.channelState.takePublished();
    return handled;
  }

  /** Whether a priority event waits (checked before sleeping, after arming the doorbell). */
  hasPriorityEvent(): boolean {
    const ev = this.gate.pollPriority();
    if (!ev) return false;
    this.framesRead++;
    this.routeControl(ev, decodeElement(ev.kind, ev.payload));
    return true;
  }

  /** Waits until some input may be available or the doorbell rang (`otherWork()` is checked once it is armed). */
  waitForInput(otherWork?: () => boolean): Promise<void> {
    return this.gate.waitForInput(otherWork);
  }

  onNotifyComplete(checkpointId: number): void {
    this.barrierHandler?.onNotifyComplete(checkpointId);
  }

  onAbortFromCoordinator(checkpointId: number, reason: string): void {
    this.barrierHandler?.onAbortFromCoordinator(checkpointId, reason);
  }

  close(): void {
    this.barrierHandler?.close();
  }

  /** Barriers, announcements and cancel markers: the barrier handler decides. */
  private routeControl(ev: InputEvent, el: StreamElement): void {
    const h = this.barrierHandler;
    switch (el.type) {
      case 'barrier':
        h?.onBarrier(ev.channel, el.barrier);
        return;
      case 'priority-barrier':
        h?.onPriorityBarrier(ev.channel, el.barrier);
        return;
      case 'cancel-checkpoint':
        h?.onCancelMarker(ev.channel, el.checkpointId);
        return;
      default:
        throw new Error(`unexpected ${el.type} element on the priority lane of input channel ${ev.channel}`);
    }
  }
}
