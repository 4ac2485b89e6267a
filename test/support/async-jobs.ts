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
