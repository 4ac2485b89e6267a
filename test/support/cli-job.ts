/**
 * The job the CLI tests run through `weir run` (a child process): a parallel
 * sequence source → keyBy → per-key count in keyed state → a slow sink, so
 * that periodic checkpoints happen while it runs. Params: `n` records, `keys`
 * keys, `sinkMicros` spent per record in the sink.
 */
import fs from 'node:fs';
import { defineJob } from '../../index.ts';
import { counter, spin, type Rec } from './checkpoint-jobs.ts';

/** `failFlag`: once that file exists, the sink throws on every record (the job fails over, then for good). */
export interface CliJobParams { n: number; keys: number; sinkMicros: number; failFlag?: string }

export const cliJob = defineJob('t-cli', (env, p: CliJobParams) => {
  env.fromSequence(0, p.n - 1).setParallelism(2).uid('numbers')
    .map((i): Rec => ({ k: i % p.keys, i })).setParallelism(2)
    .keyBy((r) => r.k)
    .process(counter())
    .setParallelism(2)
    .uid('counter')
    .map((c) => {
      if (p.failFlag && fs.existsSync(p.failFlag)) throw new Error('injected sink failure');
      spin(p.sinkMicros);
      return c;
    })
    .setParallelism(1)
    .uid('slow')
    .collect('out');
});
