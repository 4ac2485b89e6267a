/**
 * Windows (issue #14) against a sequential reference (test/support/window-reference.ts): every
 * assigner, window function and trigger, with out-of-order and late events, allowed lateness,
 * the late-data side output, session merging, count windows and windowAll, at parallelism 1, 2
 * and 4 on the heap and LMDB backends. Results are compared as multisets (subtasks interleave),
 * each with the timestamp it carries (the window's max timestamp; none for count windows).
 * Also: side outputs (two tags and the main output, exact), and argument errors.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { windowJob, sideOutputJob, failingWindowJob, sessionMisuseJob, type Ev, type WindowCase } from './support/window-jobs.ts';
import { referenceWindows, referenceCountWindows, type Stamped } from './support/window-reference.ts';
import { outOfOrderEvents, OOO as WINDOW_OOO } from './support/window-rescale-jobs.ts';
import {
  TumblingEventTimeWindows, SlidingEventTimeWindows, EventTimeSessionWindows, TumblingProcessingTimeWindows, SlidingProcessingTimeWindows,
  ProcessingTimeSessionWindows, CountTrigger, ContinuousEventTimeTrigger, OutputTag, defineJob, WeirError,
} from '../index.ts';

const OOO = WINDOW_OOO;

/** Keys k0..k4, event time rising ~2 per record with jitter up to 2·OOO, and ~6% very late records. */
const events = (seed: number, n: number): Ev[] => outOfOrderEvents(seed, n, 5);

const key = (e: Ev) => e.k;
const ts = (e: Ev) => e.ts;
const countSum = (es: Ev[]) => ({ count: es.length, sum: es.reduce((s, e) => s + e.v, 0) });

function expected(c: WindowCase, evs: Ev[]): { out: Stamped<unknown>[]; late: Ev[]; cleared?: unknown[] } {
  const base = { ooo: OOO, key, ts };
  const withWindow = (k: unknown, w: { start: number; end: number }, es: Ev[]) => [{ k, start: w.start, end: w.end, ...countSum(es) }];
  switch (c) {
    case 'tumbling-reduce':
      return { out: referenceWindows(evs, { ...base, assigner: { kind: 'tumbling', size: 10 }, emit: (k, _w, es) => [{ k, v: countSum(es).sum }] }).out, late: [] };
    case 'tumbling-offset-aggregate':
      return { out: referenceWindows(evs, { ...base, assigner: { kind: 'tumbling', size: 10, offset: 3 }, emit: withWindow }).out, late: [] };
    case 'sliding-lateness': {
      const r = referenceWindows(evs, { ...base, assigner: { kind: 'sliding', size: 20, slide: 5 }, lateness: 15, emit: withWindow });
      return r;
    }
    case 'session-process':
      return referenceWindows(evs, { ...base, assigner: { kind: 'session', gap: () => 7 }, lateness: 5, emit: (k, w, es) => [{ k, start: w.start, end: w.end, vs: es.map((e) => e.v).sort((a, b) => a - b) }] });
    case 'dynamic-session':
      return { out: referenceWindows(evs, { ...base, assigner: { kind: 'session', gap: (e: Ev) => (e.v % 2 === 0 ? 4 : 9) }, emit: withWindow }).out, late: [] };
    case 'continuous':
      return { out: referenceWindows(evs, { ...base, assigner: { kind: 'tumbling', size: 30 }, trigger: { kind: 'continuous', interval: 10 }, emit: withWindow }).out, late: [] };
    case 'purging-count':
      return { out: referenceWindows(evs, { ...base, assigner: { kind: 'tumbling', size: 20 }, trigger: { kind: 'purging-count', count: 2 }, emit: (k, w, es) => [{ k, start: w.start, vs: es.map((e) => e.v) }] }).out, late: [] };
    case 'count':
      return { out: referenceCountWindows(evs, key, 3, undefined, (k, es) => [{ k, v: countSum(es).sum }]), late: [] };
    case 'count-sliding':
      return { out: referenceCountWindows(evs, key, 4, 2, (k, es) => [{ k, ...countSum(es) }]), late: [] };
    case 'process-window-state': {
      const r = referenceWindows(evs, { ...base, assigner: { kind: 'tumbling', size: 10 }, lateness: 20, emit: (k, w, es) => [{ k, start: w.start, n: es.length }] });
      // Firings of each window are numbered in order; each window is cleared once, after its last firing.
      const firings = new Map<string, number>();
      const out = r.out.map(({ r: x, ts: t }) => {
        const id = JSON.stringify([(x as { k: string }).k, (x as { start: number }).start]);
        firings.set(id, (firings.get(id) ?? 0) + 1);
        return { r: { ...(x as object), firing: firings.get(id) }, ts: t };
      });
      const cleared = [...firings].map(([id, n]) => { const [k, start] = JSON.parse(id) as [string, number]; return { k, start, firings: n }; });
      return { out, late: [], cleared };
    }
    case 'window-all':
      return referenceWindows(evs, { ...base, key: () => 0, assigner: { kind: 'sliding', size: 20, slide: 10 }, lateness: 5, emit: (_k, w, es) => [{ start: w.start, end: w.end, n: es.length, sum: countSum(es).sum }] });
  }
}

const sorted = (xs: readonly unknown[]) => xs.map((x) => JSON.stringify(x)).sort();

const CASES: WindowCase[] = [
  'tumbling-reduce', 'tumbling-offset-aggregate', 'sliding-lateness', 'session-process', 'dynamic-session',
  'continuous', 'purging-count', 'count', 'count-sliding', 'window-all', 'process-window-state',
];
/** Each case runs at parallelism 1 (heap), 2 (LMDB) and 4 (heap, and LMDB for every other case). */
const MATRIX = CASES.flatMap((c, i) => [
  { c, p: 1, backend: 'heap' as const },
  { c, p: 2, backend: 'lmdb' as const },
  { c, p: 4, backend: (i % 2 === 0 ? 'lmdb' : 'heap') as 'lmdb' | 'heap' },
]);

const inputOf = (c: WindowCase, p: number) => events(c.length * 31 + p, 500);

/**
 * The cases of one (parallelism, backend) run in one job: independent pipelines that share the
 * job's start-up (the suite's time), each checked on its own below.
 */
const runs = new Map<string, Promise<Record<string, unknown[]>>>();
function runConfig(p: number, backend: 'heap' | 'lmdb'): Promise<Record<string, unknown[]>> {
  const id = `${p}/${backend}`;
  let run = runs.get(id);
  if (!run) {
    const cases = MATRIX.filter((m) => m.p === p && m.backend === backend).map((m) => ({ case: m.c, events: inputOf(m.c, p) }));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-windows-'));
    run = windowJob.execute({ params: { cases, ooo: OOO }, parallelism: p, stateBackend: backend, stateDirectory: dir }).done
      .then((result) => {
        assert.equal(result.status, 'finished');
        return result.collected as Record<string, unknown[]>;
      })
      .finally(() => fs.rmSync(dir, { recursive: true, force: true }));
    runs.set(id, run);
  }
  return run;
}

describe('windows match the sequential reference', () => {
  for (const { c, p, backend } of MATRIX) {
    test(`${c}, parallelism ${p}, ${backend}`, async () => {
      const collected = await runConfig(p, backend);
      const exp = expected(c, inputOf(c, p));
      assert.ok(exp.out.length > 10, `the case produces results (${exp.out.length})`);
      assert.deepEqual(sorted(collected[`out:${c}`]!), sorted(exp.out));
      assert.deepEqual(sorted(collected[`late:${c}`]!), sorted(exp.late));
      assert.deepEqual(sorted(collected[`cleared:${c}`]!), sorted(exp.cleared ?? []), 'ProcessWindowFunction.clear once per window, with its per-window state');
      if (c === 'sliding-lateness' || c === 'session-process' || c === 'window-all') assert.ok(exp.late.length > 0, 'the input has records too late for allowed lateness');
    });
  }
});

describe('side outputs', () => {
  test('a process function emits to two tags and the main output; keyed process functions too; an unused tag is empty', async () => {
    const n = 40;
    const result = await sideOutputJob.execute({ params: { n }, parallelism: 2 }).done;
    const nums = Array.from({ length: n }, (_, i) => i);
    const c = result.collected as Record<string, unknown[]>;
    const num = (xs: unknown[] | undefined) => [...(xs as number[])].sort((a, b) => a - b);
    assert.deepEqual(num(c.main), nums.map((x) => x * 10));
    assert.deepEqual(num(c.small), nums.filter((x) => x < 10));
    assert.deepEqual([...(c.odd as string[])].sort(), nums.filter((x) => x % 2 === 1).map((x) => `ODD:${x}`).sort(), 'a new OutputTag with the same id is the same side output');
    assert.deepEqual(num(c['keyed-side']), nums.map((x) => x * 10).filter((x) => x % 7 === 0));
    assert.deepEqual(c.none, [], 'the side output of an operator that emits none is empty');
  });

  test('the side-output tag is part of the graph fingerprint; tag ids must be non-empty strings', () => {
    const fp = (tag: string) => defineJob(`t-fp-${tag}`, (env) => {
      const s = env.fromSequence(1, 2).process<number>({ processElement(x, _ctx, out) { out.collect(x); } });
      s.getSideOutput(new OutputTag<number>(tag)).collect('side');
    }).graph(undefined, 1).fingerprint;
    assert.notEqual(fp('a'), fp('b'));
    assert.throws(() => new OutputTag(''), { code: 'WEIR_INVALID_ARGUMENT' });
    assert.throws(() => new OutputTag(undefined as unknown as string), { code: 'WEIR_INVALID_ARGUMENT' });
  });
});

describe('window arguments are checked as Flink checks them', () => {
  const bad: Array<[string, () => unknown, RegExp]> = [
    ['tumbling size 0', () => TumblingEventTimeWindows.of(0), /TumblingEventTimeWindows\.of: size .* got 0/],
    ['tumbling offset = size', () => TumblingProcessingTimeWindows.of(10, 10), /TumblingProcessingTimeWindows\.of: offset .* got 10/],
    ['sliding slide 0', () => SlidingEventTimeWindows.of(10, 0), /SlidingEventTimeWindows\.of: slide .* got 0/],
    ['sliding negative size', () => SlidingProcessingTimeWindows.of(-5, 1), /size .* got -5/],
    ['sliding offset >= slide', () => SlidingEventTimeWindows.of(10, 5, 5), /offset .* got 5/],
    ['session gap 0', () => EventTimeSessionWindows.withGap(0), /EventTimeSessionWindows\.withGap: gap .* got 0/],
    ['dynamic gap not a function', () => ProcessingTimeSessionWindows.withDynamicGap(5 as never), /withDynamicGap/],
    ['count trigger 0', () => CountTrigger.of(0), /CountTrigger\.of/],
    ['continuous interval NaN', () => ContinuousEventTimeTrigger.of(Number.NaN), /ContinuousEventTimeTrigger\.of/],
  ];
  for (const [what, fn, message] of bad) {
    test(what, () => assert.throws(fn, { code: 'WEIR_INVALID_ARGUMENT', message }));
  }
  test('negative allowed lateness, countWindow(0), a non-merging trigger with sessions, aggregate without merge on sessions', () => {
    const build = (f: (s: any) => void) => defineJob(`t-bad-${Math.random()}`, (env) => f(env.fromSequence(1, 3).keyBy((x: number) => x))).graph(undefined, 1);
    assert.throws(() => build((s) => s.window(TumblingEventTimeWindows.of(5)).allowedLateness(-1)), { code: 'WEIR_INVALID_ARGUMENT', message: /allowedLateness.*-1/ });
    assert.throws(() => build((s) => s.countWindow(0)), { code: 'WEIR_INVALID_ARGUMENT', message: /countWindow: size/ });
    const nonMerging = { onElement: () => 'CONTINUE', onEventTime: () => 'CONTINUE', onProcessingTime: () => 'CONTINUE', clear: () => {}, toString: () => 'MyTrigger' };
    assert.throws(() => build((s) => s.window(EventTimeSessionWindows.withGap(5)).trigger(nonMerging)), { code: 'WEIR_INVALID_ARGUMENT', message: /MyTrigger does not support merging/ });
    const noMerge = { createAccumulator: () => 0, add: (_v: number, a: number) => a + 1, getResult: (a: number) => a };
    assert.throws(() => build((s) => s.window(EventTimeSessionWindows.withGap(5)).aggregate(noMerge)), { code: 'WEIR_INVALID_ARGUMENT', message: /needs merge/ });
    assert.throws(() => build((s) => s.window({} as never)), { code: 'WEIR_INVALID_ARGUMENT', message: /window assigner/ });
  });
});

describe('window function failures name the operator', () => {
  async function failure(what: 'reduce' | 'no-timestamps' | 'async' | 'trigger-throws' | 'trigger-result'): Promise<WeirError> {
    try {
      await failingWindowJob.execute({ params: { what }, parallelism: 2, stateBackend: 'heap' }).done;
    } catch (e) {
      assert.ok(e instanceof WeirError, String(e));
      return e;
    }
    return assert.fail('expected the job to fail');
  }
  test('a throwing reduce function: WEIR_USER_FUNCTION_FAILED with the operator, uid and record', async () => {
    const err = await failure('reduce');
    assert.equal(err.code, 'WEIR_USER_FUNCTION_FAILED');
    assert.match(err.message, /reduce function of operator 'FailingWindow' \(uid failing-window, subtask [12]\/2\)/);
    assert.match(err.message, /reduce failed on 7/);
  });
  test('event-time windows on records without timestamps say what is missing, before the job runs', () => {
    // Refused when the graph is built (graph/timestamps.ts), no longer at the first record.
    assert.throws(() => failingWindowJob.execute({ params: { what: 'no-timestamps' }, parallelism: 2, stateBackend: 'heap' }),
      (e: WeirError) => e.code === 'WEIR_INVALID_GRAPH' && /event-time window \(TumblingEventTimeWindows\) but its input 'Array' carries no timestamps: call assignTimestampsAndWatermarks\(\)/.test(e.message));
  });
  test('a trigger that throws names the record; one that answers no TriggerResult fails instead of never firing', async () => {
    const thrown = await failure('trigger-throws');
    assert.equal(thrown.code, 'WEIR_USER_FUNCTION_FAILED');
    assert.match(thrown.message, /trigger MyTrigger onElement of operator 'FailingWindow' .* on record \{"k":"k1","ts":7,"v":7\}: trigger failed on 7/);
    const bad = await failure('trigger-result');
    assert.equal(bad.code, 'WEIR_USER_FUNCTION_FAILED');
    assert.match(bad.message, /trigger MyTrigger result of operator 'FailingWindow' .* threw: returned "fire": a TriggerResult is 'CONTINUE', 'FIRE', 'PURGE' or 'FIRE_AND_PURGE'/);
    assert.doesNotMatch(bad.message, /record undefined/);
  });
  test('session-window misuses (per-window state, a dynamic gap of 0) fail the job at once: no restart would help', async () => {
    for (const [what, pattern] of [['window-state', /per-window state \(windowState\(\)\) is not available with merging \(session\) windows/], ['zero-gap', /the dynamic session gap must be a number > 0, got 0/]] as const) {
      const client = sessionMisuseJob.execute({ params: { what }, stateBackend: 'heap', restartStrategy: { type: 'fixed-delay', attempts: 1000, delayMs: 0 } });
      await assert.rejects(client.done, (e: WeirError) => e.code === 'WEIR_INVALID_ARGUMENT' && pattern.test(e.message) && /operator 'Sessions'/.test(e.message));
      assert.equal(client.attempts, 1, what);
    }
  });
  test('an aggregate function returning a Promise: WEIR_ASYNC_USER_FUNCTION', async () => {
    const err = await failure('async');
    assert.equal(err.code, 'WEIR_ASYNC_USER_FUNCTION');
    assert.match(err.message, /aggregate function add of operator 'FailingWindow'/);
  });
});
