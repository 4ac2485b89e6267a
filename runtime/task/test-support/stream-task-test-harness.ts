/**
 * Drives one subtask in the test's own thread (Flink's `StreamTaskTestHarness`): the task is
 * built exactly as a worker builds it (create-stream-task.ts) from a job defined with
 * `defineJob`, with real rings, real keyed state and the real control plane — but the test is
 * its upstream and downstream. It writes frames (record batches, watermarks, barriers, end of
 * data) into the task's input channels, reads what the task publishes on its output channels,
 * sees every message the task sends to the job master, makes control calls (they become mails)
 * and owns the task's clock and scheduler (a ManualScheduler: processing time and the aligned
 * timeout move only when the test advances them).
 *
 * Waiting is on conditions (`waitUntil`), never on time: the harness turns the event loop until
 * the condition holds, and fails with what it waited for after `WAIT_LIMIT_MS` of no success.
 */
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import pino from 'pino';
import { ChannelReader, ChannelWriter, createChannel, Doorbell, type ActorContext, type ChannelSpec } from '../../../actors/index.ts';
import type { JobDefinition } from '../../api/job-definition.ts';
import { buildExecutionPlan } from '../../graph/execution-plan.ts';
import { ManualScheduler } from '../../checkpoint/scheduler.ts';
import { decodeBatch, encodeBatch } from '../../io/record-codec.ts';
import { decodeElement, encodeElement, RECORD_BATCH_KIND, type CheckpointBarrier, type StreamElement } from '../../io/stream-elements.ts';
import { DEFAULT_BATCHING, type BatchingOptions } from '../record-writer.ts';
import type { StreamTaskArgs, TaskCheckpointingArgs } from '../task-args.ts';
import type { SubtaskRestore } from '../../recovery/restore-planner.ts';
import type { StreamTask } from '../stream-task.ts';
import { createStreamTask } from '../create-stream-task.ts';
import { taskControlPlane } from '../task-control-plane.ts';
import { parseTaskMessage, type AckMessage, type TaskToMaster } from '../task-protocol.ts';

/** Give up waiting after this long without the condition (a hang, reported; not a timing assertion). */
const WAIT_LIMIT_MS = 20_000;

export interface HarnessOptions<P> {
  readonly job: JobDefinition<P>;
  readonly params: P;
  /** The vertex to run, by index in the job graph (0 = the first source). */
  readonly vertex: number;
  readonly subtask?: number;
  readonly parallelism?: number;
  readonly maxParallelism?: number;
  readonly checkpointing?: Partial<TaskCheckpointingArgs>;
  readonly stateBackend?: 'heap' | 'lmdb';
  readonly batching?: Partial<BatchingOptions>;
  /** Ring capacity of the input channels, bytes (default 64 KiB). */
  readonly bufferBytes?: number;
  /** Ring capacity of the output channels, bytes (default: `bufferBytes`). */
  readonly outputBufferBytes?: number;
  readonly restore?: SubtaskRestore;
  /** A user source's splits for this subtask (the job master makes them on the main thread). */
  readonly initialSplits?: readonly object[];
}

/** One thing read from an output channel. */
export type OutputItem =
  | { readonly channel: number; readonly type: 'record'; readonly value: unknown; readonly timestamp: number | undefined }
  | { readonly channel: number; readonly type: 'element'; readonly element: StreamElement; readonly priority: boolean };

export class StreamTaskTestHarness {
  readonly control: ReturnType<typeof taskControlPlane>;
  /** Set once the task's run ended: its error, if it failed. */
  outcome: { error?: unknown } | undefined;
  private readonly inputs: ChannelWriter[];
  private readonly outputs: ChannelReader[][];
  private readonly collect: ChannelReader | undefined;
  private readonly received = new Map<string, OutputItem[]>();
  private run: Promise<void> | undefined;

  private constructor(
    readonly messages: TaskToMaster[],
    readonly task: StreamTask,
    readonly scheduler: ManualScheduler,
    readonly directory: string,
    inputs: ChannelSpec[],
    outputs: ChannelSpec[][],
    collect: ChannelSpec | undefined,
    taskBell: SharedArrayBuffer,
    /** The collect sink's channel to the main thread and the doorbell the task rings on it (for a real CollectReader). */
    readonly collectChannel: { readonly spec: ChannelSpec; readonly doorbell: SharedArrayBuffer } | undefined,
  ) {
    this.inputs = inputs.map((c) => new ChannelWriter(c, taskBell));
    this.outputs = outputs.map((chs) => chs.map((c) => new ChannelReader(c)));
    this.collect = collect ? new ChannelReader(collect) : undefined;
    this.control = taskControlPlane(task, 'harness');
  }

  static async open<P>(opts: HarnessOptions<P>): Promise<StreamTaskTestHarness> {
    const parallelism = opts.parallelism ?? 1;
    const maxParallelism = opts.maxParallelism ?? 128;
    const graph = opts.job.graph(opts.params, parallelism, maxParallelism);
    const plan = buildExecutionPlan(graph, 1);
    const st = plan.subtasks.find((s) => s.vertex === opts.vertex && s.subtask === (opts.subtask ?? 0));
    if (!st) throw new Error(`harness: no subtask ${opts.subtask ?? 0} of vertex ${opts.vertex} in job ${opts.job.name}`);
    const vertex = graph.vertices[opts.vertex]!;
    const capacityBytes = opts.bufferBytes ?? 64 * 1024;
    const channel = (bytes = capacityBytes) => createChannel({ capacityBytes: bytes });
    const inputs = st.inputChannels.map(() => channel());
    const outputs = st.outputChannels.map((chs) => chs.map(() => channel(opts.outputBufferBytes)));
    const hasCollect = vertex.operators.some((o) => o.spec.kind === 'sink' && o.spec.sink.type === 'collect');
    const collect = hasCollect ? channel() : undefined;
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-harness-'));
    const taskBell = Doorbell.create().buffer;
    const downstreamBell = Doorbell.create().buffer;
    const args: StreamTaskArgs = {
      jobId: 'harness',
      jobName: opts.job.name,
      moduleUrl: opts.job.moduleUrl,
      attempt: 0,
      params: opts.params,
      parallelism,
      maxParallelism,
      fingerprint: graph.fingerprint,
      vertex: opts.vertex,
      subtask: st.subtask,
      inputs,
      inputEdges: st.inputChannels.map((c) => vertex.inputs.findIndex((e) => e.index === plan.channels[c]!.edge)),
      doorbell: taskBell,
      outputs: outputs.map((chs) => chs.map((c) => ({ channel: c, doorbell: downstreamBell }))),
      ...(collect ? { collect: { channel: collect, doorbell: downstreamBell } } : {}),
      state: { backend: opts.stateBackend ?? 'heap', directory: path.join(directory, 'state') },
      batching: { ...DEFAULT_BATCHING, ...opts.batching },
      ...(opts.checkpointing ? { checkpointing: { mode: 'exactly-once', root: path.join(directory, 'checkpoints'), incremental: false, ...opts.checkpointing } } : {}),
      ...(opts.restore ? { restore: opts.restore } : {}),
      ...(opts.initialSplits ? { initialSplits: opts.initialSplits } : {}),
    };
    const messages: TaskToMaster[] = [];
    const ctx: ActorContext = {
      actorId: `${vertex.id}#${st.subtask}@0`,
      host: 0,
      logger: pino({ level: 'silent' }),
      send: (m) => {
        const parsed = parseTaskMessage(structuredClone(m));
        if (!parsed) throw new Error(`harness: the task sent a message the master would not understand: ${JSON.stringify(m)}`);
        messages.push(parsed);
      },
    };
    const scheduler = new ManualScheduler();
    const task = await createStreamTask(ctx, args, { clock: scheduler.clock, scheduler });
    return new StreamTaskTestHarness(messages, task, scheduler, directory, inputs, outputs, collect, taskBell, collect ? { spec: collect, doorbell: downstreamBell } : undefined);
  }

  /** Start the task's loop (in this thread); `outcome` is set when it ends. */
  start(): void {
    this.run ??= this.control.run().then(() => void (this.outcome = {}), (error) => void (this.outcome = { error }));
  }

  /** Resolves when the loop ended; rejects with its failure. */
  async finished(): Promise<void> {
    this.start();
    await this.waitUntil(() => this.outcome !== undefined, 'the task to end');
    if (this.outcome!.error !== undefined) throw this.outcome!.error;
  }

  // ---- upstream: what the test sends ----

  /** A record batch on input `channel` (waits for ring space: backpressure reaches the test). */
  async records(channel: number, records: readonly unknown[], timestamps?: readonly number[]): Promise<void> {
    await this.input(channel).write(RECORD_BATCH_KIND, encodeBatch(records, timestamps ?? null));
  }

  /** Any element in-band on input `channel`. */
  async element(channel: number, element: StreamElement): Promise<void> {
    const f = encodeElement(element);
    await this.input(channel).write(f.kind, f.payload);
  }

  /** A priority element (unaligned barrier) on input `channel`. */
  async priority(channel: number, element: StreamElement): Promise<void> {
    const f = encodeElement(element);
    await this.input(channel).writePriority(f.kind, f.payload);
  }

  watermark(channel: number, timestamp: number): Promise<void> {
    return this.element(channel, { type: 'watermark', timestamp });
  }

  /** Barrier `checkpointId` in-band on `channel` (aligned unless told otherwise). */
  barrier(channel: number, checkpointId: number, extra: Partial<CheckpointBarrier> = {}): Promise<void> {
    return this.element(channel, { type: 'barrier', barrier: barrierOf(checkpointId, extra) });
  }

  /** Data frames published so far on input `channel` (an unaligned barrier's position). */
  published(channel: number): number {
    return this.input(channel).dataFramesWritten;
  }

  /** End of data then end of partition on every input channel. */
  async endInput(): Promise<void> {
    for (let ch = 0; ch < this.inputs.length; ch++) {
      await this.element(ch, { type: 'end-of-data' });
      await this.element(ch, { type: 'end-of-partition' });
    }
  }

  // ---- downstream: what the task published ----

  /** Everything read so far from output `edge` (all its channels), reading what is new. */
  output(edge = 0): OutputItem[] {
    const readers = this.outputs[edge];
    if (!readers) throw new Error(`harness: the task has no output edge ${edge}`);
    return readers.flatMap((r, ch) => this.drainReader(`${edge}/${ch}`, r, ch));
  }

  /** Records read so far from channel `channel` of output `edge` alone (its other channels stay unread: their consumers stall). */
  channelRecords(edge: number, channel: number): unknown[] {
    const reader = this.outputs[edge]?.[channel];
    if (!reader) throw new Error(`harness: the task has no output channel ${edge}/${channel}`);
    return this.drainReader(`${edge}/${channel}`, reader, channel).flatMap((o) => (o.type === 'record' ? [o.value] : []));
  }

  /** Records read so far from output `edge`, in order per channel. */
  outputRecords(edge = 0): unknown[] {
    return this.output(edge).flatMap((o) => (o.type === 'record' ? [o.value] : []));
  }

  /** Records the chain's collect sink published so far. */
  collected(): unknown[] {
    return this.collectOutput().flatMap((o) => (o.type === 'record' ? [o.value] : []));
  }

  /** Everything read so far from the collect sink's channel, reading at most `maxFrames` new frames (all by default). */
  collectOutput(maxFrames = Infinity): OutputItem[] {
    if (!this.collect) throw new Error('harness: the vertex has no collect sink');
    return this.drainReader('collect', this.collect, 0, maxFrames);
  }

  /** Acknowledgements sent to the job master. */
  acks(): AckMessage[] {
    return this.messages.filter((m): m is AckMessage => m.type === 'ack');
  }

  /** Turn the event loop until `cond()` holds. */
  async waitUntil(cond: () => boolean, what: string): Promise<void> {
    const giveUpAt = Date.now() + WAIT_LIMIT_MS;
    while (!cond()) {
      if (this.outcome?.error !== undefined && !what.includes('end')) throw this.outcome.error;
      if (Date.now() > giveUpAt) throw new Error(`harness: still waiting for ${what} (messages: ${JSON.stringify(this.messages.map((m) => m.type))}, mails: ${JSON.stringify(this.task.mailbox.pending())})`);
      await new Promise<void>((r) => setImmediate(r));
    }
  }

  /**
   * Stop the task if it still runs or never ran (channels closed first, as a teardown does, so a write
   * blocked on a full ring wakes), wait for its end, delete its files.
   */
  async close(): Promise<void> {
    if (!this.outcome) {
      for (const r of [...this.outputs.flat(), ...(this.collect ? [this.collect] : [])]) r.close();
      for (const w of this.inputs) w.close();
      this.task.stop();
      this.start(); // a task never started still closes its state and operators
      await this.run;
    }
    fs.rmSync(this.directory, { recursive: true, force: true });
  }

  private input(channel: number): ChannelWriter {
    const w = this.inputs[channel];
    if (!w) throw new Error(`harness: the task has no input channel ${channel}`);
    return w;
  }

  private drainReader(key: string, reader: ChannelReader, channel: number, maxFrames = Infinity): OutputItem[] {
    const list = this.received.get(key) ?? this.received.set(key, []).get(key)!;
    for (let f = reader.tryReadPriority(); f; f = reader.tryReadPriority()) {
      list.push({ channel, type: 'element', element: decodeElement(f.kind, f.payload), priority: true });
    }
    for (let n = 0; n < maxFrames; n++) {
      const f = reader.tryRead();
      if (!f) break;
      if (f.kind === RECORD_BATCH_KIND) {
        const { records, timestamps } = decodeBatch(f.payload);
        records.forEach((value, i) => {
          const t = timestamps?.[i];
          list.push({ channel, type: 'record', value, timestamp: t === undefined || Number.isNaN(t) ? undefined : t });
        });
      } else {
        list.push({ channel, type: 'element', element: decodeElement(f.kind, f.payload), priority: false });
      }
      for (let p = reader.tryReadPriority(); p; p = reader.tryReadPriority()) {
        list.push({ channel, type: 'element', element: decodeElement(p.kind, p.payload), priority: true });
      }
    }
    return list;
  }
}

/** A barrier of checkpoint `checkpointId` (timestamp 0: the manual clock's epoch). */
export function barrierOf(checkpointId: number, extra: Partial<CheckpointBarrier> = {}): CheckpointBarrier {
  return { checkpointId, timestamp: 0, kind: 'checkpoint', alignment: 'aligned', alignedTimeoutMs: 0, position: 0, ...extra };
}
