/**
 * Jobs for the checkpointing tests: multi-input keyed subtasks (keyBy after a
 * parallel stage, and a union) under forced backpressure (a sink that spins).
 */
import fs from 'node:fs';
import { defineJob, ValueStateDescriptor, type KeyedProcessFunction, type Source, type ValueState } from '../../index.ts';

export interface Rec { k: number; i: number }
export interface Counted { k: number; i: number; n: number }

/** Busy-wait: a sink slower than the sources, so rings fill up. */
export function spin(micros: number): void {
  if (micros <= 0) return;
  const end = performance.now() + micros / 1000;
  while (performance.now() < end) { /* spin */ }
}

/** Counts records per key in keyed state; emits the running count with each record. Spins `micros` per record. */
export function counter(micros = 0): KeyedProcessFunction<number, Rec, Counted> {
  let count!: ValueState<number>;
  return {
    open(ctx) {
      count = ctx.getState(new ValueStateDescriptor<number>('count'));
    },
    processElement(r, _ctx, out) {
      spin(micros);
      const n = (count.value() ?? 0) + 1;
      count.update(n);
      out.collect({ k: r.k, i: r.i, n });
    },
  };
}

export interface CheckpointJobParams {
  /** Records of the parallel source (0 … a-1) and of the second, unioned source (a … a+b-1). */
  a: number;
  b: number;
  keys: number;
  /** Microseconds the sink spends per record. */
  sinkMicros: number;
  /**
   * Set: the sources are {@link gatedSequence}s whose first snapshot blocks their thread until the
   * file `release` exists (the first checkpoint cannot complete meanwhile: it expires) — the test
   * creates the file once it observed the expiry.
   */
  gate?: { release: string };
}

/**
 * Blocks the calling thread until `file` exists (sleeps between looks: no spinning). Gives up after
 * `giveUpMs`, a safety valve only: a test whose release never comes fails on its assertions
 * instead of hanging with a blocked worker.
 */
export function blockUntilFileExists(file: string, giveUpMs = 60_000): void {
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const end = Date.now() + giveUpMs;
  while (!fs.existsSync(file) && Date.now() < end) Atomics.wait(sleeper, 0, 0, 5);
}

interface RangeSplit { next: number; end: number }

/**
 * The numbers `from … to` (one range per subtask, as fromSequence) from a source whose readers
 * block their thread in their first `snapshotSplits` until `release` exists. A snapshot only
 * happens for a triggered checkpoint, so the job is running and the checkpoint is certain to stay
 * pending while the thread is blocked: its expiry does not race against the machine's speed.
 */
export function gatedSequence(from: number, to: number, release: string): Source<number, RangeSplit> {
  return {
    boundedness: 'bounded',
    createSplits({ parallelism }) {
      const n = to - from + 1;
      return Array.from({ length: parallelism }, (_, i) => ({ next: from + Math.floor((n * i) / parallelism), end: from + Math.floor((n * (i + 1)) / parallelism) }));
    },
    createReader() {
      let splits: RangeSplit[] = [];
      let blocked = false;
      return {
        addSplits(s) { splits.push(...s); },
        poll(max) {
          const records: number[] = [];
          while (records.length < max && splits.length > 0) {
            const s = splits[0]!;
            if (s.next >= s.end) splits.shift();
            else records.push(s.next++);
          }
          splits = splits.filter((s) => s.next < s.end);
          return { records, done: splits.length === 0 };
        },
        snapshotSplits() {
          if (!blocked) {
            blocked = true;
            blockUntilFileExists(release);
          }
          return splits.map((s) => ({ ...s }));
        },
      };
    },
  };
}

/** source A (p=2) ∪ source B (p=1) → keyBy → count (p=2) → slow sink (p=1). */
export const backpressuredJob = defineJob('t-cp-backpressured', (env, p: CheckpointJobParams) => {
  const numbers = (from: number, to: number) => (p.gate ? env.fromSource(gatedSequence(from, to, p.gate.release), undefined, 'Gated') : env.fromSequence(from, to));
  const a = numbers(0, p.a - 1).setParallelism(2).uid('source-a').map((i): Rec => ({ k: i % p.keys, i })).setParallelism(2).uid('map-a');
  const b = numbers(p.a, p.a + p.b - 1).setParallelism(1).uid('source-b').map((i): Rec => ({ k: i % p.keys, i })).setParallelism(1).uid('map-b');
  a.union(b)
    .keyBy((r) => r.k)
    .process(counter())
    .setParallelism(2)
    .uid('counter')
    .map((c) => {
      spin(p.sinkMicros);
      return c;
    })
    .setParallelism(1)
    .uid('slow')
    .collect('out');
});

/**
 * Single parallel source (→ map, chained) → keyBy → count → slow sink: for reading checkpoints back.
 * `counterMicros` makes the counter itself slow (a frame then takes many slices to process).
 */
export const countingJob = defineJob('t-cp-counting', (env, p: { n: number; keys: number; sinkMicros: number; counterMicros?: number }) => {
  env.fromSequence(0, p.n - 1).setParallelism(2).uid('numbers')
    .map((i): Rec => ({ k: i % p.keys, i })).setParallelism(2)
    .keyBy((r) => r.k)
    .process(counter(p.counterMicros ?? 0))
    .setParallelism(2)
    .uid('counter')
    .map((c) => {
      spin(p.sinkMicros);
      return c;
    })
    .setParallelism(1)
    .uid('slow')
    .collect('out');
});
