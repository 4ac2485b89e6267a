/**
 * The output side of a subtask, in one owner: a record writer per output edge (partitioning,
 * batching, frames queued outside full rings), the collect sink's writer to the main thread,
 * the shared budget that bounds what is queued (record-writer.ts), draining under
 * backpressure, and the output totals for metrics.
 */
import { ChannelWriter, Doorbell } from '../../actors/in-worker.ts';
import type { TaskInfo } from '../api/functions.ts';
import type { JobGraph, JobVertex } from '../graph/job-graph.ts';
import { keySelectorFailed } from '../operators/operator.ts';
import { broadcastPartitioner, forwardPartitioner, hashPartitioner, rebalancePartitioner } from './partitioners.ts';
import { drainWriters, OutputBudget, RecordWriter } from './record-writer.ts';
import type { StreamTaskArgs } from './task-args.ts';

export class TaskOutputs {
  /** Set while an output channel queues more than `batching.maxPendingBytes`: take no more input until drained. */
  readonly budget = new OutputBudget();
  /** One per output edge, in `vertex.outputs` order. */
  readonly writers: RecordWriter[];
  /** The channel of a collect sink in this chain to the main thread, if any. */
  readonly collect: RecordWriter | undefined;
  private draining: Promise<void> | undefined;

  /** `info`: the chain's tail (it emits what the writers send). */
  constructor(vertex: JobVertex, graph: JobGraph, args: StreamTaskArgs, info: TaskInfo) {
    const tail = vertex.operators[vertex.operators.length - 1]!;
    const owner = {
      description: `Operator '${tail.name}' (uid ${tail.uid}, subtask ${info.subtask + 1}/${info.parallelism})`,
      details: { operator: tail.name, uid: tail.uid, subtask: info.subtask },
    };
    this.writers = vertex.outputs.map((edge, i) => {
      const outs = args.outputs[i]!;
      const channelWriters = outs.map((o) => new ChannelWriter(o.channel, new Doorbell(o.doorbell)));
      const partitioner = edge.partitioning === 'forward'
        ? forwardPartitioner()
        : edge.partitioning === 'rebalance'
          ? rebalancePartitioner(outs.length, args.subtask)
          : edge.partitioning === 'broadcast'
            ? broadcastPartitioner()
            : hashPartitioner(edge.keySelector!, outs.length, graph.maxParallelism,
              (record, cause) => keySelectorFailed(graph.vertices[edge.to]!.operators[0]!, info, record, cause));
      return new RecordWriter(channelWriters, partitioner, args.batching, this.budget, owner);
    });
    this.collect = args.collect
      ? new RecordWriter([new ChannelWriter(args.collect.channel, new Doorbell(args.collect.doorbell))], forwardPartitioner(), args.batching, this.budget, owner)
      : undefined;
  }

  /** Operators' requests for no more input (OperatorContext.blockInputUntil), until each resolves. */
  private readonly inputBlockers = new Set<Promise<void>>();

  /**
   * An operator asks the task to take no more input until `freed` resolves (an async operator or
   * sink at capacity): the budget reads as exceeded, so the loops stop after the current record
   * and drain, waiting on {@link inputBlocked} as for a full ring.
   */
  blockInputUntil(freed: Promise<void>): void {
    this.budget.operatorBlocked();
    const entry: Promise<void> = freed.then(() => {}, () => {}).then(() => {
      this.budget.operatorUnblocked();
      this.inputBlockers.delete(entry);
    });
    this.inputBlockers.add(entry);
  }

  /** Resolves when one of the operators blocking input released it; undefined when none blocks. */
  get inputBlocked(): Promise<void> | undefined {
    return this.inputBlockers.size === 0 ? undefined : Promise.race(this.inputBlockers);
  }

  /** Encode every partial batch (queued frames are published by `drain`). */
  flushAll(): void {
    for (const w of this.writers) w.flushAll();
    this.collect?.flushAll();
  }

  get hasPending(): boolean {
    return this.writers.some((w) => w.hasPending) || (this.collect?.hasPending ?? false);
  }

  /**
   * Wait until every queued frame is on its ring. One drain at a time (a control call may kick
   * one while the loop runs another). `whileBlocked` runs while a write waits on a full ring.
   */
  async drain(whileBlocked?: (write: Promise<void>) => Promise<void>): Promise<void> {
    while (this.hasPending) {
      if (this.draining) {
        await this.draining;
        continue;
      }
      this.draining = this.drainOnce(whileBlocked).finally(() => (this.draining = undefined));
      await this.draining;
    }
  }

  private drainOnce(whileBlocked?: (write: Promise<void>) => Promise<void>): Promise<void> {
    return drainWriters(this.collect ? [...this.writers, this.collect] : this.writers, whileBlocked);
  }

  /** Records and encoded bytes handed to every channel so far. */
  totals(): { recordsOut: number; bytesOut: number } {
    let recordsOut = 0;
    let bytesOut = 0;
    for (const w of this.collect ? [...this.writers, this.collect] : this.writers) {
      recordsOut += w.recordsOut;
      bytesOut += w.bytesOut;
    }
    return { recordsOut, bytesOut };
  }

  /** The last watermark emitted on the output edges (-Infinity before the first or without edges). */
  outputWatermark(): number {
    let wm = -Infinity;
    for (const w of this.writers) if (w.lastWatermark > wm) wm = w.lastWatermark;
    return wm;
  }
}
