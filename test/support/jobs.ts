/**
 * Jobs used by the integration tests. Every worker imports this module, so the
 * jobs are defined at top level; inputs arrive as params (structured clone).
 */
import { isMainThread } from 'node:worker_threads';
import { AsyncDataStream, defineJob, ValueStateDescriptor } from '../../index.ts';

export interface Pair { key: string; value: number }

/** map → filter → flatMap over an array source. */
export const statelessJob = defineJob('t-stateless', (env, p: { items: number[] }) => {
  env.fromArray(p.items)
    .map((x) => x * 2 + 1)
    .filter((x) => x % 3 !== 0)
    .flatMap((x) => (x % 5 === 0 ? [] : [x, -x]))
    .collect('out');
});

/** keyBy → reduce (rolling sum) and count, from a non-parallel source (per-key order is defined). */
export const keyedJob = defineJob('t-keyed', (env, p: { items: Pair[] }) => {
  const s = env.fromArray(p.items);
  s.keyBy((r) => r.key).reduce((a, b) => ({ key: a.key, value: a.value + b.value })).uid('sum').collect('sums');
  s.keyBy((r) => r.key).count().uid('count').collect('counts');
  s.keyBy((r) => r.key).max('value').uid('max').collect('max');
});

/** Parallel sources, union, rebalance, per-operator parallelism. */
export const unionJob = defineJob('t-union', (env, p: { to: number; gen: number; mapParallelism: number }) => {
  const a = env.fromSequence(1, p.to);
  const b = env.fromGenerator((i) => -(i + 1), { count: p.gen }).setParallelism(1);
  a.union(b).rebalance().map((x) => x * 10).setParallelism(p.mapParallelism).name('Times10').collect('out');
});

/** A parallel keyed sum after a parallel stage (multi-input keyed subtasks). */
export const parallelKeyedJob = defineJob('t-parallel-keyed', (env, p: { to: number; keys: number }) => {
  env.fromSequence(0, p.to - 1)
    .map((i) => ({ key: `k${i % p.keys}`, value: i }))
    .keyBy((r) => r.key)
    .sum('value')
    .uid('sum')
    .collect('out');
});

/** Files in, files out. */
export const fileJob = defineJob('t-files', (env, p: { lines: string; jsonl: string; outDir: string }) => {
  env.readTextFile(p.lines).map((l) => l.length).setParallelism(1).collect('lengths');
  env.readTextFile<{ id: number }>(p.jsonl, { format: 'jsonl' }).map((o) => o.id).setParallelism(1).collect('ids');
  env.fromSequence(1, 100).writeJsonl(p.outDir);
});

export const iterableJob = defineJob('t-iterable', (env, p: { n: number }) => {
  env.fromAsyncIterable(async function* () {
    for (let i = 0; i < p.n; i++) {
      if (i % 100 === 0) await new Promise((r) => setTimeout(r, 1));
      yield i;
    }
  }).map((x) => x + 1).collect('out');
});

// ---- failure cases ----

export const throwingJob = defineJob('t-throwing', (env, p: { bad: number; to: number }) => {
  env.fromSequence(1, p.to)
    .map((x) => {
      if (x === p.bad) throw new Error(`bad value ${x}`);
      return x;
    })
    .uid('explode')
    .name('Explode')
    .collect('out');
});

/** A map that emits a record holding a function for `bad` (records cross threads as data): keyBy puts a channel after it. */
export const unencodableRecordJob = defineJob('t-unencodable-record', (env, p: { bad: number; to: number }) => {
  env.fromSequence(1, p.to)
    .map((x) => (x === p.bad ? { x, f: () => x } : { x }))
    .uid('wrap')
    .name('Wrap')
    .keyBy((r) => r.x % 4)
    .map((r) => r.x)
    .collect('out');
});

export const asyncFunctionJob = defineJob('t-async', (env) => {
  env.fromSequence(1, 10).map(async (x) => x).collect('out');
});

export const badJsonlJob = defineJob('t-bad-jsonl', (env, p: { path: string }) => {
  env.readTextFile(p.path, { format: 'jsonl' }).collect('out');
});

/** Record 500 has a NaN key: every restart would meet it again. */
export const nanKeyJob = defineJob('t-nan-key', (env) => {
  env.fromSequence(0, 999).keyBy((i) => (i === 500 ? Number.NaN : i % 7)).count().collect('out');
});

/** Keyed state used in open(): there is no current key. */
export const stateInOpenJob = defineJob('t-state-in-open', (env) => {
  env.fromSequence(0, 9).keyBy((i) => i % 2).process<number>({
    open(ctx) { ctx.getState(new ValueStateDescriptor<number>('n')).update(1); },
    processElement(i, _ctx, out) { out.collect(i); },
  }).collect('out');
});

/** keyBy's selector throws on one record: the error names the keyed operator and the upstream subtask. */
export const throwingKeySelectorJob = defineJob('t-throwing-key-selector', (env) => {
  env.fromSequence(0, 999).map((i) => i).name('Upstream').uid('up')
    .keyBy((i) => { if (i === 500) throw new Error('no key for 500'); return i % 7; })
    .count().name('Counter').uid('counter').collect('out');
});

export const unboundedJob = defineJob('t-unbounded', (env) => {
  env.fromGenerator((i) => i, { ratePerSecond: 50_000 }).keyBy((i) => i % 10).count().collect('out');
});

/** Builds a different graph in workers than on the main thread: must be refused. */
export const nondeterministicJob = defineJob('t-nondeterministic', (env) => {
  let s = env.fromSequence(1, 10);
  if (!isMainThread) s = s.map((x) => x);
  s.collect('out');
});

/** One stream consumed twice: a forward (unchained) edge and a keyBy edge from the same source. */
export const twoConsumersJob = defineJob('t-two-consumers', (env, p: { to: number }) => {
  const s = env.fromSequence(1, p.to);
  s.filter((x) => x % 2 === 0).collect('even');
  s.keyBy((x) => x % 3).count().collect('counts');
});

export interface Stamped { src: string; ts: number; key: number }
export type TimerObs = { kind: 'element'; src: string; key: number; ts: number; wm: number } | { kind: 'timer'; key: number; ts: number; wm: number; domain: string };

/**
 * Two sources whose event time advances at different speeds, unioned into one
 * keyed function: the subtask's watermark must be the minimum of its inputs.
 */
export const watermarkJob = defineJob('t-watermarks', (env, p: { n: number }) => {
  const fast = env.fromGenerator((i): Stamped => ({ src: 'fast', ts: 10_000 + i * 10, key: i % 3 }), { count: p.n }).setParallelism(1)
    .assignTimestampsAndWatermarks({ timestamp: (r) => r.ts, intervalMs: 0 });
  const slow = env.fromGenerator((i): Stamped => ({ src: 'slow', ts: i * 10, key: i % 3 }), { count: p.n }).setParallelism(1)
    .assignTimestampsAndWatermarks({ timestamp: (r) => r.ts, intervalMs: 0 });
  fast.union(slow).keyBy((r) => r.key).process<TimerObs>({
    processElement(r, ctx, out) {
      out.collect({ kind: 'element', src: r.src, key: r.key, ts: r.ts, wm: ctx.timerService().currentWatermark() });
      ctx.timerService().registerEventTimeTimer(r.ts);
    },
    onTimer(ts, ctx, out) {
      out.collect({ kind: 'timer', key: ctx.getCurrentKey(), ts, wm: ctx.timerService().currentWatermark(), domain: ctx.timeDomain() });
    },
  }).setParallelism(2).collect('out');
});

/** What processingTimerJob emits: `contextTs` is `ctx.timestamp()` in onTimer, `outputTs` the timestamp the record travelled with. */
export interface ProcessingTimerOut { key: number; late: number; domain: string; timer: number; contextTs: number | null; outputTs: number | null }

/** Processing-time timers fire while the job runs (the source pauses so they can). */
export const processingTimerJob = defineJob('t-processing-timers', (env, p: { keys: number; delayMs: number }) => {
  env.fromAsyncIterable(async function* () {
    for (let k = 0; k < p.keys; k++) yield k;
    await new Promise((r) => setTimeout(r, p.delayMs * 10));
  }).keyBy((k) => k).process<ProcessingTimerOut>({
    processElement(_k, ctx) {
      const now = ctx.timerService().currentProcessingTime();
      ctx.timerService().registerProcessingTimeTimer(now + p.delayMs);
      ctx.timerService().registerProcessingTimeTimer(now + p.delayMs); // deduplicated
    },
    onTimer(ts, ctx, out) {
      out.collect({ key: ctx.getCurrentKey(), late: ctx.timerService().currentProcessingTime() - ts, domain: ctx.timeDomain(), timer: ts, contextTs: ctx.timestamp() ?? null, outputTs: null });
    },
  }).setParallelism(2)
    .process<ProcessingTimerOut>({ processElement(o, ctx, out) { out.collect({ ...o, outputTs: ctx.timestamp() ?? null }); } })
    .collect('out');
});

/** A timestamp assigner returning ±Infinity for record 3 (`sign` 1 or -1): refused like NaN. */
export const infiniteTimestampJob = defineJob('t-infinite-timestamp', (env, p: { sign: number }) => {
  env.fromArray([1, 2, 3, 4]).name('Numbers')
    .assignTimestampsAndWatermarks({ timestamp: (n) => (n === 3 ? p.sign * Infinity : n * 1000) })
    .collect('out');
});

/** Mistakes a JavaScript caller can make in a function: `mistake` picks which one the job makes. */
export const functionMistakeJob = defineJob('t-function-mistakes', (env, p: { mistake: 'non-keyed-timer' | 'flatmap-string' | 'async-string' | 'async-open' }) => {
  const words = env.fromArray(['to', 'be']).name('Words');
  if (p.mistake === 'async-open') {
    words.keyBy((w) => w).process<string>({ async open() {}, processElement(w: string, _ctx: unknown, out: { collect(v: string): void }) { out.collect(w); } } as never).name('Opener').collect('out');
  } else if (p.mistake === 'non-keyed-timer') {
    words.process<string>({ processElement(w, ctx) { (ctx.timerService() as unknown as { registerEventTimeTimer(t: number): void }).registerEventTimeTimer(1); } }).name('Timers').collect('out');
  } else if (p.mistake === 'flatmap-string') {
    words.flatMap((w) => w.toUpperCase() as unknown as string[]).name('Upper').collect('out');
  } else {
    AsyncDataStream.orderedWait(words, async (w) => w.toUpperCase() as unknown as string[], 1000).name('Lookup').collect('out');
  }
});

/** A keyed process function that registers timers at bad timestamps and reports what it caught. */
export const badTimerJob = defineJob('t-bad-timers', (env) => {
  env.fromArray(['a']).keyBy((w) => w).process<string>({
    processElement(_w, ctx, out) {
      for (const [domain, t] of [['event', NaN], ['processing', NaN], ['event', '5']] as const) {
        try {
          const timers = ctx.timerService();
          if (domain === 'event') timers.registerEventTimeTimer(t as number);
          else timers.registerProcessingTimeTimer(t as number);
          out.collect(`${domain} ${String(t)}: accepted`);
        } catch (e) {
          out.collect(`${domain} ${String(t)}: ${(e as { code?: string }).code}: ${(e as Error).message}`);
        }
      }
    },
  }).name('Timers').collect('out');
});
