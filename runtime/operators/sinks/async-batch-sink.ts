/**
 * An at-least-once sink with asynchronous, batched writes (Flink's `AsyncSinkBase`, simplified):
 * records are buffered into batches of `batchSize`; a full batch is handed to the user's
 * `write(batch)` (a Promise); at most `maxInFlightBatches` writes run at once, beyond which the
 * subtask takes no more input until one completes (backpressure, `blockInputUntil`).
 *
 * At-least-once: at a checkpoint the partial batch is written too, and the subtask acknowledges
 * the checkpoint only after every write started before the barrier succeeded (`snapshotDurable`).
 * So a completed checkpoint never covers a record that was not written; after a failover the
 * records since the checkpoint are written again (make `write` idempotent, e.g. an upsert, to turn
 * that into exactly-once results). A rejected write fails the subtask (WEIR_SINK_FAILED, naming
 * the sink, the subtask and the batch size); the job fails over from its latest checkpoint.
 *
 * Memory: at most `batchSize × (maxInFlightBatches + 1)` records are held per subtask.
 * Idle input: a partial batch is written when the subtask's input goes idle (the chain's
 * flushables), so low-rate streams do not wait for a full batch.
 */
import type { TaskInfo } from '../../api/functions.ts';
import type { OperatorContext, StreamOperator } from '../operator.ts';
import { WeirError, preview } from '../../../common/weir-error.ts';
import { RuntimeErrorCode } from '../../errors.ts';

export interface AsyncBatchSinkOptions<T> {
  /** Operator name (errors, metrics). */
  readonly name: string;
  /** Writes one batch (in the worker). Resolve when it is durable; reject to fail the subtask. */
  write: (batch: T[], info: TaskInfo) => Promise<void>;
  /** Records per batch (default 500). */
  readonly batchSize?: number;
  /** Batches being written at once per subtask (default 2). */
  readonly maxInFlightBatches?: number;
  /** Called once per subtask before the first write (open a connection); may be async. */
  open?(info: TaskInfo): void | Promise<void>;
  /** Called once per subtask at the end (close the connection); may be async. */
  close?(info: TaskInfo): void | Promise<void>;
}

export interface AsyncBatchSinkDefinition<T> {
  readonly kind: 'async-batch-sink';
  readonly options: AsyncBatchSinkOptions<T>;
}

/** Declare an at-least-once sink with async batched writes; pass it to `stream.sinkTo()`. */
export function asyncBatchSink<T>(options: AsyncBatchSinkOptions<T>): AsyncBatchSinkDefinition<T> {
  const o = options as Partial<AsyncBatchSinkOptions<T>> | undefined;
  const bad = (m: string) => new WeirError(RuntimeErrorCode.INVALID_ARGUMENT, `asyncBatchSink: ${m}`, {});
  if (!o || typeof o.name !== 'string' || o.name.length === 0) throw bad('name must be a non-empty string');
  if (typeof o.write !== 'function') throw bad('write must be a function (batch) => Promise<void>');
  for (const k of ['batchSize', 'maxInFlightBatches'] as const) {
    const v = o[k];
    if (v !== undefined && !(Number.isInteger(v) && v >= 1)) throw bad(`${k} must be an integer >= 1, got ${preview(v)}`);
  }
  return { kind: 'async-batch-sink', options };
}

export class AsyncBatchSinkOperator<T> implements StreamOperator<T> {
  private ctx!: OperatorContext;
  private buffer: T[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private failure: WeirError | undefined;
  private freed: (() => void) | undefined;
  private readonly batchSize: number;
  private readonly maxInFlight: number;

  constructor(private readonly options: AsyncBatchSinkOptions<T>, private readonly info: TaskInfo) {
    this.batchSize = options.batchSize ?? 500;
    this.maxInFlight = options.maxInFlightBatches ?? 2;
  }

  async open(ctx: OperatorContext): Promise<void> {
    this.ctx = ctx;
    try {
      await this.options.open?.(this.info);
    } catch (e) {
      throw this.failed('open', e);
    }
  }

  processElement(value: T): void {
    if (this.failure) throw this.failure;
    this.buffer.push(value);
    if (this.buffer.length >= this.batchSize) this.writeBuffer();
  }

  /**
   * Input idle, or the buffer timeout while the subtask stays busy: write the partial batch — unless
   * `maxInFlightBatches` writes are running (the subtask is held at capacity then, and the batch
   * goes with the next flush, barrier or end of input).
   */
  flush(): void {
    if (this.buffer.length > 0 && !this.failure && this.inFlight.size < this.maxInFlight) this.writeBuffer();
  }

  /** The barrier: the partial batch goes out too; the checkpoint waits for every write started so far. */
  snapshotState(): undefined {
    if (this.failure) throw this.failure;
    if (this.buffer.length > 0) this.writeBuffer();
    return undefined;
  }

  snapshotDurable(): Promise<void> | undefined {
    if (this.inFlight.size === 0) return this.failure ? Promise.reject(this.failure) : undefined;
    return Promise.all([...this.inFlight]).then(() => {
      if (this.failure) throw this.failure;
    });
  }

  async finish(): Promise<void> {
    if (this.buffer.length > 0) this.writeBuffer();
    while (this.inFlight.size > 0) await Promise.race([...this.inFlight]);
    if (this.failure) throw this.failure;
  }

  async close(): Promise<void> {
    this.freed?.();
    try {
      await this.options.close?.(this.info);
    } catch (e) {
      throw this.failed('close', e);
    }
  }

  private writeBuffer(): void {
    const batch = this.buffer;
    this.buffer = [];
    let p: Promise<void>;
    try {
      p = Promise.resolve(this.options.write(batch, this.info));
    } catch (e) {
      throw this.failed(`write (${batch.length} records)`, e);
    }
    const tracked: Promise<void> = p.then(
      () => {
        this.inFlight.delete(tracked);
        this.release();
      },
      (e) => {
        this.inFlight.delete(tracked);
        this.failure ??= this.failed(`write (${batch.length} records)`, e);
        // Fail the subtask now (on its loop), not only at the next record or barrier.
        const failure = this.failure;
        this.ctx.executeMail('async sink write failed', () => { throw failure; });
        this.release();
      },
    );
    this.inFlight.add(tracked);
    if (this.inFlight.size >= this.maxInFlight && !this.freed) {
      this.ctx.blockInputUntil(new Promise<void>((resolve) => (this.freed = resolve)));
    }
  }

  private release(): void {
    if (this.freed && this.inFlight.size < this.maxInFlight) {
      const f = this.freed;
      this.freed = undefined;
      f();
    }
  }

  private failed(what: string, cause: unknown): WeirError {
    const msg = cause instanceof Error ? cause.message : String(cause);
    return new WeirError(
      RuntimeErrorCode.SINK_FAILED,
      `sink '${this.options.name}' (subtask ${this.info.subtask + 1}/${this.info.parallelism}) failed in ${what}: ${msg}`,
      { sink: this.options.name, uid: this.info.uid, subtask: this.info.subtask },
      { cause },
    );
  }
}
