/**
 * Job of test/checkpoint-during-recovery.test.ts. Every worker imports this module, so the job is
 * defined at top level.
 *
 *   numbers (sequence, p 2) ─rebalance─▶ gate (async, unordered, capacity 4, p 2) → collect
 *
 * Each request of the gate waits while the gate file exists, polling with timers: the subtask is
 * backpressured yet responsive (barriers and mails pass while the async operator is at capacity),
 * so the rings fill and unaligned checkpoints persist in-flight data; after a restore its replay
 * cannot end until the test removes the file. While the fail marker exists, the first request to
 * see it deletes it and fails the subtask (a restartable failure, injected after an observed event).
 */
import fs from 'node:fs';
import { AsyncDataStream, defineJob, type AsyncFunction } from '../../index.ts';
import { claim } from './fault-jobs.ts';

export interface GatedJobParams {
  n: number;
  gate: string;
  failMarker: string;
  /** Padding per record, so a few thousand records fill the rings. */
  payloadBytes: number;
}

export interface Padded { i: number; pad: string }

const POLL_MS = 5;

function gate(p: GatedJobParams): AsyncFunction<Padded, number> {
  // Requests of a stopped attempt must stop polling: a zombie poller would claim the marker meant
  // for the running attempt (and its failure would be ignored by the closed operator).
  let closed = false;
  return {
    close() {
      closed = true;
    },
    asyncInvoke(r, result) {
      const poll = (): void => {
        if (closed) return;
        if (fs.existsSync(p.failMarker) && claim(p.failMarker)) {
          result.completeExceptionally(new Error(`injected failure at the gate (record ${r.i})`));
          return;
        }
        if (fs.existsSync(p.gate)) {
          setTimeout(poll, POLL_MS);
          return;
        }
        result.complete([r.i]);
      };
      poll();
    },
  };
}

export const gatedJob = defineJob('t-gated-replay', (env, p: GatedJobParams) => {
  const pad = 'x'.repeat(p.payloadBytes);
  const padded = env.fromSequence(0, p.n - 1).setParallelism(2).uid('numbers').map((i): Padded => ({ i, pad })).setParallelism(2).uid('pad');
  AsyncDataStream.unorderedWait(padded.rebalance(), gate(p), 600_000, 4).setParallelism(2).uid('gate').collect('out');
});
