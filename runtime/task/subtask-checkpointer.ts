/**
 * The checkpointing side of a subtask: implements the barrier handler's
 * controller (block/unblock channels, trigger, channel-state end, abort),
 * takes the snapshot, forwards the barrier and acknowledges to the coordinator.
 *
 * Checkpoint n on one subtask, step by step:
 *   1. Trigger — sources: a control-plane call from the coordinator; other
 *      subtasks: their barrier handler (aligned: last barrier; unaligned: first).
 *      Always between two records (between frames, or between two slices of a
 *      frame — frame-processor.ts), never inside a state batch.
 *   2. Synchronous part: flush partial output batches; snapshot keyed state
 *      (a tiny sync part) and operator state (source offsets).
 *   3. Forward the barrier on every output channel:
 *        aligned                in-band, after everything emitted before it;
 *        unaligned              a priority barrier with position = frames published;
 *                               frames not yet published become output channel state;
 *        aligned-with-timeout   in-band at index p plus a priority announcement of p.
 *   4. Unaligned: capture input channel state — for each captured channel, frames
 *      from the next-to-process index up to the barrier's position (queued ones
 *      by peek, later ones as they are processed), preceded by what was taken
 *      off the ring but not processed (the rest of a frame processed in slices,
 *      restored frames not replayed yet).
 *   5. Asynchronous part: materialize keyed state, wait until channel state is
 *      complete, write it, then acknowledge with handles, files and metrics.
 * A failure in step 2 fails the task (Flink semantics); a failure in step 5
 * declines the checkpoint.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ActorContext } from '../../actors/index.ts';
import type { KeyedStateHandle, SnapshotInProgress } from '../../state/index.ts';
import { BarrierHandler, type BarrierHandlerController, type TriggerInfo } from '../checkpoint/barrier-handler.ts';
import { ChannelStateCapture } from '../checkpoint/channel-state-capture.ts';
import { systemClock } from '../../common/clock.ts';
import { RealScheduler } from '../checkpoint/scheduler.ts';
import { channelStateBytes, isEmptyChannelState, writeChannelStateFile, type ChannelStateContents, type OutputChannelState } from '../checkpoint/channel-state-file.ts';
import type { SubtaskAck } from '../checkpoint/pending-checkpoint.ts';
import { CheckpointFailureReason } from '../checkpoint/checkpoint-failure-reason.ts';
import type { CheckpointFile } from '../checkpoint/checkpoint-metadata.ts';
import type { StreamTask } from './stream-task.ts';
import { unprocessedInput } from './frame-processor.ts';
import type { TaskCheckpointingArgs } from './task-args.ts';
import type { CheckpointBarrier } from '../io/stream-elements.ts';
import { sendToMaster, type CheckpointMessage } from './task-protocol.ts';

/** The operator state of one subtask in a checkpoint (small, inline in `_metadata`). */
export interface SubtaskStateHandles {
  keyed?: KeyedStateHandle;
  /** Operator state (source offsets, …) by operator uid. */
  operator: Record<string, unknown>;
}

interface InProgress {
  readonly barrier: CheckpointBarrier;
  readonly info: TriggerInfo;
  readonly syncMs: number;
  readonly syncEndedAt: number;
  readonly keyed: SnapshotInProgress | undefined;
  readonly operator: Record<string, unknown>;
  readonly output: OutputChannelState[];
  readonly captured: boolean;
  channelStateDone: () => void;
  readonly channelStateReady: Promise<void>;
  aborted: boolean;
}

export class SubtaskCheckpointer implements BarrierHandlerController {
  readonly handler: BarrierHandler | undefined;
  readonly capture = new ChannelStateCapture();
  private readonly inProgress = new Map<number, InProgress>();
  private readonly scheduler = new RealScheduler({ unref: true });
  private readonly key: { vertexId: string; subtask: number };
  private savepointDirectory: string | undefined;

  constructor(private readonly task: StreamTask, private readonly ctx: ActorContext, private readonly args: TaskCheckpointingArgs) {
    this.key = { vertexId: task.vertex.id, subtask: task.args.subtask };
    this.handler = task.gate
      ? BarrierHandler.forMode(args.mode, { numChannels: task.gate.channelCount, controller: this, clock: systemClock, scheduler: this.scheduler })
      : undefined;
  }

  /** Source subtasks: the coordinator injects barrier n. */
  triggerAtSource(barrier: CheckpointBarrier): void {
    this.triggerCheckpoint(barrier, { unaligned: barrier.alignment === 'unaligned', alignmentMs: 0, startDelayMs: Math.max(0, Date.now() - barrier.timestamp), captureChannels: [] });
  }

  // ---- BarrierHandlerController ----

  blockChannel(channel: number): void {
    this.task.gate!.blocked[channel] = true;
  }

  unblockChannel(channel: number): void {
    this.task.gate!.blocked[channel] = false;
  }

  triggerCheckpoint(barrier: CheckpointBarrier, info: TriggerInfo): void {
    const t0 = performance.now();
    const id = barrier.checkpointId;
    const task = this.task;
    // 2. Synchronous part (a throw here fails the task).
    for (const w of task.outputs.writers) w.flushAll();
    const keyed = task.keyedState?.snapshot(id, this.snapshotTarget(barrier));
    const operator = task.snapshotOperatorState(id);
    // 3. Forward the barrier.
    const output: OutputChannelState[] = [];
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
          if (barrier.alignment === 'aligned-with-timeout') w.trySendPriority(ch, { type: 'priority-barrier', barrier: fwd });
          w.sendTo(ch, { type: 'barrier', barrier: fwd });
        }
      }
    });
    // The collect sink's channel to the main thread gets the barrier in-band, after every
    // record that belongs to this checkpoint (the main thread releases them on completion).
    task.outputs.collect?.broadcast({ type: 'barrier', barrier: { ...barrier, position: 0 } });
    // 4. Input channel state.
    const captured = info.captureChannels.length > 0;
    if (captured) {
      const starts = new Map(info.captureChannels.map((ch) => [ch, task.gate!.nextIndex[ch]!] as const));
      // Input already off the ring but not processed (the rest of the frame in progress, restored
      // frames not replayed yet) is in flight too: it precedes the ring's frames (frame-processor.ts).
      this.capture.begin(id, starts, unprocessedInput(task, info.captureChannels));
    }
    let done!: () => void;
    const ready = new Promise<void>((r) => (done = r));
    const syncMs = performance.now() - t0;
    const p: InProgress = { barrier, info, syncMs, syncEndedAt: performance.now(), keyed, operator, output, captured, channelStateDone: done, channelStateReady: ready, aborted: false };
    this.inProgress.set(id, p);
    if (!captured) done();
    // 5. Asynchronous part.
    void this.completeAsync(p);
  }

  channelStateEnd(checkpointId: number, channel: number, position: number): void {
    this.capture.setEnd(checkpointId, channel, position);
    this.capture.offerQueued(channel, this.task.gate!.peek(channel));
    this.checkCaptureComplete();
  }

  abortCheckpoint(checkpointId: number, reason: string): void {
    this.drop(checkpointId);
    this.task.keyedState?.notifyCheckpointAborted(checkpointId);
    for (const w of this.task.outputs.writers) w.broadcast({ type: 'cancel-checkpoint', checkpointId });
    this.send({ type: 'decline', checkpointId, reason });
  }

  // ---- hooks the task loops call ----

  /** Before processing a data frame (cheap when nothing is captured). */
  onDataFrame(channel: number, index: number, kind: number, payload: Uint8Array): void {
    if (!this.capture.capturing) return;
    this.capture.offerProcessed(channel, index, kind, payload);
    this.checkCaptureComplete();
  }

  /**
   * Take frames of captured ranges that were published since the barrier's position was
   * learnt (aligned-with-timeout positions count frames the producer had only queued), so
   * a checkpoint completes when they are published, not when this task gets to process
   * them. Cheap when nothing waits: called between slices and while output is blocked.
   */
  takePublishedChannelState(): void {
    if (!this.capture.capturing) return;
    const gate = this.task.gate!;
    let offered = false;
    for (const [channel, first] of this.capture.awaitingPublished()) {
      if (gate.framesPublished(channel) <= first) continue;
      this.capture.offerQueued(channel, gate.peek(channel, first));
      offered = true;
    }
    if (offered) this.checkCaptureComplete();
  }

  async notifyComplete(checkpointId: number): Promise<void> {
    this.handler?.onNotifyComplete(checkpointId);
    this.task.keyedState?.notifyCheckpointComplete(checkpointId);
    await this.task.notifyOperatorsComplete(checkpointId);
  }

  async notifyAborted(checkpointId: number, reason: string): Promise<void> {
    if (this.handler) this.handler.onAbortFromCoordinator(checkpointId, reason);
    else this.drop(checkpointId);
    this.task.keyedState?.notifyCheckpointAborted(checkpointId);
    await this.task.notifyOperatorsAborted(checkpointId);
  }

  /** The next savepoint barrier writes into this directory (set by the job master before it triggers). */
  prepareSavepoint(directory: string): void {
    this.savepointDirectory = directory;
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
    this.handler?.close();
    const reason = ending === 'failed' ? CheckpointFailureReason.TASK_FAILURE : CheckpointFailureReason.CHECKPOINT_DECLINED_TASK_CLOSING;
    for (const id of [...this.inProgress.keys()]) {
      this.drop(id);
      this.send({ type: 'decline', checkpointId: id, reason, message: `subtask ${ending === 'failed' ? 'failed' : 'closed'} before its snapshot completed` });
    }
  }

  /** Stop checkpoint `id` on this subtask: its channel-state capture ends, its asynchronous part returns without acknowledging. */
  private drop(id: number): void {
    this.capture.abort(id);
    const p = this.inProgress.get(id);
    if (!p) return;
    p.aborted = true;
    p.channelStateDone();
    this.inProgress.delete(id);
  }

  // ---- internals ----

  private checkCaptureComplete(): void {
    for (const [id, p] of this.inProgress) if (p.captured && this.capture.isComplete(id)) p.channelStateDone();
  }

  private checkpointDir(barrier: CheckpointBarrier): string {
    return barrier.kind === 'savepoint' && this.savepointDirectory
      ? this.savepointDirectory
      : path.join(this.args.root, `chk-${barrier.checkpointId}`);
  }

  private snapshotTarget(barrier: CheckpointBarrier) {
    const exclusiveDir = path.join(this.checkpointDir(barrier), `${this.key.vertexId}-${this.key.subtask}`);
    const sharedDir = path.join(this.args.root, 'shared');
    fs.mkdirSync(exclusiveDir, { recursive: true });
    fs.mkdirSync(sharedDir, { recursive: true });
    const savepoint = barrier.kind === 'savepoint';
    return { exclusiveDir, sharedDir, relativeTo: savepoint ? this.checkpointDir(barrier) : this.args.root, incremental: this.args.incremental && !savepoint, canonical: savepoint };
  }

  private async completeAsync(p: InProgress): Promise<void> {
    const id = p.barrier.checkpointId;
    const t0 = performance.now();
    try {
      const keyed = p.keyed ? await p.keyed.materialize() : undefined;
      await p.channelStateReady;
      if (p.aborted) return;
      const relativeTo = p.barrier.kind === 'savepoint' ? this.checkpointDir(p.barrier) : this.args.root;
      const files: CheckpointFile[] = (keyed?.files ?? []).map((f) => ({ path: f.path, bytes: f.bytes, sha256: f.sha256, shared: f.shared }));
      const input = p.captured ? [...this.capture.take(id)].map(([channel, frames]) => ({ channel, edge: this.task.args.inputEdges[channel]!, frames })) : [];
      const contents: ChannelStateContents = { input, output: p.output };
      let channelFile: string | undefined;
      const persisted = channelStateBytes(contents);
      if (!isEmptyChannelState(contents)) {
        const abs = path.join(this.checkpointDir(p.barrier), `${this.key.vertexId}-${this.key.subtask}.channel`);
        const { bytes, sha256 } = await writeChannelStateFile(abs, contents);
        channelFile = toRelative(relativeTo, abs);
        files.push({ path: channelFile, bytes, sha256, shared: false });
      }
      if (p.aborted) return;
      const state: SubtaskStateHandles = { ...(keyed ? { keyed } : {}), operator: p.operator };
      const ack: SubtaskAck = {
        stateHandles: state,
        channelStateHandles: channelFile ? { file: channelFile, inputFrames: input.reduce((n, i) => n + i.frames.length, 0), outputFrames: p.output.reduce((n, o) => n + o.frames.length, 0) } : null,
        files,
        metrics: {
          syncMs: p.syncMs,
          asyncMs: performance.now() - t0,
          alignmentMs: p.info.alignmentMs,
          startDelayMs: p.info.startDelayMs,
          unaligned: p.info.unaligned,
          stateBytes: keyed?.stateBytes ?? 0,
          incrementalStateBytes: keyed?.incrementalBytes ?? 0,
          persistedInFlightBytes: persisted,
        },
      };
      this.inProgress.delete(id);
      this.send({ type: 'ack', checkpointId: id, ack });
    } catch (e) {
      if (p.aborted) return;
      this.inProgress.delete(id);
      this.capture.abort(id);
      this.task.keyedState?.notifyCheckpointAborted(id);
      this.send({ type: 'decline', checkpointId: id, reason: CheckpointFailureReason.TASK_CHECKPOINT_FAILURE, message: (e as Error)?.message ?? String(e) });
    }
  }

  private send(m: CheckpointMessage): void {
    sendToMaster(this.ctx, { ...m, subtask: this.key });
  }
}

function toRelative(root: string, abs: string): string {
  return path.relative(root, abs).split(path.sep).join('/');
}
