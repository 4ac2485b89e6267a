/**
 * Main-thread end of the collect sinks: reads every collect channel (one per
 * collect-sink subtask), decodes batches and hands records to the job client,
 * by sink name. Sleeps on one doorbell when nothing is queued.
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

export class CollectReader {
  private readonly ended: boolean[];
  private endedCount = 0;
  private stopped = false;
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly retained = new Map<string, unknown[]>();
  private paused: Promise<void> | undefined;
  private resume: (() => void) | undefined;
  readonly done: Promise<void>;

  constructor(private readonly sources: readonly CollectSource[], private readonly doorbell: Doorbell, private readonly retain: boolean) {
    this.ended = sources.map(() => false);
    for (const s of sources) if (!this.retained.has(s.name)) this.retained.set(s.name, []);
    this.done = sources.length === 0 ? Promise.resolve() : this.loop();
  }

  names(): string[] {
    return [...this.retained.keys()];
  }

  collected(name: string): unknown[] {
    return this.retained.get(name) ?? [];
  }

  subscribe(name: string, listener: Listener): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(listener);
    return () => set!.delete(listener);
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

  stop(): void {
    this.stopped = true;
    this.resumeReading();
    this.doorbell.forceRing();
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
        if (f.kind === RECORD_BATCH_KIND) this.deliver(this.sources[i]!.name, decodeBatch(f.payload).records);
        else if (decodeElement(f.kind, f.payload).type === 'end-of-partition') {
          this.ended[i] = true;
          this.endedCount++;
        }
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

  private deliver(name: string, records: unknown[]): void {
    if (this.retain) {
      const r = this.retained.get(name)!;
      for (let i = 0; i < records.length; i++) r.push(records[i]);
    }
    const set = this.listeners.get(name);
    if (set) for (const l of set) l(records);
  }
}
