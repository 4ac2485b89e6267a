/**
 * A source subtask (Flink's `SourceStreamTask`): source reader → operator chain → outputs.
 *
 * The loop reads a batch from the reader, pushes its records through the chain, drains the
 * output (backpressure) and runs mails between batches. Records per read start at 1 and double
 * up to {@link SOURCE_BATCH}; they halve when a batch had to pause for output to drain.
 *
 * Checkpoints: the coordinator's trigger is a mail. While a batch is open across an await (it
 * paused mid-batch for output to drain, and mails run during that wait), the barrier waits for
 * the end of the batch: a snapshot in between would store a reader offset past records not
 * emitted yet. While a read is asynchronous (its Promise pending, mails running), a snapshot
 * stores the offset taken when the read went asynchronous: the reader may advance as its Promise
 * settles, some microtasks before the loop gets the records — a mail in between would store a
 * position past records that follow its barrier (they were lost on restore).
 *
 * End: at the end of its data the source emits the maximum watermark and finishes its
 * operators; with checkpointing it then waits (running mails) for `endInput`, which the job
 * master sends after the final checkpoint completed, and ends its partitions.
 */
import type { ActorContext, Doorbell, Frame } from '../../actors/in-worker.ts';
import type { JobGraph } from '../graph/job-graph.ts';
import type { SubtaskRestore } from '../recovery/restore-planner.ts';
import type { CheckpointBarrier } from '../io/stream-elements.ts';
import { createSourceReader, type SourceBatch, type SourceReader } from '../operators/sources/source-reader.ts';
import { StreamTask } from './stream-task.ts';
import type { TaskServices } from './task-timers.ts';
import type { StreamTaskArgs } from './task-args.ts';
import { NO_OP_CHANNEL_STATE_WRITER } from './channel-state-writer.ts';
import { loadRestoredInFlight, replayOutput, type RestoredInFlight } from './channel-state-reader.ts';
import { sendToMaster } from './task-protocol.ts';

/** The most records read per batch. */
const SOURCE_BATCH = 256;

export class SourceTask extends StreamTask {
  private reader!: SourceReader;
  /** Output this subtask had not published when the restored checkpoint was taken. */
  private restoredOutput: RestoredInFlight | undefined;
  private batchOpen = false;
  /** The reader's offset when the pending read went asynchronous (a copy); what snapshots store until its records are emitted. */
  private offsetBeforeRead: { readonly value: unknown } | undefined;
  private readonly deferredBarriers: CheckpointBarrier[] = [];
  /** Set by the endInput mail (after the final checkpoint). */
  private endInputRequested = false;
  /** Set by the startReading mail when `args.awaitStart` (every subtask of the attempt deployed). */
  private startRequested = false;

  constructor(ctx: ActorContext, args: StreamTaskArgs, graph: JobGraph, services: TaskServices, doorbell: Doorbell) {
    super(ctx, args, graph, services, doorbell, NO_OP_CHANNEL_STATE_WRITER);
  }

  protected async restoreOwn(restore: SubtaskRestore | undefined): Promise<void> {
    const head = this.vertex.operators[0]!;
    if (head.spec.kind !== 'source') throw new Error(`internal: vertex ${this.vertex.id} is not a source`);
    // Created before any checkpoint can be triggered, so every snapshot has the source's position.
    this.reader = createSourceReader(head.spec.source, {
      taskInfo: this.infoFor(head),
      now: () => this.services.clock.now(),
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    }, restore?.operator[head.uid]?.[0], {
      ...(this.args.initialSplits ? { initialSplits: this.args.initialSplits } : {}),
      ...(this.args.push ? { push: this.args.push } : {}),
    });
    if (restore && restore.channelState.length > 0) {
      this.restoredOutput = await loadRestoredInFlight({ vertex: this.vertex, graph: this.graph, subtask: this.args.subtask }, restore);
    }
  }

  /** The reader's position first, then the chain's operator state. */
  override snapshotOperatorState(checkpointId: number): Record<string, unknown> {
    const offset = this.offsetBeforeRead ? structuredClone(this.offsetBeforeRead.value) : this.reader.offset();
    return { [this.vertex.operators[0]!.uid]: offset, ...super.snapshotOperatorState(checkpointId) };
  }

  inputPosition(): { starts: Map<number, number>; unprocessed: Map<number, Frame[]> } {
    return { starts: new Map(), unprocessed: new Map() };
  }

  protected get receivesPriorityInput(): boolean {
    return false;
  }

  protected processPriorityInput(): boolean {
    return false;
  }

  protected framesIn(): number {
    return 0;
  }

  // ---- mails ----

  /** Job master → source: every subtask of the attempt is deployed, start reading. */
  startReading(): void {
    this.startRequested = true;
  }

  /** Coordinator → source: inject barrier n (deferred to the end of an open batch). */
  triggerCheckpoint(barrier: CheckpointBarrier): void {
    if (this.finished || this.stopping) return;
    if (this.batchOpen) {
      this.deferredBarriers.push(barrier);
      return;
    }
    try {
      this.checkpointer!.triggerAtSource(barrier);
    } catch (e) {
      // A failure in the synchronous part of a snapshot fails the task (Flink semantics).
      this.failWith(e as Error);
    }
  }

  /** After the final checkpoint: end the partitions. */
  endInput(): void {
    this.endInputRequested = true;
  }

  // ---- the loop ----

  protected async runLoop(): Promise<void> {
    // Stopped while waiting: no early return — the loop below ends at once (`stopping`) and its `finally` closes the reader.
    if (this.args.awaitStart) await this.idleUntil(() => this.startRequested);
    if (this.restoredOutput) {
      replayOutput(this.outputs, this.restoredOutput);
      this.restoredOutput = undefined;
      await this.drain();
      if (!this.stopping) this.reportInFlightReplayed();
    }
    const reader = this.reader;
    const input = this.chain.input;
    const budget = this.outputs.budget;
    let want = 1;
    let operatorPaused = false;
    try {
      while (!this.stopping) {
        let batch: SourceBatch | Promise<SourceBatch> | undefined = reader.read(want);
        if (batch instanceof Promise) {
          // The source must wait: publish what we have first (latency), then wait, running mails.
          // Snapshots meanwhile store the position before this read (see the top of this file);
          // copied, as a reader may hand out its live split objects.
          this.offsetBeforeRead = { value: structuredClone(reader.offset()) };
          try {
            await this.flushOutputs();
            batch = await this.untilSettled(batch);
          } finally {
            this.offsetBeforeRead = undefined; // its records are emitted next, before any mail runs
          }
          if (!batch) break; // stopped
        }
        const records = batch.records;
        let paused = false;
        for (let i = 0; i < records.length && !this.stopping;) {
          input.collect(records[i++], undefined);
          this.recordsIn++;
          if (budget.exceeded && i < records.length) {
            // Bounded in-flight data (record-writer.ts): wait for the output before the next record.
            paused = true;
            operatorPaused ||= budget.blockedByOperator;
            this.batchOpen = true;
            await this.drain();
          }
        }
        if (paused) this.closeBatch();
        // A chained operator at capacity (async I/O) pauses the batch on a request that may take
        // long, and a barrier waits for the batch's end (see the top): read one record at a time
        // then, so a checkpoint waits for one record's room at most, as in Flink.
        want = operatorPaused ? 1 : paused ? Math.max(1, want >> 1) : Math.min(SOURCE_BATCH, want * 2);
        operatorPaused = false;
        await this.drain();
        if (batch.done) break;
        await this.maybeYield();
      }
      if (!this.stopping) await this.endOfData();
      if (!this.stopping && this.checkpointer) {
        // Checkpointing: stay alive so the final checkpoint passes through behind end-of-data;
        // the job master sends endInput once it completed (see job-checkpointing.ts).
        sendToMaster(this.ctx, { type: 'source-finished', subtask: { vertexId: this.vertex.id, subtask: this.args.subtask } });
        await this.idleUntil(() => this.endInputRequested);
      }
      if (!this.stopping) await this.endPartitions();
    } finally {
      await reader.close?.();
    }
  }

  /** The batch ended: barriers that waited for it go out now, in order. */
  private closeBatch(): void {
    this.batchOpen = false;
    for (const b of this.deferredBarriers.splice(0)) this.triggerCheckpoint(b);
  }

  /** Waits for the reader's batch, running mails meanwhile; undefined when stopped. */
  private async untilSettled(read: Promise<SourceBatch>): Promise<SourceBatch | undefined> {
    let result: { batch: SourceBatch } | undefined;
    let failure: { error: unknown } | undefined;
    const settled = read.then((batch) => void (result = { batch }), (error) => void (failure = { error }));
    for (;;) {
      await this.idle(this.interruptible(settled));
      if (failure) throw failure.error;
      if (result) return result.batch;
      if (this.stopping) return undefined;
      await this.processMails();
      await this.flushOutputs(); // what the mails emitted (a barrier, a processing-time timer's output), published while the source waits
    }
  }

  /** Waits, running mails and draining what they emit, until `done()` or stop. */
  private async idleUntil(done: () => boolean): Promise<void> {
    while (!done() && !this.stopping) {
      await this.drain();
      if (done() || this.stopping) break;
      await this.idle(this.interruptible(new Promise<never>(() => {})));
      await this.processMails();
      await this.flushOutputs(); // what the mails emitted, published while the source waits
    }
  }
}
