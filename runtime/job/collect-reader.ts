/**
 * Main-thread end of the collect sinks: reads every collect channel (one per
 * collect-sink subtask), decodes batches and hands records to the job client,
 * by sink name. Sleeps on one doorbell when nothing is queued.
 *
 * Exactly-once with checkpointing (`transactional`): a collect-sink subtask
 * forwards each checkpoint barrier in-band after its snapshot, so the records
 * before barrier n on a channel belong to checkpoint n. They are held back
 * until checkpoint n completes (`release(n)`, subsuming) and dropped if the
 * attempt fails over — the restored job re-emits them. Without checkpointing,
 * records are delivered as they arrive.
 *
 * Backpressure: when a `results()` consumer falls behind by more than
 * `highWaterMark` records, reading pauses until it catches up — the rings fill
 * and the sinks upstream slow down instead of the main thread buffering
 * without bound.
 */
import { ChannelReader, Doorbell } from '../../actors/index.ts';
import { decodeBatch } from '../io/record-codec.ts';
import { decodeElement, RECORD_BATCH_KIND } from '../io/stream-elements.ts';

export interface CollectSource {
  readonly name: string;
  readonly reader: ChannelReader;
}

type Listener = (records: unknown[]) => void;

/** Without a checkpoint interval, a collect reader holding this many records asks for a checkpoint. */
export const HELD_FOR_CHECKPOINT = 10_000;

export class CollectReader {
  private readonly ended: boolean[];
  private endedCount = 0;
  private stopped = false;
  private paused: Promise<void> | undefined;
  /** Per channel: records since its last barrier, and records of barriers not yet released (by checkpoint id). */
  private readonly open: unknown[][];
  private readonly sealed: Array<Array<{ checkpointId: number; records: unknown[] }>>;
  /** Highest checkpoint released so far: a barrier read later that is not newer releases at once. */
  private releasedUpTo = 0;
  /** Per channel: the newest barrier read. */
  private readonly lastBarrier: number[];
  private barrierWaiters: Array<{ id: number; resolve: () => void }> = [];
  private resume: (() => void) | undefined;
  readonly done: Promise<void>;

  /** Records held for checkpoints to complete (transactional). */
  private held = 0;

  /**
   * `needCheckpoint`: with checkpointing but no interval, called while {@link HELD_FOR_CHECKPOINT}
   * or more records are held — nothing else would release them before the final checkpoint.
   */
  constructor(
    private readonly sources: readonly CollectSource[],
    private readonly doorbell: Doorbell,
    private readonly sink: CollectedRecords,
    private readonly transactional: boolean,
    private readonly needCheckpoint?: () => void,
  ) {
    this.ended = sources.map(() => false);
    this.open = sources.map(() => []);
    this.sealed = sources.map(() => []);
    this.lastBarrier = sources.map(() => 0);
    this.done = sources.length === 0 ? Promise.resolve() : this.loop();
  }

  /** Checkpoint n completed: deliver every record that precedes barrier m <= n on its channel. */
  release(checkpointId: number): void {
    this.releasedUpTo = Math.max(this.releasedUpTo, checkpointId);
    this.sealed.forEach((epochs, i) => {
      while (epochs.length > 0 && epochs[0]!.checkpointId <= checkpointId) {
        const records = epochs.shift()!.records;
        this.held -= records.length;
        this.sink.deliver(this.sources[i]!.name, records);
      }
    });
  }

  /** Resolves once every channel that has not ended delivered barrier `checkpointId` (or a newer one). */
  barrierRead(checkpointId: number): Promise<void> {
    if (this.allBarriersRead(checkpointId)) return Promise.resolve();
    return new Promise((resolve) => this.barrierWaiters.push({ id: checkpointId, resolve }));
  }

  private allBarriersRead(id: number): boolean {
    return this.lastBarrier.every((b, i) => this.ended[i] || b >= id);
  }

  private checkBarrierWaiters(): void {
    this.barrierWaiters = this.barrierWaiters.filter((w) => (this.allBarriersRead(w.id) ? (w.resolve(), false) : true));
  }

  /** Called by a slow consumer: stop reading until `resumeReading()`. */
  pauseReading(): void {
    if (!this.paused) this.paused = new Promise((r) => (this.resume = r));
  }

  resumeReading(): void {
    const r = this.resume;
    this.paused = undefined;
    this.resume = undefined;
    r?.();
  }

  get finished(): boolean {
    return this.endedCount === this.sources.length;
  }

  /**
   * Stop reading. What the channels still hold is read first (synchronously): records of
   * checkpoints that completed are delivered, not lost with the attempt (a cancel right after a
   * checkpoint completed, before this reader had its turn).
   */
  stop(): void {
    if (!this.stopped) {
      for (let i = 0; i < this.sources.length; i++) {
        for (let f = this.ended[i] ? null : this.sources[i]!.reader.tryRead(); f; f = this.ended[i] ? null : this.sources[i]!.reader.tryRead()) this.handleFrame(i, f);
      }
    }
    this.stopped = true;
    for (const w of this.barrierWaiters) w.resolve();
    this.barrierWaiters = [];
    this.resumeReading();
    this.doorbell.forceRing();
  }

  private handleFrame(i: number, f: { kind: number; payload: Uint8Array }): void {
    if (f.kind === RECORD_BATCH_KIND) {
      const records = decodeBatch(f.payload).records;
      if (this.transactional) {
        for (const r of records) this.open[i]!.push(r);
        this.held += records.length;
        if (this.held >= HELD_FOR_CHECKPOINT) this.needCheckpoint?.();
      } else this.sink.deliver(this.sources[i]!.name, records);
      return;
    }
    const el = decodeElement(f.kind, f.payload);
    if (el.type === 'end-of-partition') {
      this.ended[i] = true;
      this.endedCount++;
    } else if (el.type === 'barrier' && this.transactional) {
      this.sealed[i]!.push({ checkpointId: el.barrier.checkpointId, records: this.open[i]! });
      this.open[i] = [];
      this.lastBarrier[i] = Math.max(this.lastBarrier[i]!, el.barrier.checkpointId);
      if (el.barrier.checkpointId <= this.releasedUpTo) this.release(this.releasedUpTo);
    }
    this.checkBarrierWaiters();
  }

  private async loop(): Promise<void> {
    let next = 0;
    while (!this.stopped && this.endedCount < this.sources.length) {
      if (this.paused) await this.paused;
      let progressed = false;
      for (let k = 0; k < this.sources.length; k++) {
        const i = (next + k) % this.sources.length;
        if (this.ended[i]) continue;
        const f = this.sources[i]!.reader.tryRead();
        if (!f) continue;
        progressed = true;
        next = i + 1;
        this.handleFrame(i, f);
        break;
      }
      if (progressed) {
        // Let consumers run between frames.
        await new Promise<void>((r) => setImmediate(r));
        continue;
      }
      const token = this.doorbell.prepareWait();
      if (this.sources.some((s, i) => !this.ended[i] && s.reader.hasAny()) || this.stopped) {
        this.doorbell.cancelWait();
        continue;
      }
      await this.doorbell.wait(token);
    }
  }

}

/**
 * Records a collect sink kept for `results()` iterators created before any was (retainCollected: false):
 * at most this many per sink, the oldest dropped beyond it (see {@link CollectedRecords.droppedBeforeFirstReader}).
 */
export const BACKLOG_LIMIT = 10_000;

/**
 * Where collected records go once they may be delivered (kept across failovers by the job master).
 * A new subscriber (a `results()` iterator) first receives what was delivered before it
 * subscribed: every record so far when records are retained; otherwise, for the first
 * subscriber of a sink, the backlog held since the job started (bounded by {@link BACKLOG_LIMIT}).
 */
export class CollectedRecords {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly retained = new Map<string, unknown[]>();
  /** Without retention: records delivered while a sink never had a subscriber (undefined once one came). */
  private readonly backlog = new Map<string, unknown[] | undefined>();
  private readonly dropped = new Map<string, number>();
  /** `onFirstDrop`: called once per sink when its backlog first drops records (the job master warns). */
  constructor(names: readonly string[], private readonly retain: boolean, private readonly onFirstDrop?: (name: string, limit: number) => void) {
    for (const n of names) {
      this.retained.set(n, []);
      if (!retain) this.backlog.set(n, []);
    }
  }

  collected(name: string): unknown[] {
    return this.retained.get(name) ?? [];
  }

  /** Records dropped from the backlog of a sink before its first `results()` iterator (retainCollected: false). */
  droppedBeforeFirstReader(name: string): number {
    return this.dropped.get(name) ?? 0;
  }

  subscribe(name: string, listener: Listener): () => void {
    const earlier = this.retain ? this.retained.get(name) : this.backlog.get(name);
    if (!this.retain) this.backlog.set(name, undefined);
    if (earlier && earlier.length > 0) listener(this.retain ? earlier.slice() : earlier);
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(listener);
    return () => set!.delete(listener);
  }

  deliver(name: string, records: unknown[]): void {
    if (records.length === 0) return;
    if (this.retain) {
      const r = this.retained.get(name)!;
      for (let i = 0; i < records.length; i++) r.push(records[i]);
    } else {
      const b = this.backlog.get(name);
      if (b) {
        for (let i = 0; i < records.length; i++) b.push(records[i]);
        if (b.length > BACKLOG_LIMIT) {
          const over = b.length - BACKLOG_LIMIT;
          b.splice(0, over);
          const before = this.dropped.get(name) ?? 0;
          this.dropped.set(name, before + over);
          if (before === 0) this.onFirstDrop?.(name, BACKLOG_LIMIT);
        }
      }
    }
    const set = this.listeners.get(name);
    if (set) for (const l of set) l(records);
  }
}
