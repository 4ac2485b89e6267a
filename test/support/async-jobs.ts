/**
 * Jobs of the async I/O tests (test/async-io.test.ts). Every worker imports this module, so the
 * job is defined at top level.
 *
 * numbers (generator, p) → AsyncDataStream ordered/unordered wait: a "lookup" that answers after a
 * few milliseconds (setTimeout: real asynchrony), recording how many of its subtask's requests
 * were in flight when each started → a map that fails once per armed marker (injected failures)
 * → collect. Outputs `{ i, inFlight }` per input i.
 */
import fs from 'node:fs';
import { AsyncDataStream, defineJob, type AsyncFunction } from '../../index.ts';
import { claim } from './fault-jobs.ts';

export interface AsyncJobParams {
  n: number;
  parallelism: number;
  ordered: boolean;
  capacity: number;
  /** Largest lookup delay in ms (each input's delay is a fixed function of it). */
  maxDelayMs: number;
  /** While this file exists, the map after the lookup deletes it and throws. */
  failMarker?: string;
}

export interface Looked { i: number; inFlight: number }

const delayOf = (i: number, max: number): number => (Math.imul(i + 1, 2654435761) >>> 0) % (max + 1);

function lookup(p: AsyncJobParams): AsyncFunction<number, Looked> {
  let inFlight = 0;
  return {
    asyncInvoke(i, result) {
      inFlight++;
      const now = inFlight;
      setTimeout(() => {
        inFlight--;
        result.complete([{ i, inFlight: now }]);
      }, delayOf(i, p.maxDelayMs));
    },
  };
}

export const asyncLookupJob = defineJob('t-async-lookup', (env, p: AsyncJobParams) => {
  const numbers = env.fromGenerator((i) => i, { count: p.n }).setParallelism(p.parallelism).uid('numbers');
  const wait = p.ordered ? AsyncDataStream.orderedWait : AsyncDataStream.unorderedWait;
  wait(numbers, lookup(p), 30_000, p.capacity).setParallelism(p.parallelism).uid('lookup')
    .map((r) => {
      if (p.failMarker && fs.existsSync(p.failMarker) && claim(p.failMarker)) throw new Error(`injected failure after the lookup of ${r.i}`);
      return r;
    }).setParallelism(p.parallelism).uid('after')
    .collect('out');
});

/**
 * A lookup chained to its source (parallelism 1) whose every tenth request waits until `gate`
 * exists: with capacity 4 the slow requests 0, 10, 20 and 30 fill it, and the 27 fast ones before
 * 30 have answered. Outputs each input.
 */
export const gatedLookupJob = defineJob('t-async-gated', (env, p: { n: number; gate: string }) => {
  const numbers = env.fromSequence(0, p.n - 1).setParallelism(1);
  AsyncDataStream.unorderedWait(numbers, async (i: number) => {
    if (i % 10 === 0) while (!fs.existsSync(p.gate)) await new Promise((r) => setTimeout(r, 5));
    return [i];
  }, 600_000, 4).setParallelism(1).uid('gated').collect('out');
});

/** A lookup whose Promise rejects for input 3, or (failOpen) whose open() rejects. */
export const rejectingLookupJob = defineJob('t-async-rejecting', (env, p: { failOpen: boolean }) => {
  AsyncDataStream.orderedWait<number, number>(env.fromSequence(0, 9), {
    open: async () => { if (p.failOpen) throw new Error('no connection'); },
    asyncInvoke: async (i: number, future) => { if (i === 3) throw new Error('lookup of 3 failed'); future.complete([i]); },
  }, 60_000, 4).name('Lookup').uid('lookup').collect('out');
});
