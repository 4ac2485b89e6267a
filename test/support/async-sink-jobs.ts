/**
 * A job for the async batch sink tests (test/async-sink.test.ts): numbers → map → asyncBatchSink
 * whose `write` appends each batch as one JSON line to a file per subtask after a short real delay,
 * recording how many writes of its subtask were running at once; it rejects once per armed marker.
 */
import fs from 'node:fs';
import path from 'node:path';
import { asyncBatchSink, defineJob } from '../../index.ts';
import { claim } from './fault-jobs.ts';

export interface AsyncSinkParams {
  n: number;
  parallelism: number;
  directory: string;
  batchSize: number;
  maxInFlightBatches: number;
  /** While this file exists, a write deletes it and rejects. */
  failMarker?: string;
  /** Every write rejects (the error test). */
  alwaysFail?: boolean;
}

export interface WrittenBatch { subtask: number; running: number; values: number[] }

export const asyncSinkJob = defineJob('t-async-batch-sink', (env, p: AsyncSinkParams) => {
  let running = 0;
  env.fromGenerator((i) => i, { count: p.n }).setParallelism(p.parallelism).uid('numbers')
    .map((i) => i).setParallelism(p.parallelism).uid('identity')
    .sinkTo(asyncBatchSink<number>({
      name: 'BatchFile',
      batchSize: p.batchSize,
      maxInFlightBatches: p.maxInFlightBatches,
      async write(batch, info) {
        running++;
        const now = running;
        try {
          await new Promise((r) => setTimeout(r, 1));
          if (p.alwaysFail || (p.failMarker && fs.existsSync(p.failMarker) && claim(p.failMarker))) throw new Error('the store refused the batch');
          const line: WrittenBatch = { subtask: info.subtask, running: now, values: batch };
          await fs.promises.appendFile(path.join(p.directory, `part-${info.subtask}.jsonl`), `${JSON.stringify(line)}\n`);
        } finally {
          running--;
        }
      },
    })).setParallelism(p.parallelism).uid('sink');
});

/** Every batch written so far, from all subtasks' files. */
export function readBatches(directory: string): WrittenBatch[] {
  return fs.readdirSync(directory).filter((f) => f.startsWith('part-')).flatMap((f) =>
    fs.readFileSync(path.join(directory, f), 'utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as WrittenBatch));
}
