/**
 * {@link TimerService} over a backend's {@link TimerStore}. The store keeps timers per key group
 * (so they snapshot and rescale with the state) and knows how to find the earliest one; this
 * class adds the API, argument checks, the watermark, and the firing loop (inside `batch`).
 */
import { WeirError, preview } from '../../common/weir-error.ts';
import type { Clock } from '../../common/clock.ts';
import { DOMAIN_EVENT, DOMAIN_PROCESSING } from '../snapshot/snapshot-records.ts';
import { NO_WATERMARK, type TimerService } from '../timers.ts';
import type { KeyContext } from './key-context.ts';

/** Timer storage of one backend; `domain` is DOMAIN_EVENT or DOMAIN_PROCESSING. */
export interface TimerStore {
  /** Adds a timer for the current key (idempotent). */
  register(domain: number, ts: number): void;
  /** Removes a timer of the current key (no-op when absent). */
  remove(domain: number, ts: number): void;
  /** Earliest timestamp of the domain. */
  peek(domain: number): number | undefined;
  /** Removes the earliest timer if its ts <= limit, makes its key current (`ctx.setTrusted`) and returns its ts. */
  pollDue(domain: number, limit: number): number | undefined;
  /** Number of timers in both domains. */
  size(): number;
}

function checkTs(ts: number): void {
  if (typeof ts !== 'number' || Number.isNaN(ts)) {
    throw new WeirError('WEIR_INVALID_TIMER', `Timer timestamps must be numbers (milliseconds), got ${preview(ts)}`, { ts });
  }
}

/** The keyed timer service of a backend. */
export class KeyedTimerService implements TimerService {
  private watermark = NO_WATERMARK;

  constructor(
    private readonly store: TimerStore,
    private readonly ctx: KeyContext,
    private readonly clock: Clock,
    private readonly batch: <T>(fn: () => T) => T,
  ) {}

  currentProcessingTime(): number {
    return this.clock.now();
  }

  currentWatermark(): number {
    return this.watermark;
  }

  registerProcessingTimeTimer(ts: number): void {
    checkTs(ts);
    this.ctx.require();
    this.store.register(DOMAIN_PROCESSING, ts);
  }

  registerEventTimeTimer(ts: number): void {
    checkTs(ts);
    this.ctx.require();
    this.store.register(DOMAIN_EVENT, ts);
  }

  deleteProcessingTimeTimer(ts: number): void {
    checkTs(ts);
    this.ctx.require();
    this.store.remove(DOMAIN_PROCESSING, ts);
  }

  deleteEventTimeTimer(ts: number): void {
    checkTs(ts);
    this.ctx.require();
    this.store.remove(DOMAIN_EVENT, ts);
  }

  private fire(domain: number, limit: number, onTimer: (ts: number, key: unknown) => void): number {
    if (this.store.peek(domain) === undefined || this.store.peek(domain)! > limit) return 0;
    return this.batch(() => {
      let n = 0;
      for (;;) {
        const ts = this.store.pollDue(domain, limit);
        if (ts === undefined) return n;
        n++;
        onTimer(ts, this.ctx.key);
      }
    });
  }

  advanceWatermark(watermark: number, onTimer: (ts: number, key: unknown) => void): number {
    checkTs(watermark);
    if (watermark > this.watermark) this.watermark = watermark;
    return this.fire(DOMAIN_EVENT, watermark, onTimer);
  }

  fireProcessingTimers(now: number, onTimer: (ts: number, key: unknown) => void): number {
    checkTs(now);
    return this.fire(DOMAIN_PROCESSING, now, onTimer);
  }

  nextProcessingTimer(): number | undefined {
    return this.store.peek(DOMAIN_PROCESSING);
  }

  nextEventTimeTimer(): number | undefined {
    return this.store.peek(DOMAIN_EVENT);
  }

  size(): number {
    return this.store.size();
  }
}
