/**
 * Jobs for the text file source tests (every worker imports this module: jobs at top level).
 * readTextFile (parallel byte ranges) → map (checks for an injected failure every 50 records,
 * then spins `spinMicros`) → collect('out'); lines are kept as they are (`lines`) or JSON Lines
 * parsed (`jsonl`, each value `{ n }`).
 */
import fs from 'node:fs';
import { defineJob } from '../../index.ts';
import { claim } from './fault-jobs.ts';
import { spin } from './checkpoint-jobs.ts';

export interface TextFileJobParams {
  path: string;
  format: 'lines' | 'jsonl';
  minSplitBytes: number;
  sourceParallelism: number;
  /** While this file exists, the map fails once (claiming it): alternately a throw and process.exit. */
  failMarker?: string;
  spinMicros?: number;
}

export const textFileJob = defineJob('t-text-file', (env, p: TextFileJobParams) => {
  let sinceCheck = 0;
  let failures = 0;
  const source = p.format === 'jsonl'
    ? env.readTextFile<{ n: number }>(p.path, { format: 'jsonl', minSplitBytes: p.minSplitBytes }).map((v) => JSON.stringify(v))
    : env.readTextFile(p.path, { minSplitBytes: p.minSplitBytes });
  source.uid('file').setParallelism(p.sourceParallelism)
    .map((line: string) => {
      if (p.failMarker !== undefined && sinceCheck-- <= 0) {
        sinceCheck = 50;
        if (fs.existsSync(p.failMarker) && claim(p.failMarker)) {
          if (failures++ % 2 === 1) process.exit(7);
          throw new Error('injected failure in the map');
        }
      }
      if (p.spinMicros) spin(p.spinMicros);
      return line;
    }).uid('check').setParallelism(p.sourceParallelism) // forward: file order at parallelism 1
    .collect('out');
});
