/**
 * Jobs of the push source tests (test/push-source.test.ts): records pushed by the test → a map
 * that spins `spinMicros` per record (backpressure) and throws once per armed marker → collect.
 */
import fs from 'node:fs';
import { defineJob } from '../../index.ts';
import { claim } from './fault-jobs.ts';
import { spin } from './checkpoint-jobs.ts';

export interface PushJobParams { maxBufferedRecords: number; spinMicros: number; failMarker?: string }

export const pushJob = defineJob('t-push-source', (env, p: PushJobParams) => {
  env.fromPushSource<number>('numbers', { maxBufferedRecords: p.maxBufferedRecords }).uid('numbers')
    .map((n) => {
      if (p.failMarker && fs.existsSync(p.failMarker) && claim(p.failMarker)) throw new Error(`injected failure at ${n}`);
      spin(p.spinMicros);
      return n;
    }).uid('slow')
    .collect('out');
});
