/**
 * A subtask with input channels (Flink's `OneInputStreamTask`, and `TwoInputStreamTask` when the
 * chain's head has two inputs: each channel's frames go to the entry of its edge's input):
 * checkpointed input gate → operator chain → outputs.
 *
 * The loop (one iteration per input item):
 *   1. take the next item from the checkpointed input gate (barriers and other control
 *      elements are handled inside it and never come out);
 *   2. a record batch is processed in slices (frame-processor.ts); between slices output is
 *      drained, priority input handled and mails run;
 *   3. a watermark or the end of a channel's data goes through the watermark valve;
 *   4. drain output (backpressure), end the data when every channel ended its data, and run
 *      the mails;
 *   5. nothing available: publish partial batches, run mails, sleep until the doorbell rings
 *      (input, output space, a mail — processing-time timers and the aligned-checkpoint timeout
 *      are mails too — or stop).
 * After a restore, the restored in-flight data is replayed before the first item
 * (channel-state-reader.ts); a checkpoint triggered meanwhile persists what is not replayed yet.
 * With `bufferDebloat`, a mail every `periodMs` measures the bytes the gate read over the time
 * the task was not idle and publishes the new per-channel limit (buffer-debloater.ts).
 */
import { ChannelReader, Doorbell, type ActorContext, type Frame } from '../../actors/in-worker.ts';
import type { JobGraph } from '../graph/job-graph.ts';
import type { SubtaskRestore } from '../recovery/restore-planner.ts';
import { decodeElement, RECORD_BATCH_KIND } from '../io/stream-elements.ts';
import { StreamTask } from './stream-task.ts';
import type { TaskServices } from './task-timers.ts';
import type { StreamTaskArgs } from './task-args.ts';
import { InputGate } from './input-gate.ts';
import { CheckpointedInputGate, type InputItem } from './checkpointed-input-gate.ts';
import { CapturingChannelStateWriter, NO_OP_CHANNEL_STATE_WRITER, type ChannelStateWriter } from './channel-state-writer.ts';
import { loadRestoredInFlight, replayOutput, type RestoredInFlight } from './channel-state-reader.ts';
import { FrameProcessor, type ReplayFrame } from './frame-processor.ts';
import { WatermarkValve } from './watermark-valve.ts';
import { mailboxScheduler } from './task-timers.ts';
import { BufferDebloater } from './buffer-debloater.ts';
import type { TaskMetrics } from './task-metrics.ts';
import type { Cancel } from '../checkpoint/scheduler.ts';
import { inputIndexOfEdge } from '../graph/two-input-spec.ts';
import type { Output } from '../operators/operator.ts';

export class InputTask extends StreamTask {
  readonly input: CheckpointedInputGate;
  private readonly valve: WatermarkValve;
  private readonly frames: FrameProcessor;
  /** In-flight data of the restored checkpoint, until replayed. */
  private restored: RestoredInFlight | undefined;
  /** Restored input frames not replayed yet (a checkpoint taken meanwhile persists them). */
  private replayQueue: ReplayFrame[] = [];
  /** Buffer debloating, when enabled: the limit's computation and its periodic mail. */
  private readonly debloat: BufferDebloater | undefined;
  private cancelDebloat: Cancel | undefined;

  static build(ctx: ActorContext, args: StreamTaskArgs, graph: JobGraph, services: TaskServices): InputTask {
    const doorbell = new Doorbell(args.doorbell);
    const gate = new InputGate(args.inputs.map((c) => new ChannelReader(c)), doorbell, args.batching.targetBatchBytes);
    // Only exactly-once checkpoints capture in-flight input (unaligned, or aligned after a timeout).
    const writer = args.checkpointing?.mode === 'exactly-once' ? new CapturingChannelStateWriter(gate) : NO_OP_CHANNEL_STATE_WRITER;
    return new InputTask(ctx, args, graph, services, doorbell, gate, writer);
  }

  private constructor(ctx: ActorContext, args: StreamTaskArgs, graph: JobGraph, services: TaskServices, doorbell: Doorbell, gate: InputGate, writer: ChannelStateWriter) {
    super(ctx, args, graph, services, doorbell, writer);
    const checkpoints = this.checkpointer;
    this.input = new CheckpointedInputGate(gate, writer, checkpoints && args.checkpointing
      ? { mode: args.checkpointing.mode, checkpoints, clock: services.clock, scheduler: mailboxScheduler(services.scheduler, this.mailbox, 'aligned checkpoint timeout') }
      : undefined);
    this.valve = new WatermarkValve(gate.channelCount, { watermark: (wm) => this.advanceWatermark(wm), status: (idle) => this.emitWatermarkStatus(idle) });
    if (args.bufferDebloat && gate.channelCount > 0) this.debloat = new BufferDebloater(args.bufferDebloat, gate.readers[0]!.dataCapacity);
    const task = this;
    // A two-input head: each channel's records go to the entry of the input its edge feeds.
    const entries = this.chain.inputs;
    const channelInputs = entries.length > 1 ? args.inputEdges.map((edge) => this.entryOfEdge(edge)) : undefined;
    this.frames = new FrameProcessor({
      input: this.chain.input,
      ...(channelInputs ? { channelInputs } : {}),
      budget: this.outputs.budget,
      get stopping() { return task.stopping; },
      inStateBatch: (fn) => this.inStateBatch(fn),
      countRecordsIn: (n) => void (this.recordsIn += n),
      betweenSlices: () => this.betweenSlices(),
    });
  }

  protected async restoreOwn(restore: SubtaskRestore | undefined): Promise<void> {
    if (restore && restore.channelState.length > 0) {
      this.restored = await loadRestoredInFlight({ vertex: this.vertex, graph: this.graph, subtask: this.args.subtask }, restore);
    }
  }

  inputPosition(channels: readonly number[]): { starts: Map<number, number>; unprocessed: Map<number, Frame[]> } {
    const starts = new Map(channels.map((ch) => [ch, this.input.gate.nextIndex[ch]!] as const));
    const unprocessed = new Map<number, Frame[]>();
    const add = (f: ReplayFrame) => {
      if (!starts.has(f.channel)) return;
      (unprocessed.get(f.channel) ?? unprocessed.set(f.channel, []).get(f.channel)!).push(f);
    };
    // Off the ring but not processed: the rest of the frame in progress, then restored frames.
    const rest = this.frames.unprocessed();
    if (rest) add(rest);
    for (const f of this.replayQueue) add(f);
    return { starts, unprocessed };
  }

  protected get receivesPriorityInput(): boolean {
    return this.args.checkpointing?.mode === 'exactly-once';
  }

  protected processPriorityInput(): boolean {
    return this.input.processPriorityEvents();
  }

  protected framesIn(): number {
    return this.input.framesRead;
  }

  override async notifyCheckpointComplete(checkpointId: number): Promise<void> {
    this.input.onNotifyComplete(checkpointId);
    await super.notifyCheckpointComplete(checkpointId);
  }

  override async notifyCheckpointAborted(checkpointId: number, reason: string): Promise<void> {
    this.input.onAbortFromCoordinator(checkpointId, reason);
    await super.notifyCheckpointAborted(checkpointId, reason);
  }

  protected override async close(): Promise<void> {
    this.cancelDebloat?.();
    this.input.close();
    await super.close();
  }

  // ---- the loop ----

  override metrics(): TaskMetrics {
    const m = super.metrics();
    if (!this.debloat) return m;
    const eta = this.debloat.estimatedTimeToConsumeMs(this.input.gate.queuedBytes());
    return { ...m, debloatedBufferBytes: this.debloat.limitBytes, ...(eta !== undefined && Number.isFinite(eta) ? { estimatedTimeToConsumeBuffersMs: eta } : {}) };
  }

  /** Buffer debloating: a mail every period samples the throughput and publishes a changed limit. */
  private scheduleDebloat(): void {
    const d = this.debloat;
    const period = this.args.bufferDebloat?.periodMs;
    if (!d || period === undefined || this.stopping) return;
    const scheduler = mailboxScheduler(this.services.scheduler, this.mailbox, 'buffer debloat');
    this.cancelDebloat = scheduler.schedule(this.services.clock.now() + period, () => {
      const { busyMs, backPressuredMs } = this.times.split(); // not idle = busy + back-pressured
      const gate = this.input.gate;
      const limit = d.sample(gate.bytesRead, busyMs + backPressuredMs, gate.openChannels);
      if (limit !== undefined) gate.setDataLimit(limit);
      this.scheduleDebloat();
    });
  }

  protected async runLoop(): Promise<void> {
    this.scheduleDebloat();
    if (this.restored) await this.replayRestored(this.restored);
    const input = this.input;
    while (!this.stopping) {
      const item = input.pollNext();
      if (item) {
        const processing = this.processItem(item);
        if (processing) await processing;
        await this.drain();
        if (input.allDataEnded && !this.dataEnded) await this.endOfData();
        if (input.allEnded) break;
        const yielding = this.maybeYield();
        if (yielding) await yielding;
        continue;
      }
      // Idle: publish partial batches, run the mails, publish what they emitted (processing-time
      // timers, async completions: without it their output waited for the next input or
      // checkpoint — forever on a quiet stream), sleep until something rings.
      await this.flushOutputs();
      if (this.mailbox.hasMail) {
        await this.processMails();
        await this.flushOutputs();
      }
      if (this.stopping) break;
      await this.idle(input.waitForInput(() => this.mailbox.hasMail));
    }
    if (!this.stopping && input.allEnded) await this.endPartitions();
  }

  private processItem(item: InputItem): Promise<void> | undefined {
    switch (item.type) {
      case 'records':
        return this.frames.process(item.channel, item.index, item.payload);
      case 'watermark':
        this.valve.onWatermark(item.channel, item.timestamp);
        return undefined;
      case 'watermark-status':
        this.valve.onStatus(item.channel, item.idle);
        return undefined;
      case 'end-of-data':
      case 'end-of-partition':
        // No more records or watermarks on this channel: it no longer holds the watermark back.
        this.valve.onDataEnded(item.channel);
        return undefined;
    }
  }

  /** The chain entry of the records of input edge `edge` (an ordinal of vertex.inputs). */
  private entryOfEdge(edge: number): Output<unknown> {
    const entries = this.chain.inputs;
    return entries.length > 1 ? entries[inputIndexOfEdge(this.vertex.operators[0]!, edge)]! : this.chain.input;
  }

  private async betweenSlices(): Promise<void> {
    await this.drain();
    this.input.processPriorityEvents();
    await this.maybeYield();
  }

  /**
   * Recovery: unsent output first, then the input the checkpoint's barrier had overtaken. Input
   * re-routed after rescaling (records, not frames) is processed before the first await, in one
   * state batch: a checkpoint can only be triggered while this waits (output blocked, priority
   * barriers handled), and it persists only frames not replayed yet — records still waiting here
   * were in neither its state nor its channel state, and were lost by a restore of it.
   */
  private async replayRestored(restored: RestoredInFlight): Promise<void> {
    this.restored = undefined;
    replayOutput(this.outputs, restored);
    this.inStateBatch(() => { for (const r of restored.inputRecords) this.entryOfEdge(r.edge).collect(r.record, r.ts); });
    this.recordsIn += restored.inputRecords.length;
    this.replayQueue = [...restored.inputFrames];
    await this.drain();
    for (let f = this.replayQueue.shift(); f && !this.stopping; f = this.replayQueue.shift()) {
      if (f.kind === RECORD_BATCH_KIND) {
        await this.frames.process(f.channel, -1, f.payload);
      } else {
        // Watermarks and watermark statuses are replayed; control elements of the old attempt mean nothing now.
        const el = decodeElement(f.kind, f.payload);
        if (el.type === 'watermark') this.valve.onWatermark(f.channel, el.timestamp);
        else if (el.type === 'watermark-status') this.valve.onStatus(f.channel, el.idle);
      }
      await this.drain();
      await this.maybeYield(); // mails run during a long replay too
    }
    this.replayQueue = [];
    if (!this.stopping) this.reportInFlightReplayed();
  }
}
