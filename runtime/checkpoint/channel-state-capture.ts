/**
 * Collects the in-flight input data of unaligned checkpoints (input channel
 * state), exactly once per frame.
 *
 * Model: per pending checkpoint n and captured channel c, a half-open range of
 * data-lane frame indices [start, end):
 *   start = the channel's next index to process when n was triggered
 *           (`begin`);
 *   end   = the barrier position of n on c (`setEnd`, from the handler's
 *           channelStateEnd) — unknown until then, so the range is open.
 * Frames reach the capture by two routes, in any interleaving:
 *   - `offerQueued`: a peek of the ring — frames published but not processed;
 *   - `offerProcessed`: record-on-consume — the task is about to process it.
 * A frame is copied the first time it is offered inside its range; later
 * offers of the same index are ignored. Frames captured while the end was
 * unknown and that lie at or beyond the end are dropped by `setEnd`.
 *
 * A range may also start with a **prefix**: frames handed over whole at
 * `begin` that precede every ring frame of the channel — input the subtask had
 * taken off the ring but not processed yet (the unprocessed rest of the frame
 * it was in the middle of, restored in-flight frames not yet replayed).
 *
 * Memory: one copied `Uint8Array` per captured frame (the payloads passed in
 * may be views into a ring that is about to be overwritten), held in a
 * Map<index, frame> per range until `take` or `abort`.
 *
 * Call order per checkpoint: begin → (setEnd | offerQueued | offerProcessed)* →
 * isComplete → take   (or abort at any point).
 * Hot path: `offerProcessed` is one boolean check when nothing is open.
 */
import { WeirError } from '../../common/weir-error.ts';
import type { Frame, IndexedFrame } from '../../actors/in-worker.ts';

class CaptureRange {
  end: number | undefined;
  /** Captured frames by index; their payloads are private copies. */
  readonly frames = new Map<number, IndexedFrame>();
  bytes = 0;

  constructor(
    readonly checkpointId: number,
    readonly channel: number,
    readonly start: number,
    /** Frames before the ring's `start` (owned by the capture; index -1). */
    readonly prefix: readonly IndexedFrame[] = [],
  ) {
    for (const f of prefix) this.bytes += f.payload.byteLength;
  }

  get complete(): boolean {
    return this.end !== undefined && this.frames.size === this.end - this.start;
  }

  /** Copies the frame if it is inside the range and not captured yet. */
  accept(index: number, kind: number, payload: Uint8Array): void {
    if (index < this.start || (this.end !== undefined && index >= this.end) || this.frames.has(index)) return;
    const copy = payload.slice();
    this.frames.set(index, { index, kind, payload: copy });
    this.bytes += copy.byteLength;
  }

  /** Fixes the end and drops frames captured beyond it. */
  close(end: number): void {
    this.end = end;
    for (const [index, frame] of this.frames) {
      if (index >= end) {
        this.frames.delete(index);
        this.bytes -= frame.payload.byteLength;
      }
    }
  }

  /** [first missing index, end or Infinity) when something is missing. */
  missing(): [number, number] | undefined {
    if (this.complete) return undefined;
    let first = this.start;
    while (this.frames.has(first)) first++;
    if (this.end === undefined) return [first, Number.POSITIVE_INFINITY];
    let last = this.end - 1;
    while (last > first && this.frames.has(last)) last--;
    return [first, last + 1];
  }
}

/** Input channel state of pending unaligned checkpoints; see the file header. */
export class ChannelStateCapture {
  private readonly checkpoints = new Map<number, Map<number, CaptureRange>>();
  /** Ranges still needing frames, per channel. */
  private readonly openByChannel = new Map<number, CaptureRange[]>();
  private openCount = 0;

  /** Whether any range still needs frames (the hot-path check). */
  get capturing(): boolean {
    return this.openCount > 0;
  }

  /** Ids of checkpoints begun and neither taken nor aborted, ascending. */
  get checkpointIds(): number[] {
    return [...this.checkpoints.keys()].sort((a, b) => a - b);
  }

  /**
   * Start capturing checkpoint `checkpointId` on each channel from its next index to process.
   * `prefixes` (optional, per channel): frames that precede the ring's frames — input taken off
   * the ring but not processed yet; they are kept as given (the caller must not reuse them).
   */
  begin(checkpointId: number, starts: ReadonlyMap<number, number>, prefixes?: ReadonlyMap<number, ReadonlyArray<Frame>>): void {
    if (this.checkpoints.has(checkpointId)) {
      throw new WeirError('WEIR_CHANNEL_STATE_DUPLICATE', `channel state capture of checkpoint ${checkpointId} was already begun`, { checkpointId });
    }
    const ranges = new Map<number, CaptureRange>();
    for (const [channel, start] of starts) {
      if (!Number.isSafeInteger(channel) || channel < 0 || !Number.isSafeInteger(start) || start < 0) {
        throw new WeirError('WEIR_INVALID_ARGUMENT', `channel state capture needs channel and start index as integers >= 0, got channel ${channel} start ${start}`, {
          checkpointId,
          channel,
          start,
        });
      }
      const prefix = (prefixes?.get(channel) ?? []).map((f) => ({ index: -1, kind: f.kind, payload: f.payload }));
      ranges.set(channel, new CaptureRange(checkpointId, channel, start, prefix));
    }
    this.checkpoints.set(checkpointId, ranges);
    for (const range of ranges.values()) this.open(range);
  }

  /**
   * Frames with index < `end` on `channel` belong to `checkpointId`. Ignored
   * for a checkpoint that is not (or no longer) captured; setting the same end
   * twice is harmless; a lower end replaces a higher one (frames beyond it are
   * dropped), a higher one is a conflict.
   */
  setEnd(checkpointId: number, channel: number, end: number): void {
    const ranges = this.checkpoints.get(checkpointId);
    if (!ranges) return; // aborted or taken: late call
    const range = ranges.get(channel);
    if (!range) {
      throw new WeirError('WEIR_CHANNEL_STATE_UNKNOWN_CHANNEL', `channel ${channel} is not captured for checkpoint ${checkpointId}`, {
        checkpointId,
        channel,
        captured: [...ranges.keys()],
      });
    }
    if (range.end !== undefined) {
      if (range.end === end) return;
      // Lowering is allowed: an end taken from an aligned-with-timeout announcement gives way to the
      // producer's unaligned barrier (barrier-handler.ts); the frames in between are dropped here.
      if (end < range.end && end >= range.start) {
        range.close(end);
        if (range.complete) this.close(range);
        return;
      }
      throw new WeirError('WEIR_CHANNEL_STATE_END_CONFLICT', `channel ${channel} of checkpoint ${checkpointId} already ends at ${range.end}, not ${end}`, {
        checkpointId,
        channel,
        end: range.end,
        requested: end,
      });
    }
    if (!Number.isSafeInteger(end) || end < range.start) {
      throw new WeirError(
        'WEIR_CHANNEL_STATE_BAD_END',
        `end ${end} of channel ${channel} for checkpoint ${checkpointId} lies before the capture start ${range.start}: a barrier cannot precede frames already processed`,
        { checkpointId, channel, start: range.start, end },
      );
    }
    range.close(end);
    if (range.complete) this.close(range);
  }

  /** Frames currently queued on `channel` (e.g. `ChannelReader.peek()`; payloads may be views overwritten later): copies those in an open range not yet captured. */
  offerQueued(channel: number, frames: ReadonlyArray<IndexedFrame>): void {
    if (this.openCount === 0) return;
    const ranges = this.openByChannel.get(channel);
    if (!ranges) return;
    for (const range of [...ranges]) {
      for (const f of frames) range.accept(f.index, f.kind, f.payload);
      if (range.complete) this.close(range);
    }
  }

  /** Record-on-consume: a frame of `channel` the task is about to process. */
  offerProcessed(channel: number, index: number, kind: number, payload: Uint8Array): void {
    if (this.openCount === 0) return;
    const ranges = this.openByChannel.get(channel);
    if (!ranges) return;
    for (let i = ranges.length - 1; i >= 0; i--) {
      const range = ranges[i]!;
      range.accept(index, kind, payload);
      if (range.complete) this.close(range);
    }
  }

  /**
   * Channels with a range whose end is known but which still misses frames, with the
   * first missing index: those frames are published later (a barrier position may count
   * frames its producer had queued but not published), and can be taken by a peek
   * as soon as they are, instead of waiting until the task processes them.
   */
  awaitingPublished(): Map<number, number> {
    const out = new Map<number, number>();
    for (const [channel, ranges] of this.openByChannel) {
      for (const r of ranges) {
        if (r.end === undefined) continue;
        const first = r.missing()?.[0];
        if (first !== undefined) out.set(channel, Math.min(out.get(channel) ?? first, first));
      }
    }
    return out;
  }

  /** Every captured channel has an end and all frames in [start, end) are captured. */
  isComplete(checkpointId: number): boolean {
    for (const range of this.ranges(checkpointId).values()) if (!range.complete) return false;
    return true;
  }

  /** Per incomplete channel: [first missing index, last missing index + 1), or [first, Infinity) while the end is unknown. */
  missing(checkpointId: number): Map<number, [number, number]> {
    const out = new Map<number, [number, number]>();
    for (const [channel, range] of this.ranges(checkpointId)) {
      const gap = range.missing();
      if (gap) out.set(channel, gap);
    }
    return out;
  }

  /** Captured payload bytes of `checkpointId` so far. */
  bytes(checkpointId: number): number {
    let total = 0;
    for (const range of this.ranges(checkpointId).values()) total += range.bytes;
    return total;
  }

  /** The complete channel state of `checkpointId`, frames ordered by index per channel (payloads are private copies); forgets it. */
  take(checkpointId: number): Map<number, IndexedFrame[]> {
    const ranges = this.ranges(checkpointId);
    if (!this.isComplete(checkpointId)) {
      const missing = Object.fromEntries([...this.missing(checkpointId)].map(([c, r]) => [c, r]));
      throw new WeirError('WEIR_CHANNEL_STATE_INCOMPLETE', `channel state of checkpoint ${checkpointId} is incomplete; missing frames per channel: ${JSON.stringify(missing)}`, {
        checkpointId,
        missing,
      });
    }
    const out = new Map<number, IndexedFrame[]>();
    for (const [channel, range] of ranges) {
      const frames: IndexedFrame[] = [...range.prefix];
      for (let i = range.start; i < range.end!; i++) frames.push(range.frames.get(i)!);
      out.set(channel, frames);
    }
    this.checkpoints.delete(checkpointId);
    return out;
  }

  /** Forget `checkpointId` (no-op if unknown). */
  abort(checkpointId: number): void {
    const ranges = this.checkpoints.get(checkpointId);
    if (!ranges) return;
    for (const range of ranges.values()) this.close(range);
    this.checkpoints.delete(checkpointId);
  }

  private ranges(checkpointId: number): Map<number, CaptureRange> {
    const ranges = this.checkpoints.get(checkpointId);
    if (!ranges) {
      throw new WeirError('WEIR_CHANNEL_STATE_UNKNOWN_CHECKPOINT', `no channel state capture for checkpoint ${checkpointId} (never begun, taken or aborted)`, {
        checkpointId,
      });
    }
    return ranges;
  }

  private open(range: CaptureRange): void {
    let list = this.openByChannel.get(range.channel);
    if (!list) this.openByChannel.set(range.channel, (list = []));
    list.push(range);
    this.openCount++;
  }

  /** Removes a range from the open lists (complete or aborted). */
  private close(range: CaptureRange): void {
    const list = this.openByChannel.get(range.channel);
    const i = list ? list.indexOf(range) : -1;
    if (i < 0) return;
    list!.splice(i, 1);
    if (list!.length === 0) this.openByChannel.delete(range.channel);
    this.openCount--;
  }
}
