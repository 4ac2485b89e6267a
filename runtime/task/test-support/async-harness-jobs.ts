/**
 * An async I/O job the task unit tests drive through the in-thread harness
 * (stream-task-test-harness.ts): vertex 0 is an array source, vertex 1 (after a rebalance) is
 * `AsyncDataStream.{ordered,unordered}Wait` with a collect sink chained. The harness runs in the
 * test's thread, so the requests the operator issues land in {@link requests}, where the test
 * completes them when and how it likes.
 */
import { AsyncDataStream, defineJob, type ResultFuture } from '../../../index.ts';

export interface AsyncHarnessParams { ordered: boolean; capacity: number; timeoutMs: number; withTimeoutHook: boolean }

/** Requests issued, in order, by every operator instance of this module (the test clears it). */
export const requests: Array<{ input: number; future: ResultFuture<string> }> = [];

export const asyncHarnessJob = defineJob('harness-async', (env, p: AsyncHarnessParams) => {
  const fn = {
    asyncInvoke(input: number, future: ResultFuture<string>) {
      requests.push({ input, future });
    },
    ...(p.withTimeoutHook ? { timeout(input: number, future: ResultFuture<string>) { future.complete([`timeout:${input}`]); } } : {}),
  };
  const numbers = env.fromArray<number>([]).rebalance();
  const wait = p.ordered ? AsyncDataStream.orderedWait : AsyncDataStream.unorderedWait;
  wait(numbers, fn, p.timeoutMs, p.capacity).setParallelism(1).uid('async').collect('out');
});
