/**
 * Test support for the barrier-handler tests: a controller that records every
 * call as a short string (so a test asserts the exact call sequence with one
 * deepEqual), a barrier builder and a harness on a manual clock.
 * Not part of the runtime.
 */
import { BarrierHandler, type ConsistencyMode } from './barrier-handler.ts';
import type { BarrierHandlerController, TriggerInfo } from './barrier-handler-state.ts';
import { ManualClock } from '../../common/clock.ts';
import { ManualScheduler } from './scheduler.ts';
import type { CheckpointBarrier } from '../io/stream-elements.ts';

/**
 * Records controller calls as:
 * `block(c)`, `unblock(c)`, `trigger(n aligned|unaligned align=A delay=D capture=[…])`,
 * `end(n c@position)`, `abort(n REASON)`.
 */
export class RecordingController implements BarrierHandlerController {
  private log: string[] = [];
  /** Every trigger with its full arguments. */
  readonly triggers: Array<{ barrier: CheckpointBarrier; info: TriggerInfo }> = [];
  /** Called after each recorded call (e.g. to re-enter the handler in a test). */
  onCall: ((call: string) => void) | undefined;

  blockChannel(channel: number): void {
    this.push(`block(${channel})`);
  }

  unblockChannel(channel: number): void {
    this.push(`unblock(${channel})`);
  }

  triggerCheckpoint(barrier: CheckpointBarrier, info: TriggerInfo): void {
    this.triggers.push({ barrier, info: { ...info, captureChannels: [...info.captureChannels] } });
    this.push(triggerString(barrier.checkpointId, info.unaligned, info.alignmentMs, info.startDelayMs, info.captureChannels));
  }

  channelStateEnd(checkpointId: number, channel: number, position: number): void {
    this.push(`end(${checkpointId} ${channel}@${position})`);
  }

  abortCheckpoint(checkpointId: number, reason: string): void {
    this.push(`abort(${checkpointId} ${reason})`);
  }

  /** Calls recorded since the last `take()`, then forgets them. */
  take(): string[] {
    const out = this.log;
    this.log = [];
    return out;
  }

  private push(call: string): void {
    this.log.push(call);
    this.onCall?.(call);
  }
}

/** The string {@link RecordingController} records for a trigger. */
export function triggerString(id: number, unaligned: boolean, alignmentMs: number, startDelayMs: number, capture: readonly number[]): string {
  return `trigger(${id} ${unaligned ? 'unaligned' : 'aligned'} align=${alignmentMs} delay=${startDelayMs} capture=[${capture.join(',')}])`;
}

/** A barrier with defaults: timestamp 1000, kind 'checkpoint', alignedTimeoutMs 100, position 0. */
export function barrier(checkpointId: number, alignment: CheckpointBarrier['alignment'], over: Partial<CheckpointBarrier> = {}): CheckpointBarrier {
  return { checkpointId, timestamp: 1000, kind: 'checkpoint', alignment, alignedTimeoutMs: 100, position: 0, ...over };
}

/** A handler on a manual clock starting at `startMs` (default 1000) with a recording controller. */
export function harness(mode: ConsistencyMode, numChannels: number, startMs = 1000) {
  const timers = new ManualScheduler(new ManualClock(startMs));
  const controller = new RecordingController();
  const handler = BarrierHandler.forMode(mode, { numChannels, controller, clock: timers.clock, scheduler: timers });
  return { timers, clock: timers.clock, controller, handler, calls: () => controller.take() };
}

/** All orderings of `items`. */
export function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [items.slice()];
  const out: T[][] = [];
  items.forEach((item, i) => {
    const rest = items.filter((_, k) => k !== i);
    for (const p of permutations(rest)) out.push([item, ...p]);
  });
  return out;
}
