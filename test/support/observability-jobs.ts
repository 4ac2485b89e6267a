/**
 * Jobs of the observability tests (metrics, REST endpoint, dashboard): records pushed by the test
 * (exact counts, the job runs until the test ends it) → timestamps and watermarks (event time =
 * the record's `t`) → keyBy → a keyed count that spins `spinMicros` per record (a slow vertex:
 * its producer is back-pressured) → collect.
 */
import { defineJob } from '../../index.ts';
import { spin } from './checkpoint-jobs.ts';

export interface ObservedParams { spinMicros: number }
export interface Ev { k: number; t: number }

export const observedJob = defineJob('t-observed', (env, p: ObservedParams) => {
  env.fromPushSource<Ev>('events', { maxBufferedRecords: 1_000_000 }).uid('events')
    .assignTimestampsAndWatermarks({ timestamp: (e) => e.t, intervalMs: 20 }).uid('timestamps')
    .keyBy((e) => e.k)
    .map((e) => {
      spin(p.spinMicros);
      return e;
    }).uid('slow-map').name('slow map')
    .keyBy((e) => e.k)
    .count().uid('count')
    .collect('out');
});

/** A bounded sequence into a slow sink: runs until stopped (n large), for the CLI and dashboard tests. */
export const slowSequenceJob = defineJob('t-slow-sequence', (env, p: { n: number; spinMicros: number }) => {
  env.fromSequence(0, p.n - 1).setParallelism(1).uid('numbers')
    .keyBy((i) => i % 8)
    .map((i) => {
      spin(p.spinMicros);
      return i;
    }).uid('slow-map').name('slow map')
    .setParallelism(2)
    .collect('out');
});
