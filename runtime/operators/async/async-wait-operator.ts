/**
 * Flink's `AsyncWaitOperator` (AsyncDataStream.orderedWait / unorderedWait, api/async-data-stream.ts).
 *
 * Each record starts a request (`asyncInvoke`) and waits in the queue (stream-element-queue.ts)
 * with the watermarks around it. Completions arrive from any callback: they only submit a mail,
 * and the mail — on the subtask's loop, between two records — stores the results and emits what
 * the queue allows. So nothing touches the operator or the output outside the loop.
 *
 * Capacity: once `capacity` records are queued the operator asks the task to take no more input
 * (`blockInputUntil`) until an emission frees a slot; records that still arrive (several from one
 * input record of a chained flatMap, or restored ones) wait uninvoked, so at most `capacity`
 * requests are ever in flight.
 *
 * Timeouts run on processing time (the injected clock, as mails). Checkpoints store every queued
 * input (records with their timestamps, and watermarks) in order; `open` after a restore re-adds
 * and re-issues them. `finish` (end of input) waits, running mails, until the queue is empty.
 */
import type { TaskInfo } from '../../api/functions.ts';
import type { AsyncFunction, ResultFuture } from '../../api/async-functions.ts';
import { WeirError, preview } from '../../../common/weir-error.ts';
import { isThenable, NO_RECORD, userFunctionFailed, type OperatorContext, type Output, type StreamOperator } from '../operator.ts';
import { StreamElementQueue, type RecordEntry } from './stream-element-queue.ts';

export interface AsyncWaitConfig {
  readonly timeoutMs: number;
  readonly capacity: number;
  readonly ordered: boolean;
}

/** Operator state: the queued inputs in order (records `r` with timestamp `t`, watermarks `w`). */
export interface AsyncWaitSnapshot {
  readonly asyncWait: ReadonlyArray<{ r: unknown; t: number | null } | { w: number }>;
}

function isAsyncWaitSnapshot(v: unknown): v is AsyncWaitSnapshot {
  return v !== null && typeof v === 'object' && Array.isArray((v as AsyncWaitSnapshot).asyncWait);
}

export class AsyncWaitOperator implements StreamOperator {
  private ctx!: OperatorContext;
  private readonly queue: StreamElementQueue;
  /** Queued records not invoked yet (the queue was at capacity when they arrived). */
  private readonly waiting: RecordEntry[] = [];
  /** Invoked, not completed: their deadlines. */
  private readonly deadlines = new Map<RecordEntry, number>();
  /** Completed by a timeout (a late completion of the request is ignored). */
  private readonly settled = new WeakSet<RecordEntry>();
  private restored: AsyncWaitSnapshot['asyncWait'] = [];
  private freed: (() => void) | undefined;
  private closed = false;
  /** Requests issued so far (restored ones included): for tests and metrics. */
  requestsIssued = 0;

  constructor(private readonly fn: AsyncFunction<any, any>, private readonly config: AsyncWaitConfig, private readonly out: Output<unknown>, private readonly info: TaskInfo) {
    this.queue = new StreamElementQueue(config.ordered);
  }

  initializeState(restored: readonly unknown[] | undefined): void {
    this.restored = (restored ?? []).filter(isAsyncWaitSnapshot).flatMap((s) => s.asyncWait);
  }

  async open(ctx: OperatorContext): Promise<void> {
    this.ctx = ctx;
    if (this.fn.open) {
      try {
        await this.fn.open({ taskInfo: this.info });
      } catch (e) {
        throw userFunctionFailed(this.info, 'open()', NO_RECORD, e);
      }
    }
    // Re-issue what was queued at the checkpoint, in order.
    for (const e of this.restored) {
      if ('w' in e) this.processWatermark(e.w);
      else this.processElement(e.r, e.t ?? undefined);
    }
    this.restored = [];
  }

  processElement(value: unknown, timestamp: number | undefined): void {
    const hasSlot = this.inFlight() < this.config.capacity;
    const entry = this.queue.addRecord(value, timestamp);
    if (hasSlot) this.invoke(entry);
    else this.waiting.push(entry);
    this.blockIfFull();
  }

  processWatermark(watermark: number): void {
    this.queue.addWatermark(watermark);
    this.emit();
  }

  onProcessingTime(now: number): number | undefined {
    for (const [entry, deadline] of [...this.deadlines]) {
      if (deadline > now) continue;
      this.deadlines.delete(entry);
      this.settled.add(entry);
      if (!this.fn.timeout) {
        throw new WeirError(
          'WEIR_ASYNC_TIMEOUT',
          `async request of operator '${this.info.operatorName}' (uid ${this.info.uid}, subtask ${this.info.subtask + 1}/${this.info.parallelism}) did not complete within ${this.config.timeoutMs} ms for input ${preview(entry.value)} (give the AsyncFunction a timeout() hook to emit a fallback instead)`,
          { operator: this.info.operatorName, uid: this.info.uid, subtask: this.info.subtask, timeoutMs: this.config.timeoutMs, record: preview(entry.value) },
        );
      }
      const rf = this.resultFuture(entry, 'timeout');
      try {
        this.fn.timeout(entry.value, rf);
      } catch (e) {
        throw userFunctionFailed(this.info, 'timeout()', entry.value, e);
      }
    }
    return this.nextDeadline();
  }

  snapshotState(): AsyncWaitSnapshot {
    return {
      asyncWait: this.queue.snapshot().map((e) => (e.kind === 'record' ? { r: e.value, t: e.timestamp ?? null } : { w: e.timestamp })),
    };
  }

  async finish(): Promise<void> {
    while (!this.queue.isEmpty) {
      if (!(await this.ctx.yieldToMailbox())) return;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.freed?.();
    if (this.fn.close) await this.fn.close();
  }

  private inFlight(): number {
    return this.queue.records - this.waiting.length;
  }

  private invoke(entry: RecordEntry): void {
    this.requestsIssued++;
    if (Number.isFinite(this.config.timeoutMs)) {
      const deadline = this.ctx.now() + this.config.timeoutMs;
      this.deadlines.set(entry, deadline);
      this.ctx.requestProcessingTime(deadline);
    } else this.deadlines.set(entry, Infinity);
    const rf = this.resultFuture(entry, 'asyncInvoke');
    let r: unknown;
    try {
      r = this.fn.asyncInvoke(entry.value, rf);
    } catch (e) {
      throw userFunctionFailed(this.info, 'asyncInvoke', entry.value, e);
    }
    if (isThenable(r)) (r as Promise<unknown>).then(undefined, (e) => this.rejected(entry, e));
  }

  /** Completions only submit mails; the mail applies them on the loop. */
  private resultFuture(entry: RecordEntry, what: 'asyncInvoke' | 'timeout'): ResultFuture<unknown> {
    let done = false;
    const settle = (apply: () => void): void => {
      if (done || this.closed) return;
      done = true;
      this.ctx.executeMail(`async ${what} result`, apply);
    };
    return {
      complete: (results) => {
        let list: unknown[];
        try {
          // A string is iterable (its characters) but never meant as a list of results.
          if (typeof results === 'string') throw new TypeError(`got the string ${preview(results, 40)}; wrap one result in an array`);
          list = [...results];
        } catch (e) {
          settle(() => { throw userFunctionFailed(this.info, `${what} (ResultFuture.complete: results must be iterable)`, entry.value, e); });
          return;
        }
        settle(() => this.onComplete(entry, list, what));
      },
      completeExceptionally: (error) => settle(() => { throw userFunctionFailed(this.info, `${what} (ResultFuture.completeExceptionally)`, entry.value, error); }),
    };
  }

  /** asyncInvoke's Promise rejected: the request fails, named as such (not as a synchronous throw). */
  private rejected(entry: RecordEntry, error: unknown): void {
    if (this.closed || entry.results !== undefined || this.settled.has(entry)) return;
    this.ctx.executeMail('async asyncInvoke rejection', () => {
      if (entry.results !== undefined || this.settled.has(entry)) return;
      throw userFunctionFailed(this.info, 'asyncInvoke (its Promise rejected)', entry.value, error);
    });
  }

  private onComplete(entry: RecordEntry, results: unknown[], what: 'asyncInvoke' | 'timeout'): void {
    if (entry.results !== undefined) return;
    if (what === 'asyncInvoke' && this.settled.has(entry)) return; // timed out already: late completion ignored
    this.deadlines.delete(entry);
    entry.results = results;
    this.emit();
  }

  /** Emit what the queue allows, start waiting requests, and free the input once below capacity. */
  private emit(): void {
    for (const e of this.queue.takeEmittable()) {
      if (e.kind === 'watermark') this.out.emitWatermark(e.timestamp);
      else for (const r of e.results!) this.out.collect(r, e.timestamp);
    }
    while (this.waiting.length > 0 && this.inFlight() < this.config.capacity) {
      const next = this.waiting.shift()!; // shifted first: inFlight() counts it once it is invoked
      this.invoke(next);
    }
    if (this.freed && this.queue.records < this.config.capacity) {
      const f = this.freed;
      this.freed = undefined;
      f();
    }
  }

  private blockIfFull(): void {
    if (this.freed || this.queue.records < this.config.capacity) return;
    this.ctx.blockInputUntil(new Promise<void>((resolve) => (this.freed = resolve)));
  }

  private nextDeadline(): number | undefined {
    let next = Infinity;
    for (const d of this.deadlines.values()) if (d < next) next = d;
    return Number.isFinite(next) ? next : undefined;
  }
}
