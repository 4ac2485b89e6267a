/**
 * A subtask: one parallel instance of a vertex, hosted as an actor (stream-task-actor.ts).
 * Two kinds share this base (Flink's `StreamTask` with `SourceStreamTask` / `OneInputStreamTask`):
 *
 *   SourceTask (source-task.ts)   source reader → operator chain → task outputs
 *   InputTask  (input-task.ts)    checkpointed input gate → operator chain → task outputs
 *
 * The parts this base owns, one each: the operator chain; the task outputs (task-outputs.ts);
 * keyed state; the mailbox (mailbox.ts) and the processing-time timers (task-timers.ts); the
 * subtask checkpointer (subtask-checkpointer.ts); the end-of-data protocol; metrics.
 *
 * Lifecycle: create (import the job module, rebuild the graph, check its fingerprint, wire the
 * channels) → open (keyed state, restore, open the operators) → invoke: the loop of the
 * subclass until end of input or stop; it runs mails between records → finish (operators
 * flush, end-of-partition downstream) → the mails still queued run → close.
 *
 * One loop per subtask mutates it. Control calls from the job master arrive as mails; `stop()`
 * (cancel) is the one exception: it also sets a flag and rings the doorbell, so a loop that
 * waits anywhere returns (Flink's cancel likewise interrupts the mailbox from outside).
 */
import type { ActorContext } from '../../actors/in-worker.ts';
import { inCriticalSection, type Doorbell } from '../../actors/in-worker.ts';
import { createHeapKeyedStateBackend, createLmdbKeyedStateBackend, keyGroupRangeForSubtask, type KeyedStateBackend } from '../../state/index.ts';
import type { JobGraph, JobVertex } from '../graph/job-graph.ts';
import type { TaskInfo } from '../api/functions.ts';
import type { StreamNode } from '../graph/stream-graph.ts';
import type { SubtaskRestore } from '../recovery/restore-planner.ts';
import { awaitChainDurable, buildOperatorChain, closeChain, finishChain, notifyChain, openChain, snapshotChain, type BuiltChain } from './operator-chain.ts';
import { TaskOutputs } from './task-outputs.ts';
import type { StreamTaskArgs } from './task-args.ts';
import { SubtaskCheckpointer, type CheckpointedTask } from './subtask-checkpointer.ts';
import { SubtaskCheckpointLocations } from '../checkpoint/checkpoint-locations.ts';
import type { Frame } from '../../actors/in-worker.ts';
import { TaskWaits } from './task-waits.ts';
import { TaskMailbox } from './mailbox.ts';
import { mailboxScheduler, ProcessingTimeTimers, type TaskServices } from './task-timers.ts';
import type { ChannelStateWriter } from './channel-state-writer.ts';
import { sendToMaster } from './task-protocol.ts';
import { TaskTimes, type TaskMetrics } from './task-metrics.ts';
import { resolveIn } from './channel-state-reader.ts';
import { subtaskWorkingStatePath } from './working-state.ts';

export abstract class StreamTask implements CheckpointedTask {
  readonly vertex: JobVertex;
  /** Record writers per output edge, the collect writer, the output budget, draining. */
  readonly outputs: TaskOutputs;
  readonly chain: BuiltChain;
  /** Rung by producers (data), consumers (space), mails and stop. */
  readonly doorbell: Doorbell;
  readonly mailbox: TaskMailbox;
  readonly timers: ProcessingTimeTimers;
  readonly checkpointer: SubtaskCheckpointer | undefined;
  keyedState: KeyedStateBackend | undefined;
  stopping = false;
  finished = false;
  /** Operators have finished (end of data): they flushed their last results. */
  dataEnded = false;
  /** A failure raised outside the loop's own stack (a source's snapshot in a mail): the loop rethrows it. */
  fatal: Error | undefined;
  currentWatermark = -Infinity;
  recordsIn = 0;
  private lastYield = 0;
  /** When the partial batches are published next while the subtask stays busy (`batching.bufferTimeoutMs`). */
  private nextTimedFlush = 0;
  /** Waits in progress that a mail or a stop must interrupt. */
  private readonly waits = new TaskWaits(() => this.stopping, () => this.mailbox.hasMail);
  /** Busy / idle / back-pressured time. */
  protected readonly times = new TaskTimes();

  protected constructor(
    readonly ctx: ActorContext,
    readonly args: StreamTaskArgs,
    readonly graph: JobGraph,
    readonly services: TaskServices,
    doorbell: Doorbell,
    protected readonly channelState: ChannelStateWriter,
  ) {
    this.vertex = graph.vertices[args.vertex]!;
    this.doorbell = doorbell;
    this.mailbox = new TaskMailbox(() => {
      this.doorbell.ring();
      this.waits.mailArrived();
    });
    this.outputs = new TaskOutputs(this.vertex, graph, args, this.infoFor(this.vertex.operators[this.vertex.operators.length - 1]!));
    this.chain = buildOperatorChain(this.vertex, (n) => this.infoFor(n), this.outputs.writers, this.outputs.collect, () => services.clock.now());
    this.timers = new ProcessingTimeTimers(services.scheduler, services.clock, this.mailbox, (now) => this.fireProcessingTime(now), (e) => this.failWith(e instanceof Error ? e : new Error(String(e))));
    const key = { vertexId: this.vertex.id, subtask: args.subtask };
    this.checkpointer = args.checkpointing
      ? new SubtaskCheckpointer(this, (m) => sendToMaster(ctx, { ...m, subtask: key }), channelState,
        new SubtaskCheckpointLocations(args.checkpointing.root, `${key.vertexId}-${key.subtask}`, args.checkpointing.incremental),
        mailboxScheduler(services.scheduler, this.mailbox, 'aligned checkpoint timeout (output)'))
      : undefined;
  }

  infoFor(node: StreamNode): TaskInfo {
    return { operatorName: node.name, uid: node.uid, subtask: this.args.subtask, parallelism: this.vertex.parallelism, maxParallelism: this.graph.maxParallelism, attempt: this.args.attempt };
  }

  get inputEdges(): readonly number[] {
    return this.args.inputEdges;
  }

  get isKeyed(): boolean {
    return this.vertex.isKeyed;
  }

  /** Keyed state, restore (state, then this kind's input or splits), operators opened. */
  async open(): Promise<void> {
    if (this.isKeyed) {
      const range = keyGroupRangeForSubtask(this.graph.maxParallelism, this.vertex.parallelism, this.args.subtask);
      const opts = { keyGroupRange: range, maxParallelism: this.graph.maxParallelism };
      this.keyedState = this.args.state.backend === 'heap'
        ? createHeapKeyedStateBackend(opts)
        : await createLmdbKeyedStateBackend({ ...opts, path: subtaskWorkingStatePath(this.args.state.directory, this.args.jobId, this.args.attempt, this.vertex.id, this.args.subtask), discardExisting: true });
    }
    const restore = this.args.restore;
    if (restore && this.keyedState && restore.keyed.length > 0) await this.keyedState.restore(restore.keyed, resolveIn(restore));
    for (const m of this.chain.members) if (m.operator.initializeState) await m.operator.initializeState(restore?.operator[m.node.uid]);
    await this.restoreOwn(restore);
    await openChain(this.chain, (m) => ({
      info: m.info,
      keyedState: this.keyedState,
      checkpointingEnabled: this.args.checkpointing !== undefined,
      now: () => this.services.clock.now(),
      currentWatermark: () => this.currentWatermark,
      requestProcessingTime: (t) => this.timers.requestAt(t),
      executeMail: (description, action) => void this.mailbox.submit(description, action).catch((e) => this.failWith(e instanceof Error ? e : new Error(String(e)))),
      yieldToMailbox: () => this.yieldToMailbox(),
      blockInputUntil: (freed) => this.outputs.blockInputUntil(freed),
    }));
  }

  /** What this kind restores besides keyed and operator state: a source's split, an input's in-flight data. */
  protected abstract restoreOwn(restore: SubtaskRestore | undefined): Promise<void>;

  /** The kind's loop: until its input ended (then endPartitions) or stop. */
  protected abstract runLoop(): Promise<void>;

  /** Whether priority input (unaligned barriers, announcements) can arrive: input tasks with exactly-once checkpoints. */
  protected abstract get receivesPriorityInput(): boolean;

  /** Priority input to handle while output is blocked (input tasks); whether something was handled. */
  protected abstract processPriorityInput(): boolean;

  /** Input taken off the rings but not processed (a frame in progress, restored frames) for channels being captured. */
  abstract inputPosition(channels: readonly number[]): { starts: Map<number, number>; unprocessed: Map<number, Frame[]> };

  /** Runs the subtask to its end; rethrows the failure that ended it. */
  async invoke(): Promise<void> {
    this.times.start();
    this.lastYield = performance.now();
    this.nextTimedFlush = this.lastYield + this.args.batching.bufferTimeoutMs;
    try {
      this.timers.fireDue();
      await this.runLoop();
      if (this.fatal) throw this.fatal;
      // Mails queued while the loop ended still run (a notification of the final checkpoint).
      while (this.mailbox.hasMail) await this.mailbox.runMails();
      if (this.fatal) throw this.fatal;
      // Only a subtask that ended its input is finished (a stopped one is not: a failover or
      // cancel stopped it, and its state must still come from checkpoints).
      if (this.finished) sendToMaster(this.ctx, { type: 'subtask-finished', subtask: { vertexId: this.vertex.id, subtask: this.args.subtask } });
    } catch (e) {
      // Remembered before close(): in-progress snapshots are declined as TASK_FAILURE, not
      // as checkpoint failures (the error itself reaches the job master as the run's rejection).
      this.fatal ??= e as Error;
      throw e;
    } finally {
      this.mailbox.close();
      try {
        await this.close();
      } finally {
        sendToMaster(this.ctx, { type: 'metrics', metrics: this.metrics() });
      }
    }
  }

  /** Run the mails queued now (cheap when there are none). */
  async processMails(): Promise<void> {
    if (this.mailbox.hasMail) await this.mailbox.runMails();
  }

  /** A synchronous keyed-state batch (one LMDB write transaction), marked critical (actors/actor-host-worker.ts). */
  inStateBatch<T>(fn: () => T): T {
    const backend = this.keyedState;
    return backend ? inCriticalSection(() => backend.batch(fn)) : fn();
  }

  /**
   * Lets sibling actors on this worker run (every ~2 ms), then the mails. Undefined (nothing to
   * await) on the hot path: callers write `await this.maybeYield()`, which costs one tick then.
   */
  maybeYield(): Promise<void> | undefined {
    const now = performance.now();
    if (now >= this.nextTimedFlush) {
      // The buffer timeout: a busy subtask's partial batches and buffered sinks go out (the frames
      // are drained with the next output), as when its input idles.
      this.nextTimedFlush = now + this.args.batching.bufferTimeoutMs;
      this.flushPartial();
    }
    if (now - this.lastYield >= 2) {
      this.lastYield = now;
      return this.yieldThenRunMails();
    }
    return this.mailbox.hasMail ? this.processMails() : undefined;
  }

  private async yieldThenRunMails(): Promise<void> {
    await new Promise<void>((r) => setImmediate(r));
    await this.processMails();
  }

  /** Tell the job master the restored in-flight data is replayed (the end of this subtask's recovery, in-flight-replay.ts). */
  protected reportInFlightReplayed(): void {
    sendToMaster(this.ctx, { type: 'in-flight-replayed', subtask: { vertexId: this.vertex.id, subtask: this.args.subtask } });
  }

  /** Waits, counted as idle time. */
  protected idle<T>(wait: Promise<T>): Promise<T> {
    return this.times.idle(wait);
  }

  /** Flush partial batches and buffered sinks (input idle), then wait for full rings. */
  async flushOutputs(): Promise<void> {
    this.flushPartial();
    await this.drain();
  }

  /** Encode every partial batch and flush buffered sinks (publishing is `drain`'s). */
  private flushPartial(): void {
    this.outputs.flushAll();
    for (const f of this.chain.flushables) f.flush();
  }

  /**
   * Wait until every queued output frame is on its ring. While a write waits on a full ring,
   * priority input (unaligned barriers) and mails are still handled: that is what lets
   * checkpoints complete under backpressure.
   */
  async drain(): Promise<void> {
    for (;;) {
      await this.outputs.drain((w) => this.whileOutputBlocked(w));
      // An operator asked for no more input until it freed capacity (blockInputUntil): wait as
      // for a full ring — mails (its completions) and priority input are handled meanwhile.
      const blocked = this.outputs.inputBlocked;
      if (!blocked || this.stopping) return;
      // No input until then: publish what the operators emitted (the completions' results), as an
      // idle input does — partial batches waited for the blocking request otherwise.
      this.flushPartial();
      await this.whileOutputBlocked(this.waits.untilStopped(blocked));
    }
  }

  /** Resolves after at least one mail ran (a finishing operator waits for its completions this way). */
  private async yieldToMailbox(): Promise<boolean> {
    while (!this.mailbox.hasMail && !this.stopping) await this.interruptible(new Promise<never>(() => {}));
    if (this.stopping) return false;
    await this.processMails();
    return true;
  }

  /** Whether the loop waits for space on a full output ring right now (Flink's `isBackPressured`). */
  get backPressured(): boolean {
    return this.times.backPressured;
  }

  private whileOutputBlocked(write: Promise<void>): Promise<void> {
    // Before waiting for one full ring, publish the partial batches of every channel: the other
    // channels' consumers must not wait for this one's (Flink flushes them on its buffer timeout).
    this.outputs.flushAll();
    return this.times.backPressure(async () => {
      for (;;) {
        if (this.stopping) {
          await write.catch(() => {});
          return;
        }
        if (this.processPriorityInput()) return;
        if (this.mailbox.hasMail) {
          await this.mailbox.runMails();
          return;
        }
        if (!this.receivesPriorityInput) {
          // Only a mail can need the loop meanwhile: wait on the mailbox, not on the doorbell
          // (whose wake-up costs a cross-thread notification per blocked write).
          if (await this.interruptible(write.then(() => true, () => true))) return;
          continue;
        }
        const token = this.doorbell.prepareWait();
        if (this.mailbox.hasMail || this.processPriorityInput()) {
          this.doorbell.cancelWait();
          continue;
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
    });
  }

  /** Operator state of this subtask for checkpoint n, by operator uid (sink transactions, …). */
  snapshotOperatorState(checkpointId: number): Record<string, unknown> {
    return snapshotChain(this.chain, checkpointId);
  }

  /** The asynchronous part of the operators' snapshot of checkpoint n; a failure fails this task. */
  async awaitOperatorsDurable(checkpointId: number): Promise<void> {
    try {
      await awaitChainDurable(this.chain, checkpointId);
    } catch (e) {
      this.failWith(e instanceof Error ? e : new Error(String(e)));
      throw e;
    }
  }

  // ---- mails: what the control calls do on the loop (stream-task-actor.ts submits them) ----

  /** Checkpoint n completed: the checkpointer, then the operators (two-phase-commit sinks commit here). */
  async notifyCheckpointComplete(checkpointId: number): Promise<void> {
    await this.checkpointer?.notifyComplete(checkpointId);
  }

  async notifyCheckpointAborted(checkpointId: number, _reason: string): Promise<void> {
    await this.checkpointer?.notifyAborted(checkpointId);
  }

  notifyOperatorsComplete(checkpointId: number): Promise<void> {
    return notifyChain(this.chain, checkpointId, 'complete');
  }

  notifyOperatorsAborted(checkpointId: number): Promise<void> {
    return notifyChain(this.chain, checkpointId, 'aborted');
  }

  /** Processing-time callbacks of the chain (a mail); the next time one is needed. */
  private fireProcessingTime(now: number): number | undefined {
    let next: number | undefined;
    this.inStateBatch(() => {
      for (const m of this.chain.members) {
        if (!m.operator.onProcessingTime) continue;
        const t = m.operator.onProcessingTime(now);
        if (t !== undefined && (next === undefined || t < next)) next = t;
      }
    });
    return next;
  }

  // ---- end of data ----

  /** Raise this subtask's watermark to `watermark` (no-op unless it advances) and pass it down the chain. */
  advanceWatermark(watermark: number): void {
    if (!(watermark > this.currentWatermark)) return;
    this.currentWatermark = watermark;
    const input = this.chain.input;
    this.inStateBatch(() => input.emitWatermark(watermark));
  }

  /** This subtask's output turned idle (every input idle) or active again: pass it down the chain (Flink's WatermarkStatus). */
  emitWatermarkStatus(idle: boolean): void {
    this.chain.input.emitWatermarkStatus?.(idle);
  }

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

  /** End of partition (step 2 of 2): nothing more will come; the subtask ends after this. */
  async endPartitions(): Promise<void> {
    await this.endOfData();
    for (const w of this.outputs.writers) w.broadcast({ type: 'end-of-partition' });
    this.outputs.collect?.broadcast({ type: 'end-of-partition' });
    await this.drain();
    this.finished = true;
  }

  protected async close(): Promise<void> {
    this.timers.close();
    this.checkpointer?.close(this.fatal ? 'failed' : 'closing');
    try {
      await closeChain(this.chain);
    } finally {
      this.finalKeyedStateBytes = this.keyedStateBytes(); // the final metrics report it after the backend is gone
      await this.keyedState?.dispose({ deleteFiles: true });
      this.keyedState = undefined;
    }
  }

  /** Fail the task from a mail or callback: the loop stops and rethrows `error`. */
  failWith(error: Error): void {
    this.fatal ??= error;
    this.stop();
  }


  /** Cancel: the loop returns from wherever it waits. */
  stop(): void {
    this.stopping = true;
    this.doorbell.forceRing();
    this.waits.stopped();
  }

  /** Waits for `p`, or until a mail arrives or the task is stopped (then undefined): task-waits.ts. */
  protected interruptible<T>(p: Promise<T>): Promise<T | undefined> {
    return this.waits.interruptible(p);
  }

  /** A read of counters (it mutates nothing, so it answers at once, even while the loop is busy). */
  metrics(): TaskMetrics {
    const { recordsOut, bytesOut } = this.outputs.totals();
    return {
      vertex: this.args.vertex,
      subtask: this.args.subtask,
      recordsIn: this.recordsIn,
      recordsOut,
      bytesOut,
      framesIn: this.framesIn(),
      ...this.times.split(),
      mailsRun: this.mailbox.mailsRun,
      finished: this.finished,
      inputWatermark: this.currentWatermark,
      outputWatermark: this.outputs.outputWatermark(),
      keyedStateBytes: this.keyedStateBytes(),
    };
  }

  /** Keyed state size for metrics (LMDB: pages in use, a cheap environment stat); null without keyed state or once closed. */
  private finalKeyedStateBytes: number | null = null;

  private keyedStateBytes(): number | null {
    if (!this.keyedState) return this.finalKeyedStateBytes;
    try {
      return this.keyedState.stats().bytes;
    } catch {
      return null; // closed (the subtask ended): its size is no longer known
    }
  }

  protected abstract framesIn(): number;
}
