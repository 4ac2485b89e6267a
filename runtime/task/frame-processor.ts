/**
 * Processing one input data frame (a record batch) in time slices, so that a
 * slow operator never makes a subtask deaf for the length of a whole frame.
 *
 * Why: a frame holds up to `batching.maxRecords` records (1 024 by default).
 * Behind a sink that spends 5 ms per record, one frame is 5 s of work, and a
 * barrier, a stop or a control-plane call could only be handled between
 * frames. Flink has the same problem at the granularity of a network buffer
 * and solves it the same way for unaligned checkpoints: the part of the
 * buffer not yet processed becomes channel state (`ChannelStatePersister`).
 *
 * A frame is processed in slices of about {@link SLICE_MS}; a slice also ends
 * early when an output channel queues more than its budget outside a full ring
 * (`batching.maxPendingBytes`). Between two slices (only when the frame is not
 * finished), the task (input-task.ts `betweenSlices`):
 *   1. drains output to the rings (backpressure per slice; while a write waits,
 *      priority barriers and mails are handled — StreamTask.drain);
 *   2. handles priority events (unaligned barriers, announcements) and takes
 *      channel state that became available on the rings;
 *   3. gives the event loop a turn and runs its mails (control calls, timers);
 *   4. a stop ends the frame early (the attempt is being torn down).
 * While a frame is in progress, {@link FrameProcessor.unprocessed} gives its rest: a checkpoint
 * triggered between two slices captures the unprocessed remainder of the frame
 * as the first frame of that channel's input channel state (see
 * SubtaskCheckpointer.triggerCheckpoint), so unaligned checkpoints complete
 * within a slice of work, not a frame of it.
 *
 * The clock is read every `checkEvery` records, adapted to the measured cost
 * per record: every record for a slow operator, every 64 for a fast one (a
 * clock read costs ~30 ns, a fast record ~100 ns).
 */
import { decodeBatch, encodeBatch } from '../io/record-codec.ts';
import { RECORD_BATCH_KIND } from '../io/stream-elements.ts';
import type { Frame } from '../../actors/in-worker.ts';
import type { Output } from '../operators/operator.ts';
import type { OutputBudget } from './record-writer.ts';

/** Target duration of one slice of a frame, ms. */
export const SLICE_MS = 2;
/** Aim for a clock read about this often, ms (so a slice overshoots by at most one record or this). */
const CHECK_MS = 0.1;
const MAX_CHECK_EVERY = 64;

/** The data frame a subtask is processing, between two of its slices. */
export interface FrameInProgress {
  readonly channel: number;
  /** Data-lane index of the frame on its channel (-1: a restored in-flight frame). */
  readonly index: number;
  readonly records: readonly unknown[];
  readonly timestamps: Float64Array | null;
  /** Records [0, next) are processed; [next, records.length) are not. */
  next: number;
}

/** A frame of restored in-flight input waiting to be replayed (unaligned checkpoint restore). */
export interface ReplayFrame extends Frame {
  /** The input channel it was read from. */
  readonly channel: number;
}

/** What the frame processor needs of its task. */
export interface FrameHost {
  /** Entry of records into the operator chain. */
  readonly input: Output<unknown>;
  /**
   * A two-input head: the entry per input channel (its input's processElement1/2 entry). Absent for
   * one-input chains (every frame goes to `input`). Chosen once per frame, never per record.
   */
  readonly channelInputs?: readonly Output<unknown>[];
  readonly budget: OutputBudget;
  readonly stopping: boolean;
  /** Runs a slice inside one keyed-state batch. */
  inStateBatch(fn: () => void): void;
  countRecordsIn(n: number): void;
  /** Between two slices of a frame: drain output, priority input, mails. */
  betweenSlices(): Promise<void>;
}

export class FrameProcessor {
  /** Records between clock reads, adapted to the measured cost per record. */
  private checkEvery = 1;
  /** The input frame being processed in slices, if any. */
  private current: FrameInProgress | undefined;

  constructor(private readonly host: FrameHost) {}

  /**
   * Process a record batch read from `channel` (data-lane index `index`; -1 for a restored frame).
   * Returns without finishing the frame only when the task is stopping.
   */
  async process(channel: number, index: number, payload: Uint8Array): Promise<void> {
    const { records, timestamps } = decodeBatch(payload);
    const n = records.length;
    const frame: FrameInProgress = { channel, index, records, timestamps, next: 0 };
    const host = this.host;
    const input = host.channelInputs?.[channel] ?? host.input;
    const budget = host.budget;
    this.current = frame;
    try {
      while (frame.next < n) {
        const start = frame.next;
        const t0 = performance.now();
        const deadline = t0 + SLICE_MS;
        const checkEvery = this.checkEvery;
        let i = start;
        let sinceCheck = 0;
        try {
          host.inStateBatch(() => {
            while (i < n) {
              const t = timestamps?.[i];
              input.collect(records[i], t === undefined || Number.isNaN(t) ? undefined : t);
              i++;
              // An output channel queues more than its budget outside a full ring: stop after this
              // record and drain (the bound on in-flight data, record-writer.ts).
              if (budget.exceeded) break;
              if (++sinceCheck >= checkEvery) {
                sinceCheck = 0;
                if (performance.now() >= deadline) break;
              }
            }
          });
        } finally {
          host.countRecordsIn(i - start);
          frame.next = i;
        }
        const perRecordMs = (performance.now() - t0) / Math.max(1, i - start);
        this.checkEvery = Math.max(1, Math.min(MAX_CHECK_EVERY, Math.floor(CHECK_MS / Math.max(perRecordMs, 1e-6))));
        if (i < n) {
          await host.betweenSlices();
          if (host.stopping) return;
        }
      }
    } finally {
      this.current = undefined;
    }
  }

  /**
   * The unprocessed rest of the frame in progress (re-encoded), if any: a checkpoint triggered
   * between two slices persists it ahead of the ring's frames of its channel.
   */
  unprocessed(): ReplayFrame | undefined {
    const cur = this.current;
    if (!cur || cur.next >= cur.records.length) return undefined;
    const rest = cur.records.slice(cur.next);
    const ts = cur.timestamps ? cur.timestamps.subarray(cur.next) : null;
    return { channel: cur.channel, kind: RECORD_BATCH_KIND, payload: encodeBatch(rest, ts) };
  }
}
