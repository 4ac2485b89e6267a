/**
 * Asynchronous I/O (Flink's `AsyncFunction` / `ResultFuture`): the one place where a Weir user
 * function may do asynchronous work — a lookup in a database or a service per record — without
 * blocking its subtask. `AsyncDataStream.orderedWait` / `unorderedWait` (async-data-stream.ts)
 * add the operator; its semantics (capacity, timeouts, checkpoints) are described there.
 */
import type { TaskInfo } from './functions.ts';

/** Completes one request: exactly one of `complete` or `completeExceptionally`, once. */
export interface ResultFuture<OUT> {
  /** The results for the input (none, one or several); they carry the input's timestamp. */
  complete(results: Iterable<OUT>): void;
  /** The request failed: the subtask fails (and the job fails over, restart strategy permitting). */
  completeExceptionally(error: unknown): void;
}

/** What `open` learns about where the function runs. */
export interface AsyncRuntimeContext {
  readonly taskInfo: TaskInfo;
}

/**
 * Flink's `AsyncFunction`: `asyncInvoke` starts the request for one input and completes
 * `resultFuture` when it is done (from any callback or promise). Returning a Promise from
 * `asyncInvoke` is allowed: its rejection completes the request exceptionally.
 */
export interface AsyncFunction<IN, OUT> {
  open?(ctx: AsyncRuntimeContext): void | Promise<void>;
  asyncInvoke: (input: IN, resultFuture: ResultFuture<OUT>) => void | Promise<void>;
  /**
   * The request did not complete within the operator's timeout. Default (absent): the subtask
   * fails with `WEIR_ASYNC_TIMEOUT`. Complete `resultFuture` here to emit a fallback (or nothing:
   * `complete([])`). A late completion of the timed-out request is ignored.
   */
  timeout?: (input: IN, resultFuture: ResultFuture<OUT>) => void;
  close?(): void | Promise<void>;
}

/** The short form: a function returning a Promise of the input's results (an array, possibly empty). */
export type AsyncMapFunction<IN, OUT> = (input: IN) => Promise<Iterable<OUT>>;
