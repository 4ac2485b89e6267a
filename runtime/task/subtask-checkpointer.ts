/**
 * The checkpointing side of a subtask (Flink's `SubtaskCheckpointCoordinator`): takes the
 * snapshot, forwards the barrier, has the channel-state writer capture in-flight input and
 * acknowledges to the coordinator. It runs on the task loop only: a trigger comes from the
 * barrier handler (checkpointed-input-gate.ts) or, at sources, from a mail.
 *
 * Checkpoint n on one subtask, step by step:
 *   1. Trigger — sources: a control-plane call from the coordinator; other
 *      subtasks: their barrier handler (aligned: last barrier; unaligned: first).
 *      Always between two records (between frames, between two slices of a
 *      frame — frame-processor.ts —, or while output waits), never inside a state batch.
 *   2. Synchronous part: flush partial output batches; snapshot keyed state
 *      (a tiny sync part) and operator state (source offsets).
 *   3. Forward the barrier on every output channel:
 *        aligned                in-band, after everything emitted before it;
 *        unaligned              a priority barrier with position = frames published;
 *                               frames not yet published become output channel state;
 *        aligned-with-timeout   in-band at index p plus a priority announcement of p;
 *                               if the in-band copy is still queued when the aligned
 *                               timeout passes, it is overtaken by an unaligned priority
 *                               barrier and the frames before it become output channel
 *                               state (producer-side timeout, `watchQueuedBarriers`).
 *   4. Unaligned: capture input channel state — for each captured channel, frames
 *      from the next-to-process index up to the barrier's position (queued ones
 *      by peek, later ones as they are processed), preceded by what was taken
 *      off the ring but not processed (the rest of a frame processed in slices,
 *      restored frames not replayed yet).
 *   5. Asynchronous part: materialize keyed state, wait until channel state is
 *      complete (input captured; every queued aligned-with-timeout barrier
 *      published or overtaken), write it, then acknowledge with handles, files and metrics.
 * A failure in step 2 fails the task (Flink semantics) — except that its checkpoint directory
 * cannot be created (storage, not the task), which declines as a failure in step 5 does;
 * a failure in step 5 declines the checkpoint.
 */
import type { KeyedStateBackend, KeyedStateHandle, SnapshotInProgress, SnapshotTarget } from '../../state/index.ts';
import type { TriggerInfo } from '../checkpoint/barrier-handler.ts';
import { channelStateBytes, isEmptyChannelState, writeChannelStateFile, type ChannelStateContents, type OutputChannelState } from '../checkpoint/channel-state-file.ts';
import type { SubtaskAck } from '../checkpoint/pending-checkpoint.ts';
import { CheckpointFailureReason } from '../checkpoint/checkpoint-failure-reason.ts';
import type { CheckpointFile } from '../checkpoint/checkpoint-metadata.ts';
import { toExactJson } from '../../common/codec/exact-json.ts';
import { WeirError } from '../../common/weir-error.ts';
import type { SubtaskCheckpointLocations } from '../checkpoint/checkpoint-locations.ts';
import type { CheckpointBarrier } from '../io/stream-elements.ts';
import type { Frame } from '../../actors/in-worker.ts';
import type { Cancel, Scheduler } from '../checkpoint/scheduler.ts';
import { alignedDeadline } from '../checkpoint/barrier-handler-state.ts';
import type { CheckpointMessage } from './task-protocol.ts';
import type { TaskOutputs } from './task-outputs.ts';
import type { ChannelStateWriter } from './channel-state-writer.ts';

/** The operator state of one subtask in a checkpoint (small, inline in `_metadata`). */
export interface SubtaskStateHandles {
  keyed?: KeyedStateHandle;
  /** Operator state (source offsets, …) by operator uid. */
  operator: Record<string, unknown>;
}

/** The in-flight data of one subtask in a checkpoint (`SubtaskAck.channelStateHandles`). */
export interface ChannelStateHandle {
  /** The channel-state file, relative like every handle path. */
  readonly file: string;
  readonly inputFrames: number;
  readonly outputFrames: number;
}

/** What the checkpointer needs of its task. */
export interface CheckpointedTask {
  readonly outputs: TaskOutputs;
  readonly keyedState: KeyedStateBackend | undefined;
  /** For each input channel: the input ordinal (edge) it belongs to. */
  readonly inputEdges: readonly number[];
  snapshotOperatorState(checkpointId: number): Record<string, unknown>;
  /**
   * The asynchronous part of the operator snapshot of checkpoint n (a sink's PREPARE TRANSACTION):
   * awaited before the ack is built. A rejection has already failed the task (the checkpoint is
   * declined as TASK_FAILURE, which does not count toward tolerable failures).
   */
  awaitOperatorsDurable?(checkpointId: number): Promise<void>;
  /**
   * For input channels about to be captured: the next data-lane index to process, and the input
   * taken off their rings but not processed yet (it precedes the ring's frames).
   */
  inputPosition(channels: readonly number[]): { starts: Map<number, number>; unprocessed: Map<number, Frame[]> };
  notifyOperatorsComplete(checkpointId: number): Promise<void>;
  notifyOperatorsAborted(checkpointId: number): Promise<void>;
}

interface InProgress {
  readonly barrier: CheckpointBarrier;
  readonly info: TriggerInfo;
  readonly syncMs: number;
  readonly keyed: SnapshotInProgress | undefined;
  readonly operator: Record<string, unknown>;
  readonly output: OutputChannelState[];
  readonly captured: boolean;
  aborted: boolean;
  /** The producer-side timeout overtook an in-band barrier still queued in some output channel. */
  overtook: boolean;
  /** Settles once every in-band barrier of this aligned-with-timeout checkpoint is published or overtaken. */
  outputSettled: Promise<void>;
  /** Settles once the barrier on the collect sink's channel to the main thread is published on its ring. */
  readonly collectPublished: Promise<void>;
}

/** An aligned-with-timeout barrier forwarded in-band but still queued in output channel `edge`/`ch`. */
interface QueuedBarrier {
  readonly edge: number;
  readonly ch: number;
  /** Its data-lane index. */
  readonly position: number;
}

const RESOLVED: Promise<void> = Promise.resolve();

export class SubtaskCheckpointer {
  private readonly inProgress = new Map<number, InProgress>();

  constructor(
    private readonly task: CheckpointedTask,
    private readonly send: (message: CheckpointMessage) => void,
    private readonly channelState: ChannelStateWriter,
    private readonly locations: SubtaskCheckpointLocations,
    /** Runs the producer-side alignment timeout as a mail of the task. */
    private readonly timeouts: Scheduler,
  ) {}

  /** Source subtasks: the coordinator injects barrier n. */
  triggerAtSource(barrier: CheckpointBarrier): void {
    this.triggerCheckpoint(barrier, { unaligned: barrier.alignment === 'unaligned', alignmentMs: 0, startDelayMs: Math.max(0, Date.now() - barrier.timestamp), captureChannels: [] });
  }

  /** Steps 2–5 (see the top of this file); a throw fails the task. */
  triggerCheckpoint(barrier: CheckpointBarrier, info: TriggerInfo): void {
    const t0 = performance.now();
    const id = barrier.checkpointId;
    const task = this.task;
    // 2. Synchronous part (a throw here fails the task).
    for (const w of task.outputs.writers) w.flushAll();
    let target: SnapshotTarget | undefined;
    if (task.keyedState) {
      try {
        target = this.locations.snapshotTarget(barrier);
      } catch (e) {
        if (!(e instanceof WeirError && e.code === 'WEIR_STATE_WRITE_FAILED')) throw e;
        // The storage failed, not the task (its directory cannot be created): decline, which
        // counts toward tolerableFailures as a failed write in the asynchronous part does.
        this.declineHere(id, e.message);
        return;
      }
    }
    const keyed = target ? task.keyedState!.snapshot(id, target) : undefined;
    const operator = task.snapshotOperatorState(id);
    // 3. Forward the barrier.
    const output: OutputChannelState[] = [];
    const queuedBarriers: QueuedBarrier[] = [];
    const forwardUnaligned = info.unaligned;
    task.outputs.writers.forEach((w, edge) => {
      for (let ch = 0; ch < w.channelCount; ch++) {
        if (forwardUnaligned) {
          const position = w.writer(ch).dataFramesWritten;
          const frames = w.unpublishedFrames(ch);
          if (frames.length > 0) output.push({ edge, target: ch, frames: frames.map((f) => ({ kind: f.kind, payload: f.payload })) });
          if (!w.trySendPriority(ch, { type: 'priority-barrier', barrier: { ...barrier, alignment: 'unaligned', position } })) {
            throw new Error(`priority lane of output channel ${edge}/${ch} is full: the consumer is not draining it`);
          }
        } else {
          const position = w.nextFrameIndex(ch);
          const fwd: CheckpointBarrier = { ...barrier, position };
          const timeoutable = barrier.alignment === 'aligned-with-timeout';
          if (timeoutable) w.trySendPriority(ch, { type: 'priority-barrier', barrier: fwd });
          w.sendTo(ch, { type: 'barrier', barrier: fwd });
          if (timeoutable && w.writer(ch).dataFramesWritten <= position) queuedBarriers.push({ edge, ch, position });
        }
      }
    });
    // The collect sink's channel to the main thread gets the barrier in-band, after every
    // record that belongs to this checkpoint (the main thread releases them on completion).
    // The ack waits until that barrier is on the ring, not merely queued in this worker: the
    // main thread drains the ring when an attempt ends (collect-reader.ts `stop`), but frames
    // queued here die with the attempt, so a cancel or failover right after the checkpoint
    // completed lost the records it covers (a restore re-emits only what follows it). The cost:
    // a collect consumer that stops reading (a paused `results()` iterator) holds checkpoints.
    const collect = task.outputs.collect;
    let collectPublished = RESOLVED;
    if (collect) {
      collect.broadcast({ type: 'barrier', barrier: { ...barrier, position: 0 } });
      collectPublished = collect.whenPublished(0, collect.nextFrameIndex(0) - 1);
    }
    // 4. Input channel state.
    const captured = info.captureChannels.length > 0;
    if (captured) {
      const { starts, unprocessed } = task.inputPosition(info.captureChannels);
      this.channelState.start(id, starts, unprocessed);
    }
    const p: InProgress = { barrier, info, syncMs: performance.now() - t0, keyed, operator, output, captured, aborted: false, overtook: false, outputSettled: RESOLVED, collectPublished };
    if (queuedBarriers.length > 0) p.outputSettled = this.watchQueuedBarriers(p, queuedBarriers);
    this.inProgress.set(id, p);
    // 5. Asynchronous part.
    void this.completeAsync(p);
  }

  /** Checkpoint n cannot be taken here (storage): decline it, counted, and tell downstream with a cancel marker. */
  private declineHere(checkpointId: number, message: string): void {
    this.task.keyedState?.notifyCheckpointAborted(checkpointId);
    for (const w of this.task.outputs.writers) w.broadcast({ type: 'cancel-checkpoint', checkpointId });
    this.send({ type: 'decline', checkpointId, reason: CheckpointFailureReason.TASK_CHECKPOINT_FAILURE, message });
  }

  /** Give up checkpoint n here: decline it, and tell downstream with a cancel marker. */
  abortCheckpoint(checkpointId: number, reason: string): void {
    this.drop(checkpointId);
    this.task.keyedState?.notifyCheckpointAborted(checkpointId);
    for (const w of this.task.outputs.writers) w.broadcast({ type: 'cancel-checkpoint', checkpointId });
    this.send({ type: 'decline', checkpointId, reason });
  }

  async notifyComplete(checkpointId: number): Promise<void> {
    this.task.keyedState?.notifyCheckpointComplete(checkpointId);
    await this.task.notifyOperatorsComplete(checkpointId);
  }

  /** The coordinator aborted n (the input side's barrier handler was told first). */
  async notifyAborted(checkpointId: number): Promise<void> {
    this.drop(checkpointId);
    this.task.keyedState?.notifyCheckpointAborted(checkpointId);
    await this.task.notifyOperatorsAborted(checkpointId);
  }

  /** The next savepoint barrier writes into this directory (set by the job master before it triggers). */
  prepareSavepoint(directory: string): void {
    this.locations.setSavepointDirectory(directory);
  }

  /**
   * The task is ending (it failed, was stopped, or finished) before its snapshots completed:
   * decline each one now, before the task releases the state they read, with a reason that
   * does not count toward `tolerableFailures` — the task's own failure is the real cause and
   * must reach the job master as such (Flink does not count task failures either). Without
   * this, the released LMDB snapshot view failed the async part and it declined with
   * TASK_CHECKPOINT_FAILURE, which could fail the job as WEIR_TOO_MANY_CHECKPOINT_FAILURES
   * instead of the user function's error.
   */
  close(ending: 'failed' | 'closing'): void {
    const reason = ending === 'failed' ? CheckpointFailureReason.TASK_FAILURE : CheckpointFailureReason.CHECKPOINT_DECLINED_TASK_CLOSING;
    for (const id of [...this.inProgress.keys()]) {
      this.drop(id);
      this.send({ type: 'decline', checkpointId: id, reason, message: `subtask ${ending === 'failed' ? 'failed' : 'closed'} before its snapshot completed` });
    }
  }

  /** Stop checkpoint `id` on this subtask: its channel-state capture ends, its asynchronous part returns without acknowledging. */
  private drop(id: number): void {
    const p = this.inProgress.get(id);
    if (p) p.aborted = true;
    this.inProgress.delete(id);
    this.channelState.abort(id);
  }

  /**
   * Producer-side alignment timeout. Each barrier in `queued` settles when it is published (the
   * consumer aligns on it or captures up to it), or when the checkpoint's aligned timeout passes
   * (`alignedDeadline`, counted from the global trigger like the consumer's) with the barrier
   * still queued: then {@link RecordWriter.overtakeQueuedBarrier} sends it as an unaligned
   * priority barrier at the published position and the frames it overtook become this
   * checkpoint's output channel state. The timer runs as a mail (between records, never inside
   * a user function), so nothing is published between reading the position and sending it.
   *
   * Why the consumer never persists those frames too: it may have ended its capture at the
   * announced position p (tentative); frames at or past the overtaking position q are published
   * only after the unaligned barrier, and the consumer neither processes nor peeks a frame while
   * a priority frame precedes it (channel.ts rule 2, InputGate.peekBeforePriority), so the barrier
   * lowers its end to q before any of them is taken, and its capture cannot complete at p first.
   */
  private watchQueuedBarriers(p: InProgress, queued: readonly QueuedBarrier[]): Promise<void> {
    const writers = this.task.outputs.writers;
    let open = queued.length;
    let cancelTimer: Cancel = () => {};
    return new Promise<void>((resolve) => {
      const settled = new Set<QueuedBarrier>();
      const settle = (q: QueuedBarrier) => {
        if (settled.has(q)) return;
        settled.add(q);
        if (--open === 0) {
          cancelTimer();
          resolve();
        }
      };
      for (const q of queued) void writers[q.edge]!.whenPublished(q.ch, q.position).then(() => settle(q));
      cancelTimer = this.timeouts.schedule(alignedDeadline(p.barrier), () => {
        try {
          for (const q of queued) {
            if (settled.has(q) || p.aborted) continue;
            const frames = writers[q.edge]!.overtakeQueuedBarrier(q.ch, q.position, p.barrier);
            if (frames) {
              p.overtook = true;
              if (frames.length > 0) p.output.push({ edge: q.edge, target: q.ch, frames: frames.map((f) => ({ kind: f.kind, payload: f.payload })) });
            }
          }
        } catch (e) {
          if (!p.aborted) {
            this.drop(p.barrier.checkpointId);
            this.task.keyedState?.notifyCheckpointAborted(p.barrier.checkpointId);
            this.send({ type: 'decline', checkpointId: p.barrier.checkpointId, reason: CheckpointFailureReason.TASK_CHECKPOINT_FAILURE, message: (e as Error)?.message ?? String(e) });
          }
        }
        for (const q of queued) settle(q);
      });
    });
  }

  private async completeAsync(p: InProgress): Promise<void> {
    const id = p.barrier.checkpointId;
    const t0 = performance.now();
    // Operators' durable part (e.g. PREPARE TRANSACTION) runs alongside keyed-state materialization.
    let durableFailure: unknown;
    const durable = this.task.awaitOperatorsDurable?.(id).catch((e: unknown) => {
      durableFailure = e ?? new Error('operator snapshot failed');
    });
    try {
      const keyed = p.keyed ? await p.keyed.materialize() : undefined;
      await this.channelState.whenComplete(id);
      await p.outputSettled;
      await p.collectPublished;
      await durable;
      if (durableFailure !== undefined) {
        if (p.aborted) return;
        this.drop(id);
        this.task.keyedState?.notifyCheckpointAborted(id);
        this.send({ type: 'decline', checkpointId: id, reason: CheckpointFailureReason.TASK_FAILURE, message: `operator snapshot failed: ${(durableFailure as Error)?.message ?? String(durableFailure)}` });
        return;
      }
      if (p.aborted) return;
      const files: CheckpointFile[] = (keyed?.files ?? []).map((f) => ({ path: f.path, bytes: f.bytes, sha256: f.sha256, shared: f.shared }));
      const input = p.captured ? [...this.channelState.take(id)].map(([channel, frames]) => ({ channel, edge: this.task.inputEdges[channel]!, frames })) : [];
      const contents: ChannelStateContents = { input, output: p.output };
      let channelFile: string | undefined;
      let channelFileBytes = 0;
      const persisted = channelStateBytes(contents);
      if (!isEmptyChannelState(contents)) {
        const abs = this.locations.channelStateFile(p.barrier);
        const { bytes, sha256 } = await writeChannelStateFile(abs, contents);
        channelFile = this.locations.toHandlePath(p.barrier, abs);
        files.push({ path: channelFile, bytes, sha256, shared: false });
        channelFileBytes = bytes;
      }
      if (p.aborted) return;
      const state: SubtaskStateHandles = { ...(keyed ? { keyed } : {}), operator: p.operator };
      // Sizes as Flink's: keyed, operator (in _metadata) and channel state (its file) together.
      const besideKeyed = Buffer.byteLength(JSON.stringify(toExactJson(p.operator))) + channelFileBytes;
      const ack: SubtaskAck = {
        stateHandles: state,
        channelStateHandles: channelFile ? ({ file: channelFile, inputFrames: input.reduce((n, i) => n + i.frames.length, 0), outputFrames: p.output.reduce((n, o) => n + o.frames.length, 0) } satisfies ChannelStateHandle) : null,
        files,
        metrics: {
          syncMs: p.syncMs,
          asyncMs: performance.now() - t0,
          alignmentMs: p.info.alignmentMs,
          startDelayMs: p.info.startDelayMs,
          unaligned: p.info.unaligned || p.overtook,
          stateBytes: (keyed?.stateBytes ?? 0) + besideKeyed,
          incrementalStateBytes: (keyed?.incrementalBytes ?? 0) + besideKeyed,
          persistedInFlightBytes: persisted,
        },
      };
      this.inProgress.delete(id);
      this.send({ type: 'ack', checkpointId: id, ack });
    } catch (e) {
      if (p.aborted) return;
      this.drop(id);
      this.task.keyedState?.notifyCheckpointAborted(id);
      this.send({ type: 'decline', checkpointId: id, reason: CheckpointFailureReason.TASK_CHECKPOINT_FAILURE, message: (e as Error)?.message ?? String(e) });
    }
  }
}
