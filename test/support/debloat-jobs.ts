/**
 * Jobs for the buffer-debloating tests (test/buffer-debloat.test.ts). Every worker imports this
 * module, so the jobs are defined at top level; inputs arrive as params.
 *
 *   generator (p = 1) ─ map 'inject' ─keyBy─▶ counter (p, keyed state) ─▶ slow map (p = 1) ─▶ collect 'out'
 *   └──── one chained vertex ──────┘
 *
 * The slow map spins per record, so the whole pipeline is back-pressured (the sink is many times
 * slower than the source). The source has parallelism 1, so the output is deterministic: record i
 * (key i mod keys) leaves the counter with n = ⌊i / keys⌋ + 1 — the sequential reference.
 */
import fs from 'node:fs';
import { defineJob, ValueStateDescriptor, type KeyedProcessFunction, type ValueState } from '../../index.ts';
import { spin } from './checkpoint-jobs.ts';
import { claim } from './fault-jobs.ts';

export interface DebloatParams {
  /** Records of the bounded source (null: unbounded). */
  count: number | null;
  keys: number;
  /** Microseconds the slow map spins per record. */
  sinkMicros: number;
  /** Length of a padding string in every record (bytes on the rings). */
  payloadBytes: number;
  /** While this file exists, the next record through the 'inject' map deletes it and throws once. */
  failMarker: string | null;
}

export interface Counted { k: number; i: number; n: number }

/** The sequential reference of {@link debloatJob}'s output, sorted by i. */
export function reference(p: { count: number; keys: number }): Counted[] {
  return Array.from({ length: p.count }, (_, i) => ({ k: i % p.keys, i, n: Math.floor(i / p.keys) + 1 }));
}

/** How often (ms) the 'inject' map looks for the marker file. */
const MARKER_POLL_MS = 10;

function failOnceWhenMarked<T extends { i: number }>(marker: string | null): (r: T) => T {
  if (marker === null) return (r) => r;
  let lastCheck = 0;
  return (r) => {
    const now = Date.now();
    if (now - lastCheck < MARKER_POLL_MS) return r;
    lastCheck = now;
    if (fs.existsSync(marker) && claim(marker)) throw new Error(`injected failure at record ${r.i}`);
    return r;
  };
}

function counter(): KeyedProcessFunction<number, { k: number; i: number; pad: string }, Counted> {
  let count!: ValueState<number>;
  return {
    open(ctx) {
      count = ctx.getState(new ValueStateDescriptor<number>('n'));
    },
    processElement(r, _ctx, out) {
      const n = (count.value() ?? 0) + 1;
      count.update(n);
      out.collect({ k: r.k, i: r.i, n });
    },
  };
}

/** Vertex ids (head uids): 'source', 'counter', 'slow'. */
export const debloatJob = defineJob('t-debloat', (env, p: DebloatParams) => {
  const pad = 'x'.repeat(p.payloadBytes);
  env.fromGenerator((i) => ({ k: i % p.keys, i, pad }), p.count === null ? {} : { count: p.count }).setParallelism(1).uid('source')
    .map(failOnceWhenMarked(p.failMarker)).setParallelism(1).uid('inject') // chained: one path per key, so the order per key is the source's
    .keyBy((r) => r.k)
    .process(counter()).uid('counter')
    .map((r) => {
      spin(p.sinkMicros);
      return r;
    }).setParallelism(1).uid('slow')
    .collect('out');
});
