/**
 * Jobs the task unit tests drive through the in-thread harness (stream-task-test-harness.ts).
 * Vertex indices are noted per job: the harness runs one vertex's subtask.
 */
import { defineJob } from '../../../index.ts';

/** Spin for `ms` of wall-clock time (a slow record: the frame processor must slice around it). */
function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* busy */ }
}

/**
 * vertex 0: source (parallelism `sources`) → rebalance → vertex 1: map (x → x * 10; a record
 * equal to `slowValue` takes `slowMs`) → rebalance → vertex 2: map (parallelism `downstream`, default 1) → collect.
 */
export const relayJob = defineJob('harness-relay', (env, p: { sources: number; slowValue?: number; slowMs?: number; downstream?: number }) => {
  env.fromSequence(1, 3).setParallelism(p.sources)
    .rebalance()
    .map((x: number) => {
      if (x === p.slowValue) spin(p.slowMs ?? 5);
      return x * 10;
    }).setParallelism(1).name('relay')
    .rebalance()
    .map((x: number) => x).setParallelism(p.downstream ?? 1)
    .collect('out');
});

/**
 * vertex 0: source → keyBy → vertex 1: keyed process that registers a processing-time timer
 * `delayMs` after each record's arrival and emits `fired:<key>@<time>` when it fires → collect.
 */
export const processingTimerJob = defineJob('harness-processing-timer', (env, p: { delayMs: number }) => {
  env.fromArray(['a'])
    .keyBy((k: string) => k)
    .process({
      processElement(value: string, ctx, out) {
        ctx.timerService().registerProcessingTimeTimer(ctx.timerService().currentProcessingTime() + p.delayMs);
        out.collect(`got:${value}`);
      },
      onTimer(timestamp: number, ctx, out) {
        out.collect(`fired:${String(ctx.getCurrentKey())}@${timestamp}`);
      },
    }).setParallelism(1)
    .collect('out');
});

/** vertex 0: an array source of 0..n-1 (parallelism 1) → map → collect, chained. */
export const sourceJob = defineJob('harness-source', (env, p: { n: number }) => {
  env.fromArray(Array.from({ length: p.n }, (_, i) => i)).setParallelism(1).rebalance().map((x: number) => x).collect('out');
});

/** vertex 0: an array source (parallelism 1) → rebalance → vertex 1: `x` → `x:0` … `x:<fanOut - 1>` → collect. */
export const fanOutJob = defineJob('harness-fan-out', (env, p: { fanOut: number }) => {
  env.fromArray(['a']).setParallelism(1)
    .rebalance()
    .flatMap((x: string) => Array.from({ length: p.fanOut }, (_, i) => `${x}:${i}`)).setParallelism(1)
    .collect('out');
});

interface CountSplit { next: number; end: number }

/** Called by {@link asyncPollJob}'s reader at the start of each poll with the split's position (the harness runs it in the test's thread). */
export const pollHook: { onPoll?: (next: number) => void } = {};

/**
 * vertex 0: a source whose `poll` is asynchronous: an `async` function that awaits `hops`
 * settled promises, then advances its split as it returns the records → rebalance → vertex 1:
 * map → collect. Reads 0 … n-1 in one split; calls {@link pollHook} first.
 */
export const asyncPollJob = defineJob('harness-async-poll', (env, p: { n: number; hops: number }) => {
  env.fromSource<number, CountSplit>({
    boundedness: 'bounded',
    createSplits: () => [{ next: 0, end: p.n }],
    createReader() {
      const splits: CountSplit[] = [];
      return {
        addSplits(s) { splits.push(...s); },
        async poll(max) {
          const s = splits[0]!;
          pollHook.onPoll?.(s.next);
          for (let i = 0; i < p.hops; i++) await null;
          const records: number[] = [];
          while (records.length < max && s.next < s.end) records.push(s.next++);
          return { records, done: s.next >= s.end };
        },
        snapshotSplits: () => splits.map((s) => ({ ...s })),
      };
    },
  }, undefined, 'AsyncPoll').setParallelism(1).uid('async-poll')
    .rebalance()
    .map((x: number) => x)
    .collect('out');
});

/**
 * vertex 0: `fromAsyncIterable` over 0 … n-1, each item a macrotask later (setImmediate): after a
 * restore, skipping to the restored offset takes many turns of the event loop → rebalance →
 * vertex 1: map → collect.
 */
export const slowAsyncIterableJob = defineJob('harness-slow-async-iterable', (env, p: { n: number }) => {
  env.fromAsyncIterable(async function* () {
    for (let i = 0; i < p.n; i++) {
      await new Promise((r) => setImmediate(r));
      yield i;
    }
  }).setParallelism(1).uid('items')
    .rebalance()
    .map((x: number) => x)
    .collect('out');
});
