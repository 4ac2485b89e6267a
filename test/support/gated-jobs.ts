/**
 * A bounded job that cannot finish while a gate file exists: its source ends at once (50 records
 * fit in the channels), an async operator holds every record until the gate is removed — so the
 * final checkpoint stays in progress, aligned behind them, for as long as the test wants.
 */
import fs from 'node:fs';
import { AsyncDataStream, defineJob } from '../../index.ts';

export const gatedJob = defineJob('t-gated-drain', (env, p: { n: number; gate: string }) => {
  const held = async (x: number): Promise<number[]> => {
    while (fs.existsSync(p.gate)) await new Promise((r) => setTimeout(r, 5)); // a gate, not a timing
    return [x];
  };
  AsyncDataStream.orderedWait(env.fromSequence(1, p.n).setParallelism(1).uid('seq'), held, 600_000, 2)
    .uid('gated').setParallelism(2)
    .collect('out');
});
