/**
 * A subtask: one parallel instance of a vertex, hosted as an actor.
 *
 *   input gate → operator chain → record writers        (non-source vertex)
 *   source reader → operator chain → record writers     (source vertex)
 *
 * Lifecycle: create (import job module, rebuild graph, check fingerprint, wire
 * channels, create state) → run (loop until end of input or stop) → finish
 * (operators flush, end-of-partition downstream) → close (operators, state).
 *
 * Several subtasks share one worker's event loop, so both loops yield to it
 * regularly (setImmediate) — that is also when control-plane calls run.
 */
import type { ActorContext } from '../../actors/index.ts';
import { ChannelReader, Doorbell, inCriticalSection } from '../../actors/index.ts';
import { createHeapKeyedStateBackend, createLmdbKeyedStateBackend, keyGroupRangeForSubtask, type KeyedStateBackend } from '../../state/index.ts';
import { loadJobDefinition } from '../graph/job-registry.ts';
import type { JobGraph, JobVertex } from '../graph/job-graph.ts';
import type { TaskInfo } from '../api/functions.ts';
import type { StreamNode } from '../graph/stream-graph.ts';
import type { FrameInProgress, ReplayFrame } from './frame-processor.ts';
import { buildOperatorChain, closeChain, finishChain, openChain, type BuiltChain } from './operator-chain.ts';
import { TaskOutputs } from './task-outputs.ts';
import { decodeElement, type CheckpointBarrier } from '../io/stream-elements.ts';
import type { StreamTaskArgs } from './task-args.ts';
import { InputGate, type InputEvent } from './input-gate.ts';
import { SubtaskCheckpointer } from './subtask-checkpointer.ts';
import { createSourceReader, type SourceReader } from '../operators/sources/source-reader.ts';
import type { StreamElement } from '../io/stream-elements.ts';
import { loadRestoredInFlight, resolveIn, type RestoredInFlight } from './task-restore.ts';
import { WeirError } from '../../common/weir-error.ts';
import { RuntimeErrorCode } from '../errors.ts';
import path from 'node:path';

/**
 * Every subtask rebuilds the job graph itself: like Flink, which gives each subtask its own
 * copy of the user's function objects, so a function that keeps fields (`this.state = …` in
 * `open()`) or closure variables per instance is never shared between subtasks that happen
 * to run on the same worker. (Module-level variables are still shared per worker.)
 */
async function rebuildGraph(args: StreamTaskArgs): Promise<JobGraph> {
  const def = await loadJobDefinition(args.moduleUrl, args.jobName);
  const graph = def.graph(args.params as never, args.parallelism, args.maxParallelism);
  if (graph.fingerprint !== args.fingerprint) {
    throw new WeirError(
      RuntimeErrorCode.JOB_GRAPH_MISMATCH,
      `job '${args.jobName}': the graph rebuilt in a worker differs from the main thread's. The build function must be deterministic for given params (module ${args.moduleUrl})`,
      { job: args.jobName, main: args.fingerprint, worker: graph.fingerprint },
    );
  }
  return graph;
}

export interface TaskMetrics {
  vertex: number;
  subtask: number;
  recordsIn: number;
  recordsOut: number;
  bytesOut: number;
  framesIn: number;
  busyMs: number;
  finished: boolean;
}

export class StreamTask {
  readonly vertex: JobVertex;
  /** Record writers per output edge, the collect writer, the output budget, draining. */
  readonly outputs: TaskOutputs;
  readonly chain: BuiltChain;
  readonly gate: InputGate | undefined;
  readonly doorbell: Doorbell;
  keyedState: KeyedStateBackend | undefined;
  stopping = false;
  finished = false;
  /** A failure raised outside the task loops (e.g. a source's synchronous snapshot): the loops rethrow it. */
  fatal: Error | undefined;
  currentWatermark = -Infinity;
  recordsIn = 0;
  framesIn = 0;
  private lastYield = Date.now();
  readonly checkpointer: SubtaskCheckpointer | undefined;
  /** The running source reader (source subtasks): its offset goes into checkpoints. */
  sourceReader: SourceReader | undefined;
  /** Source subtasks with checkpointing: set by the job master's endInput() after the final checkpoint. */
  endInputRequested = false;
  /** Persisted in-flight data to replay before any new input (unaligned checkpoint restore). */
  restoredInFlight: RestoredInFlight | undefined;
  /** Restored input frames not replayed yet (while the input loop replays them). */
  replayQueue: ReplayFrame[] | undefined;
  private sourceBatchOpen = false;
  private readonly deferredBarriers: CheckpointBarrier[] = [];
  /** The input frame being processed in slices, if any (frame-processor.ts). */
  currentFrame: FrameInProgress | undefined;
  private wake: (() => void) | undefined;

  private constructor(readonly ctx: ActorContext, readonly args: StreamTaskArgs, readonly graph: JobGraph) {
    this.vertex = graph.vertices[args.vertex]!;
    this.doorbell = new Doorbell(args.doorbell);
    const info = this.infoFor(this.vertex.operators[0]!);
    this.outputs = new TaskOutputs(this.vertex, args, graph.maxParallelism, info);
    this.chain = buildOperatorChain(this.vertex, (n) => this.infoFor(n), this.outputs.writers, this.outputs.collect, () => Date.now());
    this.gate = this.vertex.isSource ? undefined : new InputGate(args.inputs.map((c) => new ChannelReader(c)), this.doorbell);
    this.checkpointer = args.checkpointing ? new SubtaskCheckpointer(this, ctx, args.checkpointing) : undefined;
  }

  static async create(ctx: ActorContext, args: StreamTaskArgs): Promise<StreamTask> {
    const graph = await rebuildGraph(args);
    const task = new StreamTask(ctx, args, graph);
    await task.open();
    return task;
  }

  infoFor(node: StreamNode): TaskInfo {
    return { operatorName: node.name, uid: node.uid, subtask: this.args.subtask, parallelism: this.vertex.parallelism, maxParallelism: this.graph.maxParallelism, attempt: this.args.attempt };
  }

  get isKeyed(): boolean {
    const k = this.vertex.operators[0]!.spec.kind;
    return k === 'keyedReduce' || k === 'keyedCount' || k === 'keyedProcess';
  }

  private async open(): Promise<void> {
    if (this.isKeyed) {
      const range = keyGroupRangeForSubtask(this.graph.maxParallelism, this.vertex.parallelism, this.args.subtask);
      const opts = { keyGroupRange: range, maxParallelism: this.graph.maxParallelism };
      this.keyedState = this.args.state.backend === 'heap'
        ? createHeapKeyedStateBackend(opts)
        : await createLmdbKeyedStateBackend({ ...opts, path: path.join(this.args.state.directory, this.args.jobId, String(this.args.attempt), `${this.vertex.id}-${this.args.subtask}`) });
      // A batch is a synchronous write transaction: mark it critical (see actors/actor-host-worker.ts).
      const backend = this.keyedState;
      const batch = backend.batch.bind(backend);
      backend.batch = <T>(fn: () => T): T => inCriticalSection(() => batch(fn));
    }
    const restore = this.args.restore;
    const head = this.vertex.operators[0]!;
    if (head.spec.kind === 'source') {
      // Created before any checkpoint can be triggered, so every snapshot has the source's position.
      this.sourceReader = createSourceReader(head.spec.source, {
        subtask: this.args.subtask,
        parallelism: this.vertex.parallelism,
        operatorName: head.name,
        now: () => Date.now(),
        sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      }, restore?.operator[head.uid]?.[0]);
    }
    if (restore) {
      // Restore before open: keyed state, operator state, then load in-flight data to replay.
      if (this.keyedState && restore.keyed.length > 0) await this.keyedState.restore(restore.keyed, resolveIn(restore));
      for (const m of this.chain.members) if (m.operator.initializeState) await m.operator.initializeState(restore.operator[m.node.uid]);
      if (restore.channelState.length > 0) this.restoredInFlight = await loadRestoredInFlight(this, restore);
    } else {
      for (const m of this.chain.members) if (m.operator.initializeState) await m.operator.initializeState(undefined);
    }
    await openChain(this.chain, (m) => ({
      info: m.info,
      keyedState: this.keyedState,
      checkpointingEnabled: this.args.checkpointing !== undefined,
      now: () => Date.now(),
      currentWatermark: () => this.currentWatermark,
    }));
  }

  /** Lets sibling actors and control-plane calls run; cheap when called often. */
  async maybeYield(): Promise<void> {
    const now = Date.now();
    if (now - this.lastYield >= 2) {
      this.lastYield = now;
      await new Promise<void>((r) => setImmediate(r));
    }
  }

  /** Flush partial batches and buffered sinks (input idle), then wait for full rings. */
  async flushOutputs(): Promise<void> {
    this.outputs.flushAll();
    for (const f of this.chain.flushables) f.flush();
    await this.drain();
  }

  /**
   * Wait until every queued output frame is on its ring. One drain at a time (a
   * control call may kick one while the loop runs another). While a write is
   * blocked on a full ring, priority barriers on the inputs are still handled:
   * that is what lets unaligned checkpoints complete under backpressure.
   */
  async drain(): Promise<void> {
    await this.outputs.drain(this.gate && this.checkpointer ? (w: Promise<void>) => this.waitWhileOutputBlocked(w) : undefined);
  }

  private async waitWhileOutputBlocked(write: Promise<void>): Promise<void> {
    const gate = this.gate!;
    for (;;) {
      if (this.stopping) {
        await write.catch(() => {});
        return;
      }
      let handled = false;
      for (let ev = gate.pollPriority(); ev; ev = gate.pollPriority()) {
        this.handleControlEvent(ev);
        handled = true;
      }
      this.checkpointer?.takePublishedChannelState();
      if (handled) return;
      const token = this.doorbell.prepareWait();
      const ev = gate.pollPriority();
      if (ev) {
        this.doorbell.cancelWait();
        this.handleControlEvent(ev);
        return;
      }
      const bell = this.doorbell.wait(token);
      const which = await Promise.race([write.then(() => 0, () => 0), bell.then(() => 1)]);
      if (which === 0) {
        // Never leave a stale waiter on the doorbell: it would disarm the next one.
        this.doorbell.forceRing();
        await bell;
        return;
      }
    }
  }

  /** Barriers, announcements, cancel markers and end-of-partition, for the barrier handler. */
  handleControlEvent(ev: InputEvent, decoded?: StreamElement): void {
    const el = decoded ?? decodeElement(ev.kind, ev.payload);
    const h = this.checkpointer?.handler;
    switch (el.type) {
      case 'barrier':
        if (h) h.onBarrier(ev.channel, el.barrier);
        return;
      case 'priority-barrier':
        if (h) h.onPriorityBarrier(ev.channel, el.barrier);
        return;
      case 'cancel-checkpoint':
        if (h) h.onCancelMarker(ev.channel, el.checkpointId);
        return;
      default:
        throw new Error(`unexpected control element ${el.type} on channel ${ev.channel}`);
    }
  }

  /** Operator state of this subtask for checkpoint n, by operator uid (source offsets, sink transactions, …). */
  snapshotOperatorState(checkpointId: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const head = this.vertex.operators[0]!;
    if (this.sourceReader) out[head.uid] = this.sourceReader.offset();
    for (const m of this.chain.members) {
      if (!m.operator.snapshotState) continue;
      const v = m.operator.snapshotState(checkpointId);
      if (v !== undefined) out[m.node.uid] = v;
    }
    return out;
  }

  /** Checkpoint n completed: tell the operators (two-phase-commit sinks commit here). */
  async notifyOperatorsComplete(checkpointId: number): Promise<void> {
    for (const m of this.chain.members) if (m.operator.notifyCheckpointComplete) await m.operator.notifyCheckpointComplete(checkpointId);
  }

  async notifyOperatorsAborted(checkpointId: number): Promise<void> {
    for (const m of this.chain.members) if (m.operator.notifyCheckpointAborted) await m.operator.notifyCheckpointAborted(checkpointId);
  }

  /** Resolve the current idle wait of a source (a trigger or endInput arrived). */
  wakeUp(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
    this.doorbell.ring();
  }

  /** A source that reached its end with checkpointing on waits here until endInput() (or stop). */
  async idleUntilEndInput(): Promise<void> {
    while (!this.endInputRequested && !this.stopping) {
      await this.drain();
      if (this.endInputRequested || this.stopping) break;
      await new Promise<void>((r) => (this.wake = r));
    }
  }

  /** Processing-time timers of the chain; returns ms until the next one (undefined = none). */
  fireProcessingTime(): number | undefined {
    const now = Date.now();
    let next: number | undefined;
    const fire = () => {
      for (const m of this.chain.members) {
        if (!m.operator.onProcessingTime) continue;
        const t = m.operator.onProcessingTime(now);
        if (t !== undefined && (next === undefined || t < next)) next = t;
      }
    };
    if (this.keyedState) this.keyedState.batch(fire);
    else fire();
    return next === undefined ? undefined : Math.max(0, next - now);
  }

  /** Operators have finished (end of data): they flushed their last results. */
  dataEnded = false;

  /**
   * End of data (step 1 of 2): operators finish — emit what they still hold (e.g. timers
   * fired by the end-of-input watermark) — and end-of-data goes downstream. The subtask stays
   * alive: with checkpointing the final checkpoint passes through it after this.
   */
  async endOfData(): Promise<void> {
    if (this.dataEnded) return;
    this.dataEnded = true;
    // As in Flink, a source ends its input with the maximum watermark: event-time timers (and
    // windows) downstream fire, so a bounded job produces its last results even when nothing
    // in it assigns timestamps and watermarks.
    if (this.vertex.isSource) this.advanceWatermark(Infinity);
    await finishChain(this.chain);
    for (const w of this.outputs.writers) w.broadcast({ type: 'end-of-data' });
    this.outputs.collect?.flushAll();
    for (const f of this.chain.flushables) f.flush();
    await this.drain();
  }

  /**
   * Coordinator → source subtask: inject barrier n. While the source loop emits a batch whose
   * records precede the reader's offset (it paused mid-batch for output to drain), the barrier
   * waits for the end of the batch: a snapshot in between would store an offset past records
   * not yet emitted.
   */
  triggerSourceCheckpoint(barrier: CheckpointBarrier): void {
    if (this.finished || this.stopping) return;
    if (this.sourceBatchOpen) {
      this.deferredBarriers.push(barrier);
      return;
    }
    try {
      this.checkpointer!.triggerAtSource(barrier);
    } catch (e) {
      // A failure in the synchronous part of a snapshot fails the task (Flink semantics).
      this.failWith(e as Error);
      return;
    }
    this.wakeUp();
    void this.drain().catch(() => {});
  }

  /** The source loop starts (true) or ends (false) emitting a batch across awaits; deferred barriers go out at the end. */
  setSourceBatchOpen(open: boolean): void {
    this.sourceBatchOpen = open;
    if (!open) for (const b of this.deferredBarriers.splice(0)) this.triggerSourceCheckpoint(b);
  }

  /** Raise this subtask's watermark to `watermark` (no-op unless it advances) and pass it down the chain. */
  advanceWatermark(watermark: number): void {
    if (!(watermark > this.currentWatermark)) return;
    this.currentWatermark = watermark;
    const input = this.chain.input;
    if (this.keyedState) this.keyedState.batch(() => input.emitWatermark(watermark));
    else input.emitWatermark(watermark);
  }

  /** End of partition (step 2 of 2): nothing more will come; the subtask ends after this. */
  async endPartitions(): Promise<void> {
    await this.endOfData();
    for (const w of this.outputs.writers) w.broadcast({ type: 'end-of-partition' });
    this.outputs.collect?.broadcast({ type: 'end-of-partition' });
    await this.drain();
    this.finished = true;
  }

  async close(): Promise<void> {
    this.checkpointer?.close(this.fatal ? 'failed' : 'closing');
    try {
      await closeChain(this.chain);
    } finally {
      await this.keyedState?.dispose({ deleteFiles: true });
      this.keyedState = undefined;
    }
  }

  /** Fail the task from outside its loops (a control-plane call): the loop stops and rethrows `error`. */
  failWith(error: Error): void {
    this.fatal ??= error;
    this.stop();
  }

  stop(): void {
    this.stopping = true;
    this.doorbell.forceRing();
    this.wakeUp();
  }

  metrics(): TaskMetrics {
    const { recordsOut, bytesOut } = this.outputs.totals();
    return { vertex: this.args.vertex, subtask: this.args.subtask, recordsIn: this.recordsIn, recordsOut, bytesOut, framesIn: this.framesIn, busyMs: 0, finished: this.finished };
  }
}
