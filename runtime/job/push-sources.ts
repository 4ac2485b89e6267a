/**
 * The main-thread end of push sources (`env.fromPushSource(name)`): what an embedding app pushes
 * with `client.push(name, record)` goes into a log here and is sent, in batches, over a channel
 * to the source's subtask (operators/sources/push-source.ts).
 *
 * Guarantee. Records get sequence numbers in push order. With checkpointing, the log keeps every
 * record until a completed checkpoint covers it (the source's checkpointed position); after a
 * failover the new attempt's source starts from the restored position and the log re-sends from
 * there, so no record is lost or duplicated across failovers inside this process. What the
 * process had not yet checkpointed is lost if the process dies: after a restore in a new process,
 * `pushPosition(name)` is the sequence number the job expects next, and an app that can replay its
 * input (a log, a queue with offsets) pushes again from there — otherwise the guarantee is
 * at-most-once for those records. Without checkpointing, a record leaves the log once sent, and a
 * restarted attempt goes on with the records not sent yet (at-most-once across a failover).
 *
 * Bound: the log holds at most `maxBufferedRecords` records; `push` waits (its promise stays
 * pending, in order) while it is full — until the subtask takes records (no checkpointing) or a
 * checkpoint completes (checkpointing). So a backpressured job slows the app down instead of
 * filling memory.
 */
import { ChannelWriter, type ChannelSpec } from '../../actors/index.ts';
import type { JobGraph } from '../graph/job-graph.ts';
import type { CompletedCheckpoint } from '../checkpoint/checkpoint-metadata.ts';
import { encodeBatch } from '../io/record-codec.ts';
import { RECORD_BATCH_KIND, encodeElement } from '../io/stream-elements.ts';
import { isPushSourceOffset } from '../io/push-protocol.ts';
import { WeirError } from '../../common/weir-error.ts';
import { RuntimeErrorCode } from '../errors.ts';

const SEND_BATCH = 256;
/** How often a full push source without periodic checkpoints asks for a checkpoint again. */
const CHECKPOINT_REQUEST_MS = 1000;

class PushFeeder {
  private log: unknown[] = [];
  /** Sequence number of log[0]. */
  private base = 0;
  /** Next sequence number to send on the current channel. */
  private sent = 0;
  private writer: ChannelWriter | undefined;
  private generation = 0;
  private ended = false;
  private endSent = false;
  private admitted: Promise<unknown> = Promise.resolve();
  private spaceWaiter: (() => void) | undefined;
  private pumpWaker: (() => void) | undefined;
  private closedWith: Error | undefined;

  /**
   * `needCheckpoint`: given when checkpointing has no `intervalMs` — a full log (records kept until
   * a checkpoint covers them) asks for one, again every {@link CHECKPOINT_REQUEST_MS} while full,
   * instead of every push waiting for a manual trigger (an app awaiting its pushes hung for good).
   */
  constructor(readonly name: string, readonly vertexId: string, readonly uid: string, private readonly max: number, private readonly retain: boolean,
    private readonly needCheckpoint?: () => void) {}

  get nextSeq(): number {
    return this.base + this.log.length;
  }

  /** Appends in call order; resolves with the record's sequence number once it is in the log. */
  push(record: unknown): Promise<number> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    if (this.ended) return Promise.reject(new WeirError(RuntimeErrorCode.INVALID_ARGUMENT, `push source '${this.name}' was ended (endPush); no more records can be pushed`, { source: this.name }));
    // Refused here, not accepted: a record the channel cannot carry (a function, a symbol…) would
    // otherwise fail the pump later, after its push resolved, and stop the source for good.
    try {
      encodeBatch([record], null);
    } catch (e) {
      const why = e instanceof Error ? e.message.replace(/^A record cannot be encoded: /, '') : String(e);
      return Promise.reject(new WeirError(RuntimeErrorCode.RECORD_NOT_SERIALIZABLE, `push('${this.name}', record): the record cannot be encoded (records cross threads as data): ${why}`, { source: this.name, ...(e instanceof WeirError ? e.details : {}) }, { cause: e }));
    }
    const p = this.admitted.then(async () => {
      while (this.log.length >= this.max && !this.closedWith) await this.spaceFreed();
      if (this.closedWith) throw this.closedWith;
      this.log.push(record);
      this.pumpWaker?.();
      return this.nextSeq - 1;
    });
    this.admitted = p.catch(() => {});
    return p;
  }

  /** Resolves when a trim frees space (or the job ends); with `needCheckpoint`, also to ask again. */
  private spaceFreed(): Promise<void> {
    const freed = new Promise<void>((r) => (this.spaceWaiter = r));
    if (!this.needCheckpoint) return freed;
    this.needCheckpoint();
    let timer: NodeJS.Timeout | undefined;
    const again = new Promise<void>((r) => { timer = setTimeout(r, CHECKPOINT_REQUEST_MS); });
    return Promise.race([freed, again]).finally(() => clearTimeout(timer));
  }

  end(): Promise<void> {
    const p = this.admitted.then(() => {
      this.ended = true;
      this.pumpWaker?.();
    });
    this.admitted = p;
    return p;
  }

  /** A new attempt's channel: send from `start` (the restored position, 0 on a fresh start). */
  attach(channel: ChannelSpec, doorbell: SharedArrayBuffer, start: number): void {
    if (this.log.length === 0 && start > this.base) this.base = start; // a restore in a new process: the app resumes from here
    // Without checkpointing nothing is kept for replay: a restarted attempt goes on with what was
    // not sent yet (what the failed attempt had taken is lost: at-most-once, documented).
    if (!this.retain && start < this.base) start = this.base;
    if (start < this.base || start > this.nextSeq) {
      throw new WeirError('WEIR_PUSH_REPLAY_UNAVAILABLE', `push source '${this.name}' restarts at record ${start}, but this process holds records ${this.base} to ${this.nextSeq - 1}: it cannot replay what it no longer holds`, { source: this.name, start, held: [this.base, this.nextSeq] });
    }
    this.trimTo(start);
    this.sent = start;
    this.endSent = false;
    this.writer = new ChannelWriter(channel, doorbell);
    const gen = ++this.generation;
    // A closed channel (teardown) ends the pump; the next attempt attaches again. Records are
    // checked when pushed, so encoding cannot fail here.
    void this.pump(gen).catch(() => {});
  }

  /** The job ended: pushes waiting for space, and later ones, reject with `reason`. */
  close(reason: Error): void {
    this.closedWith ??= reason;
    this.generation++;
    const w = this.spaceWaiter;
    this.spaceWaiter = undefined;
    w?.();
    this.pumpWaker?.();
  }

  /** A checkpoint covering records before `position` completed: they need no replay any more. */
  acknowledge(position: number): void {
    if (this.retain) this.trimTo(Math.min(position, this.sent));
  }

  private trimTo(seq: number): void {
    if (seq <= this.base) return;
    this.log = this.log.slice(seq - this.base);
    this.base = seq;
    const w = this.spaceWaiter;
    this.spaceWaiter = undefined;
    w?.();
  }

  private async pump(gen: number): Promise<void> {
    while (gen === this.generation) {
      const writer = this.writer!;
      if (this.sent < this.nextSeq) {
        const from = this.sent - this.base;
        const batch = this.log.slice(from, from + SEND_BATCH);
        await writer.write(RECORD_BATCH_KIND, encodeBatch(batch, null));
        if (gen !== this.generation) return;
        this.sent += batch.length;
        if (!this.retain) this.trimTo(this.sent);
        continue;
      }
      if (this.ended && !this.endSent) {
        const { kind, payload } = encodeElement({ type: 'end-of-data' });
        await writer.write(kind, payload);
        this.endSent = true;
        continue;
      }
      await new Promise<void>((r) => (this.pumpWaker = r));
      this.pumpWaker = undefined;
    }
  }
}

/** Every push source of a job, by name. */
export class PushSources {
  private readonly feeders = new Map<string, PushFeeder>();

  /** `needCheckpoint`: with checkpointing but no `intervalMs`, what a full push source calls (see PushFeeder; on-demand-checkpoints.ts). */
  constructor(graph: JobGraph, checkpointing: boolean, needCheckpoint?: () => void) {
    for (const v of graph.vertices) {
      const head = v.operators[0]!;
      if (head.spec.kind !== 'source' || head.spec.source.type !== 'push') continue;
      const { name, maxBufferedRecords } = head.spec.source;
      this.feeders.set(name, new PushFeeder(name, v.id, head.uid, maxBufferedRecords, checkpointing, checkpointing ? needCheckpoint : undefined));
    }
  }

  get names(): string[] {
    return [...this.feeders.keys()];
  }

  push(name: string, record: unknown): Promise<number> {
    return this.feeder(name).push(record);
  }

  end(name: string): Promise<void> {
    return this.feeder(name).end();
  }

  position(name: string): number {
    return this.feeder(name).nextSeq;
  }

  /** An attempt deployed: each push source's channel, and where its subtask starts (restored position). */
  attach(name: string, channel: ChannelSpec, doorbell: SharedArrayBuffer, restoredOffset: unknown): void {
    this.feeders.get(name)?.attach(channel, doorbell, isPushSourceOffset(restoredOffset) ? restoredOffset.pushPosition : 0);
  }

  /** The job ended: waiting and later pushes reject. */
  close(reason: Error): void {
    for (const f of this.feeders.values()) f.close(reason);
  }

  /** A checkpoint completed: records it covers leave the logs. */
  onCheckpointComplete(checkpoint: CompletedCheckpoint): void {
    for (const f of this.feeders.values()) {
      const s = checkpoint.metadata.subtasks.find((x) => x.vertexId === f.vertexId);
      const offset = (s?.stateHandles as { operator?: Record<string, unknown> } | undefined)?.operator?.[f.uid];
      if (isPushSourceOffset(offset)) f.acknowledge(offset.pushPosition);
    }
  }

  private feeder(name: string): PushFeeder {
    const f = this.feeders.get(name);
    if (!f) {
      const known = this.names.map((n) => `'${n}'`).join(', ') || 'none';
      throw new WeirError(RuntimeErrorCode.INVALID_ARGUMENT, `no push source named '${name}' in this job (push sources: ${known}); declare it with env.fromPushSource('${name}')`, { source: name, known: this.names });
    }
    return f;
  }
}
