/**
 * `AsyncDataStream.orderedWait(stream, fn, timeoutMs, capacity)` and `unorderedWait(...)`:
 * Flink's asynchronous I/O operator (AsyncWaitOperator).
 *
 * - At most `capacity` requests are in flight per subtask; beyond it the subtask stops taking
 *   input until one completes (backpressure), while still handling checkpoints and timers.
 * - `orderedWait` emits results in the order of the inputs; `unorderedWait` as soon as they
 *   complete, but never across a watermark: results of inputs before a watermark are emitted
 *   before it, those after it after it (Flink's semantics, so event time stays correct).
 * - A request not completed within `timeoutMs` (processing time) calls the function's `timeout`
 *   hook, or fails the subtask with `WEIR_ASYNC_TIMEOUT`.
 * - Checkpoints store the inputs of every request not yet emitted (in flight or completed but
 *   waiting for an earlier one); a restore re-issues them, so with aligned or unaligned
 *   checkpoints every input gets its results exactly once in the output of an exactly-once job
 *   (the external calls themselves may repeat: make them idempotent lookups). Those inputs are
 *   stored in the checkpoint's metadata (exact JSON), so `capacity` bounds what a checkpoint holds.
 */
import type { DataStream, SingleOutputStream } from './data-stream.ts';
import type { AsyncFunction, AsyncMapFunction } from './async-functions.ts';
import { invalidArgument } from '../errors.ts';
import { appendOperator } from './data-stream.ts';
import { preview } from '../../common/weir-error.ts';

/** Default `capacity` (Flink's default is 100 as well). */
export const DEFAULT_ASYNC_CAPACITY = 100;

export class AsyncDataStream {
  private constructor() {}

  /** Results in input order. */
  static orderedWait<IN, OUT>(stream: DataStream<IN>, fn: AsyncFunction<IN, OUT> | AsyncMapFunction<IN, OUT>, timeoutMs: number, capacity = DEFAULT_ASYNC_CAPACITY): SingleOutputStream<OUT> {
    return add(stream, fn, timeoutMs, capacity, true);
  }

  /** Results as they complete (within the watermarks around their inputs). */
  static unorderedWait<IN, OUT>(stream: DataStream<IN>, fn: AsyncFunction<IN, OUT> | AsyncMapFunction<IN, OUT>, timeoutMs: number, capacity = DEFAULT_ASYNC_CAPACITY): SingleOutputStream<OUT> {
    return add(stream, fn, timeoutMs, capacity, false);
  }
}

function add<IN, OUT>(stream: DataStream<IN>, fn: AsyncFunction<IN, OUT> | AsyncMapFunction<IN, OUT>, timeoutMs: number, capacity: number, ordered: boolean): SingleOutputStream<OUT> {
  const what = ordered ? 'orderedWait' : 'unorderedWait';
  const asyncFn = typeof fn === 'function' ? fromMapFunction(fn) : fn;
  if (!asyncFn || typeof asyncFn.asyncInvoke !== 'function') {
    throw invalidArgument(`AsyncDataStream.${what}: expected an async function (input) => Promise<results[]> or an object with asyncInvoke(input, resultFuture)`);
  }
  if (!(typeof timeoutMs === 'number' && timeoutMs > 0)) throw invalidArgument(`AsyncDataStream.${what}: timeoutMs must be a number > 0 (Infinity for none), got ${preview(timeoutMs)}`);
  if (!Number.isInteger(capacity) || capacity < 1) throw invalidArgument(`AsyncDataStream.${what}: capacity must be an integer >= 1, got ${preview(capacity)}`);
  return appendOperator<OUT>(stream, { kind: 'asyncWait', fn: asyncFn, timeoutMs, capacity, ordered }, ordered ? 'AsyncWait(ordered)' : 'AsyncWait(unordered)');
}

function fromMapFunction<IN, OUT>(fn: AsyncMapFunction<IN, OUT>): AsyncFunction<IN, OUT> {
  return {
    asyncInvoke(input, resultFuture) {
      return Promise.resolve(fn(input)).then((r) => resultFuture.complete(r));
    },
  };
}
