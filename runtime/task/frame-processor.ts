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
 * finished):
 *   1. output is drained to the rings (backpressure per slice, and while a
 *      write waits, priority barriers are handled — see StreamTask.drain);
 *   2. priority events (unaligned barriers, announcements) are handled, and
 *      channel state that became available on the rings is taken;
 *   3. the event loop gets a turn (control-plane calls: stop, notifications;
 *      timers such as the aligned-checkpoint timeout);
 *   4. a stop ends the frame early (the attempt is being torn down).
 * While a frame is in progress, `task.currentFrame` describes it: a checkpoint
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
import type { StreamTask } from './stream-task.ts';
import type { Frame } from '../../actors/index.ts';

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

/** Per-task adaptive state: records between clock reads. */
const checkEveryOf = new WeakMap<StreamTask, number>();

/**
 * Process a record batch read from `channel` (data-lane index `index`).
 * Returns without finishing the frame only when the task is stopping.
 */
export async function processFrame(task: StreamTask, channel: number, index: number, payload: Uint8Array): Promise<void> {
  const { records, timestamps } = decodeBatch(payload);
  const n = records.length;
  const frame: FrameInProgress = { channel, index, records, timestamps, next: 0 };
  const input = task.chain.input;
  const budget = task.outputs.budget;
  let checkEvery = checkEveryOf.get(task) ?? 1;
  task.currentFrame = frame;
  try {
    while (frame.next < n) {
      const start = frame.next;
      const t0 = performance.now();
      const deadline = t0 + SLICE_MS;
      let i = start;
      let sinceCheck = 0;
      const slice = () => {
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
      };
      try {
        if (task.keyedState) task.keyedState.batch(slice);
        else slice();
      } finally {
        task.recordsIn += i - start;
        frame.next = i;
      }
      const perRecordMs = (performance.now() - t0) / Math.max(1, i - start);
      checkEvery = Math.max(1, Math.min(MAX_CHECK_EVERY, Math.floor(CHECK_MS / Math.max(perRecordMs, 1e-6))));
      if (i < n) {
        await betweenSlices(task);
        if (task.stopping) return;
      }
    }
  } finally {
    task.currentFrame = undefined;
    checkEveryOf.set(task, checkEvery);
  }
}

async function betweenSlices(task: StreamTask): Promise<void> {
  await task.drain();
  const gate = task.gate!;
  for (let ev = gate.pollPriority(); ev; ev = gate.pollPriority()) task.handleControlEvent(ev);
  task.checkpointer?.takePublishedChannelState();
  await task.maybeYield();
}

/** A frame of restored in-flight input waiting to be replayed (unaligned checkpoint restore). */
export interface ReplayFrame extends Frame {
  /** The input channel it was read from. */
  readonly channel: number;
}

/**
 * Input of `channels` that is off the ring but not processed, in processing
 * order: the unprocessed rest of the frame in progress (re-encoded), then the
 * restored frames not replayed yet. A checkpoint triggered now must persist it
 * ahead of the ring's frames (it is in flight exactly like them).
 */
export function unprocessedInput(task: StreamTask, channels: readonly number[]): Map<number, ReplayFrame[]> {
  const out = new Map<number, ReplayFrame[]>();
  const wanted = new Set(channels);
  const add = (f: ReplayFrame) => {
    if (!wanted.has(f.channel)) return;
    (out.get(f.channel) ?? out.set(f.channel, []).get(f.channel)!).push(f);
  };
  const cur = task.currentFrame;
  if (cur && cur.next < cur.records.length) {
    const rest = cur.records.slice(cur.next);
    const ts = cur.timestamps ? cur.timestamps.subarray(cur.next) : null;
    add({ channel: cur.channel, kind: RECORD_BATCH_KIND, payload: encodeBatch(rest, ts) });
  }
  for (const f of task.replayQueue ?? []) add(f);
  return out;
}
