/**
 * Two-input operators (issue #14, part 3) on real worker threads: `connect` + CoProcessFunction,
 * `connect().keyBy(k1, k2)` + KeyedCoProcessFunction (Flink's control-stream example, with shared
 * keyed state and event-time timers), and the interval join (out-of-order events, inclusive and
 * exclusive bounds), at parallelism 1, 2 and 4 on heap and LMDB state, each against a sequential
 * reference (support/join-reference.ts), and the interval join rescaled from an unaligned
 * checkpoint holding in-flight data. The interval join under injected failures (aligned,
 * unaligned, aligned-with-timeout; parallelism 1 and 3) is test/join-faults.test.ts.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StreamEnvironment } from '../index.ts';
import {
  coProcessJob, controlJob, intervalJoinJob, noTimestampsJoinJob, rescaleEvents, rescaleJoinJob, sideOutputConnectJob,
  type JoinParams, type RescaleJoinParams,
} from './support/two-input-jobs.ts';
import type { ChannelStateHandle } from '../runtime/task/subtask-checkpointer.ts';
import { controlReference, intervalJoinReference, jitteredTime, sortEmitted, type Control, type Datum, type Emitted, type Ev } from './support/join-reference.ts';
import { rng } from './support/random.ts';

type Backend = 'heap' | 'lmdb';
const stateDirs: string[] = [];
const stateDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-two-inputs-'));
  stateDirs.push(dir);
  return dir;
};
after(() => {
  for (const dir of stateDirs) fs.rmSync(dir, { recursive: true, force: true });
});
const run = (backend: Backend, parallelism: number) => ({ parallelism, stateBackend: backend, bufferBytes: 16 * 1024, ...(backend === 'lmdb' ? { stateDirectory: stateDir() } : {}) });

describe('connect + CoProcessFunction: each input reaches its own method (a union on input 1)', () => {
  for (const p of [1, 2, 4]) {
    test(`parallelism ${p}`, async () => {
      const r = rng(11 + p);
      const nums = Array.from({ length: 1500 }, () => Math.floor(r() * 1000));
      const more = Array.from({ length: 700 }, (_, i) => -i);
      const words = Array.from({ length: 900 }, (_, i) => `w${i % 97}`);
      const result = await coProcessJob.execute({ ...run('heap', p), params: { nums, more, words } }).done;
      assert.equal(result.status, 'finished');
      const expected = [...nums, ...more].map((n) => `1:${n * 2}`).concat(words.map((w) => `2:${w.toUpperCase()}`));
      assert.deepEqual([...(result.collected.out as string[])].sort(), expected.sort());
    });
  }
});

function controlInput(seed: number): { controls: Control[]; data: Datum[]; bound: number } {
  const r = rng(seed);
  const bound = 20;
  const key = () => `k${Math.floor(r() * 10)}`;
  const controls = Array.from({ length: 300 }, (_, i): Control => ({ key: key(), t: jitteredTime(i, 10, bound), enabled: r() < 0.5 }));
  const data = Array.from({ length: 3000 }, (_, i): Datum => ({ user: key(), t: jitteredTime(i + 3, 1, bound), value: i }));
  return { controls, data, bound };
}

describe('connect().keyBy(k1, k2) + KeyedCoProcessFunction: a control stream enables keys (shared state, event-time timers)', () => {
  for (const [p, backend] of [[1, 'heap'], [2, 'lmdb'], [4, 'heap']] as const) {
    test(`parallelism ${p}, ${backend}`, async () => {
      const params = controlInput(5 + p);
      const result = await controlJob.execute({ ...run(backend, p), params }).done;
      assert.equal(result.status, 'finished');
      const got = sortEmitted(result.collected.out as Emitted[]);
      const expected = controlReference(params.controls, params.data);
      assert.ok(expected.length > 100 && expected.length < params.data.length, 'the reference lets some data through, not all');
      assert.deepEqual(got, expected);
    });
  }
});

/** `fractional`: timestamps with quarter-millisecond parts (Weir's timestamps are any finite number). */
function joinInput(seed: number, bounds: Pick<JoinParams, 'lower' | 'upper' | 'lowerExclusive' | 'upperExclusive'>, fractional = false): JoinParams {
  const r = rng(seed);
  const bound = 15;
  const key = () => `k${Math.floor(r() * 20)}`;
  const part = () => (fractional ? Math.floor(r() * 4) / 4 : 0);
  const left = Array.from({ length: 2000 }, (_, i): Ev => ({ id: i, key: key(), t: jitteredTime(i, 1, bound) + part() }));
  const right = Array.from({ length: 2000 }, (_, i): Ev => ({ id: 10_000 + i, key: key(), t: jitteredTime(i + 7, 1, bound) - 7 + part() }));
  return { left, right, bound, ...bounds };
}

describe('interval join: out-of-order events, inclusive and exclusive bounds, exact vs the reference', () => {
  const cases: Array<[number, Backend, Pick<JoinParams, 'lower' | 'upper' | 'lowerExclusive' | 'upperExclusive'>, fractional?: 'fractional timestamps']> = [
    [1, 'lmdb', { lower: -5, upper: 10, lowerExclusive: false, upperExclusive: false }],
    [2, 'heap', { lower: 2, upper: 8, lowerExclusive: true, upperExclusive: false }],
    [2, 'lmdb', { lower: -3, upper: 3, lowerExclusive: false, upperExclusive: true }],
    [4, 'lmdb', { lower: -8, upper: -2, lowerExclusive: true, upperExclusive: true }],
    // Exclusive ends are exact for any number (Flink's ±1 ms holds only for whole milliseconds).
    [2, 'lmdb', { lower: 0.5, upper: 6.75, lowerExclusive: true, upperExclusive: true }],
    [2, 'heap', { lower: -2, upper: 2, lowerExclusive: true, upperExclusive: true }, 'fractional timestamps'],
    [1, 'lmdb', { lower: -1.25, upper: 3.5, lowerExclusive: true, upperExclusive: false }, 'fractional timestamps'],
  ];
  for (const [p, backend, bounds, fractional] of cases) {
    const name = `${bounds.lowerExclusive ? '(' : '['}${bounds.lower}, ${bounds.upper}${bounds.upperExclusive ? ')' : ']'}${fractional ? `, ${fractional}` : ''}`;
    test(`between ${name}, parallelism ${p}, ${backend}`, async () => {
      const params = joinInput(17 + p + bounds.lower, bounds, fractional !== undefined);
      const result = await intervalJoinJob.execute({ ...run(backend, p), params }).done;
      assert.equal(result.status, 'finished');
      const expected = intervalJoinReference(params.left, params.right, bounds);
      assert.ok(expected.length > 200, `enough pairs to mean something (${expected.length})`);
      assert.deepEqual([...(result.collected.out as string[])].sort(), expected);
    });
  }
});

describe('a side output connected to its producer\'s main output', () => {
  test('each input gets its own records (the side output keeps its tag on the connect edge), parallelism 2', async () => {
    const r = await sideOutputConnectJob.execute({ params: { n: 200 }, parallelism: 2 }).done;
    const want = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? `odd ${i + 1}` : `even ${i + 1}`)).sort();
    assert.deepEqual([...(r.collected.out as string[])].sort(), want);
  });
});

describe('two-input errors name the operator and the bad value', () => {
  test('connecting streams of different environments, selectors that are not functions, lower > upper, a join without timestamps', () => {
    const env1 = new StreamEnvironment(1, 128);
    const env2 = new StreamEnvironment(1, 128);
    const a = env1.fromArray([1]);
    assert.throws(() => a.connect(env2.fromArray([2])), { code: 'WEIR_INVALID_GRAPH', message: /connect: the two streams come from different environments \('Array' and 'Array'\)/ });
    assert.throws(() => a.connect(env1.fromArray(['x'])).keyBy((x) => x, 'key' as never), { code: 'WEIR_INVALID_ARGUMENT', message: /keySelector2: expected a function, got string/ });
    assert.throws(() => a.connect(env1.fromArray(['x'])).process({} as never), { code: 'WEIR_INVALID_ARGUMENT', message: /processElement1/ });
    const keyed = a.keyBy((x) => x);
    const broadcastFn = { processElement: () => {}, processBroadcastElement: () => {} };
    assert.throws(() => keyed.connect(env1.fromArray(['rule']).broadcast()).process(broadcastFn as never),
      { code: 'WEIR_INVALID_ARGUMENT', message: /this is a broadcast process function: broadcast the other stream with its state descriptors/ });
    assert.throws(() => keyed.intervalJoin(env1.fromArray([2]).keyBy((x) => x)).between(5, 2), { code: 'WEIR_INVALID_ARGUMENT', message: /lowerMs \(5\) must be <= upperMs \(2\)/ });
    assert.throws(() => keyed.intervalJoin(env1.fromArray([2]) as never), { code: 'WEIR_INVALID_ARGUMENT', message: /expected a KeyedStream/ });
    assert.throws(() => keyed.intervalJoin(env2.fromArray([2]).keyBy((x) => x)), { code: 'WEIR_INVALID_GRAPH', message: /different environments/ });
    assert.throws(() => noTimestampsJoinJob.graph(undefined, 1), { code: 'WEIR_INVALID_GRAPH', message: /operator 'IntervalJoin' \(uid intervalJoin-\d+\) is an interval join .* right input 'Array' carries no timestamps/ });
  });
});

describe('the logical graph of two-input operators', () => {
  test('edges in declaration order with their input; connecting two KeyedStreams is keyed; a two-input operator heads its vertex', () => {
    const env = new StreamEnvironment(2, 128);
    const a = env.fromArray([1]).union(env.fromArray([2]));
    const b = env.fromArray(['x']);
    const co = a.connect(b).process<number>({ processElement1() {}, processElement2() {} });
    const node = env.graph.nodes.at(-1)!;
    assert.equal(node.spec.kind, 'coProcess');
    assert.deepEqual(node.inputs.map((e) => [e.from, e.input]), [[0, 0], [1, 0], [2, 1]]);
    const keyed = a.keyBy((x) => x).connect(b.keyBy((x) => x)).process<number>({ processElement1() {}, processElement2() {} });
    const knode = env.graph.nodes.at(-1)!;
    assert.equal(knode.spec.kind, 'keyedCoProcess');
    assert.deepEqual(knode.inputs.map((e) => [e.partitioning, e.input, typeof e.keySelector]), [['hash', 0, 'function'], ['hash', 0, 'function'], ['hash', 1, 'function']]);
    co.union(keyed).collect('out');
    assert.notEqual(env.graph.fingerprint().indexOf(',"auto",1]'), -1, 'the fingerprint includes the input of an edge');
  });
});


describe('interval join rescaled from an unaligned checkpoint: in-flight data of both keyed inputs is re-routed by its own key selector', () => {
  test('join parallelism 2 → 3', { timeout: 120_000 }, async () => {
    const dir = stateDir();
    try {
      const params: RescaleJoinParams = { count: 10_000, keys: 24, bound: 10, lower: -4, upper: 6, spinMicros: 300 };
      const options = { params, stateBackend: 'lmdb' as const, bufferBytes: 1024 };
      const first = rescaleJoinJob.execute({
        ...options, parallelism: 2, stateDirectory: path.join(dir, 'state-1'),
        checkpointing: { directory: path.join(dir, 'checkpoints'), unaligned: true, retention: 'retain-on-cancel', retained: 10 },
      });
      let restoreFrom: string | undefined;
      try {
        await first.running;
        // Unaligned checkpoints until one holds in-flight records (the join is slow: its inputs queue
        // up) and follows some joined pairs (so that it is taken mid-run, also on a loaded machine).
        for (let attempt = 0; attempt < 100 && !restoreFrom; attempt++) {
          const c = await first.triggerCheckpoint();
          const inFlight = c.metadata.subtasks.some((s) => {
            const h = s.channelStateHandles as ChannelStateHandle | null;
            return h !== null && (h.inputFrames > 0 || h.outputFrames > 0);
          });
          if (inFlight && first.collected('out').length > 0) restoreFrom = c.directory;
        }
      } finally {
        await first.cancel();
      }
      await first.done;
      assert.ok(restoreFrom, 'an unaligned checkpoint persisted in-flight data');
      const beforeCheckpoint = first.collected<string>('out');
      const second = await rescaleJoinJob.execute({ ...options, parallelism: 3, stateDirectory: path.join(dir, 'state-2'), restore: restoreFrom }).done;
      assert.equal(second.status, 'finished');
      const all = [...beforeCheckpoint, ...(second.collected.out as string[])].sort();
      const events = Array.from({ length: params.count }, (_, i) => rescaleEvents(i, params));
      const expected = intervalJoinReference(events.map((e) => e.left), events.map((e) => ({ id: e.right.id, key: e.right.owner, t: e.right.t })), params);
      assert.ok(beforeCheckpoint.length > 0 && beforeCheckpoint.length < expected.length, `the checkpoint was taken mid-run (${beforeCheckpoint.length} of ${expected.length} pairs before it)`);
      assert.equal(all.length, expected.length, 'every pair once over both runs');
      assert.deepEqual(all, expected);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
