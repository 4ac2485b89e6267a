/** map, filter, flatMap and timestamp/watermark assignment: no state, one record at a time. */
import type { TaskInfo, WatermarkStrategy } from '../api/functions.ts';
import { asyncUserFunction, isThenable, userFunctionFailed, type Output, type StreamOperator } from './operator.ts';
import { preview } from '../../common/weir-error.ts';

export class MapOperator implements StreamOperator {
  constructor(private readonly fn: (v: any) => any, private readonly out: Output<unknown>, private readonly info: TaskInfo) {}
  processElement(value: unknown, ts: number | undefined): void {
    let r: unknown;
    try {
      r = this.fn(value);
    } catch (e) {
      throw userFunctionFailed(this.info, 'map function', value, e);
    }
    if (isThenable(r)) throw asyncUserFunction(this.info, 'map function', value);
    this.out.collect(r, ts);
  }
}

export class FilterOperator implements StreamOperator {
  constructor(private readonly fn: (v: any) => boolean, private readonly out: Output<unknown>, private readonly info: TaskInfo) {}
  processElement(value: unknown, ts: number | undefined): void {
    let keep: unknown;
    try {
      keep = this.fn(value);
    } catch (e) {
      throw userFunctionFailed(this.info, 'filter function', value, e);
    }
    if (isThenable(keep)) throw asyncUserFunction(this.info, 'filter function', value);
    if (keep) this.out.collect(value, ts);
  }
}

export class FlatMapOperator implements StreamOperator {
  constructor(private readonly fn: (v: any) => Iterable<any>, private readonly out: Output<unknown>, private readonly info: TaskInfo) {}
  processElement(value: unknown, ts: number | undefined): void {
    let r: Iterable<unknown>;
    try {
      r = this.fn(value);
      if (isThenable(r)) throw asyncUserFunction(this.info, 'flatMap function', value);
      if (r === undefined || r === null) return;
      if (Array.isArray(r)) {
        for (let i = 0; i < r.length; i++) this.out.collect(r[i], ts);
        return;
      }
      if (typeof (r as any)[Symbol.iterator] !== 'function' || typeof r === 'string') {
        // A string is iterable (its characters) but never meant as the records to emit.
        throw new TypeError(`flatMap must return an iterable of records (e.g. an array), got ${typeof r === 'string' ? `the string ${preview(r, 40)}` : typeof r}`);
      }
      for (const x of r) this.out.collect(x, ts);
    } catch (e) {
      if ((e as { code?: string })?.code === 'WEIR_ASYNC_USER_FUNCTION') throw e;
      throw userFunctionFailed(this.info, 'flatMap function', value, e);
    }
  }
}

/**
 * Assigns event timestamps and emits bounded-out-of-orderness watermarks
 * (watermark = max timestamp − maxOutOfOrderness − 1), at most every
 * `intervalMs` of processing time, and a final +Infinity at end of input.
 *
 * The clock is read every {@link CLOCK_EVERY} records (the first record included), not per
 * record: a clock read was ~5-7 % of a Nexmark source subtask's CPU (issue #18 profile, q1 at
 * parallelism 2: `Date.now` 7.6 %), and the task's processing-time timer (`onProcessingTime`)
 * emits on time anyway between records. `intervalMs: 0` emits after every record, no clock needed.
 *
 * Idleness (`idleTimeoutMs`, Flink's `WatermarksWithIdleness`): every periodic check counts the
 * records since the last one; none for `idleTimeoutMs` → the watermark reached so far, then the
 * status idle; the next record (or watermark) → active first. Upstream statuses are dropped, as
 * upstream watermarks are: this operator decides its output's event time.
 */
const CLOCK_EVERY = 32;

export class WatermarkAssignerOperator implements StreamOperator {
  private maxTs = -Infinity;
  private lastEmitted = -Infinity;
  private nextEmitAt = 0;
  private sinceClock = CLOCK_EVERY - 1;
  private readonly delay: number;
  private readonly interval: number;
  /** 0: never idle. */
  private readonly idleTimeout: number;
  private idle = false;
  private recordsSinceCheck = 0;
  /** Processing time of the last check that saw records (or of the first check). */
  private activeAt: number | undefined;
  constructor(private readonly strategy: WatermarkStrategy<any>, private readonly out: Output<unknown>, private readonly info: TaskInfo, private readonly now: () => number) {
    this.delay = strategy.maxOutOfOrdernessMs ?? 0;
    this.interval = strategy.intervalMs ?? 200;
    this.idleTimeout = strategy.idleTimeoutMs ?? 0;
  }
  processElement(value: unknown): void {
    let ts: number;
    try {
      ts = this.strategy.timestamp(value);
    } catch (e) {
      throw userFunctionFailed(this.info, 'timestamp assigner', value, e);
    }
    // ±Infinity is refused like NaN: +Infinity would end event time (every later record late).
    if (typeof ts !== 'number' || !Number.isFinite(ts)) {
      throw userFunctionFailed(this.info, 'timestamp assigner', value, new TypeError(`timestamp must be a finite number (epoch ms), got ${preview(ts)}`));
    }
    if (this.idle) this.markActive();
    this.recordsSinceCheck++;
    if (ts > this.maxTs) this.maxTs = ts;
    this.out.collect(value, ts);
    if (this.interval === 0) {
      this.emitCurrent();
      return;
    }
    if (++this.sinceClock < CLOCK_EVERY) return;
    this.sinceClock = 0;
    const now = this.now();
    if (now >= this.nextEmitAt) {
      this.nextEmitAt = now + this.interval;
      this.emitCurrent();
    }
  }
  /** Upstream watermarks are replaced by the ones generated here (Flink semantics). */
  processWatermark(watermark: number): void {
    if (watermark === Infinity) this.emit(Infinity);
  }
  /** Upstream statuses too: this operator's output is idle when it sees no records itself. */
  processWatermarkStatus(): void {}
  onProcessingTime(now: number): number | undefined {
    if (this.interval > 0 && now >= this.nextEmitAt) {
      this.nextEmitAt = now + this.interval;
      this.emitCurrent();
    }
    // intervalMs 0 emits after every record: no periodic call needed (it would be every tick).
    let next = this.interval > 0 ? this.nextEmitAt : undefined;
    if (this.idleTimeout > 0) {
      if (this.recordsSinceCheck > 0 || this.activeAt === undefined) {
        this.recordsSinceCheck = 0;
        this.activeAt = now;
      } else if (!this.idle && now - this.activeAt >= this.idleTimeout) {
        this.markIdle();
      }
      // Checked at least every idleTimeout (idle too: a record makes it active at once, and the
      // check after that starts its timeout).
      const check = now + Math.min(this.idleTimeout, this.interval > 0 ? this.interval : Infinity);
      if (next === undefined || check < next) next = check;
    }
    return next;
  }
  finish(): void {
    this.emit(Infinity);
  }
  private emitCurrent(): void {
    if (this.maxTs === -Infinity) return;
    this.emit(this.maxTs - this.delay - 1);
  }
  private emit(wm: number): void {
    if (wm > this.lastEmitted) {
      if (this.idle) this.markActive();
      this.lastEmitted = wm;
      this.out.emitWatermark(wm);
    }
  }
  private markIdle(): void {
    this.emitCurrent(); // what the records before the pause allow, before downstream stops waiting
    this.idle = true;
    this.out.emitWatermarkStatus?.(true);
  }
  private markActive(): void {
    this.idle = false;
    this.out.emitWatermarkStatus?.(false);
  }
}
