/**
 * Errors: a throwing user function fails the job with a typed error naming the
 * operator, subtask and record (no hang); invalid graphs and options fail
 * before anything runs; broken job modules get a clear message; cancel frees
 * everything.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defineJob, KeyedStream, TumblingEventTimeWindows, TumblingProcessingTimeWindows, WeirError } from '../index.ts';
import { jobWorkingStatePath } from '../runtime/task/working-state.ts';
import { nanKeyJob, stateInOpenJob, throwingKeySelectorJob, throwingJob, asyncFunctionJob, badJsonlJob, unboundedJob, nondeterministicJob, statelessJob, infiniteTimestampJob, functionMistakeJob, badTimerJob, unencodableRecordJob } from './support/jobs.ts';

const base = { stateBackend: 'heap' as const };

async function rejection(p: Promise<unknown>): Promise<WeirError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof WeirError, `expected a WeirError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the job to fail');
}

test('a throwing map fails the job with WEIR_USER_FUNCTION_FAILED naming operator, subtask and record', async () => {
  const err = await rejection(throwingJob.execute({ ...base, parallelism: 2, params: { bad: 777, to: 5000 } }).done);
  assert.equal(err.code, 'WEIR_USER_FUNCTION_FAILED');
  assert.match(err.message, /operator 'Explode' \(uid explode, subtask [12]\/2\)/);
  assert.match(err.message, /record 777/);
  assert.match(err.message, /bad value 777/);
  assert.equal(err.details.uid, 'explode');
  // The user's own error crossed the thread with its stack: where in the job module it was thrown.
  const causes: unknown[] = [];
  for (let c: unknown = err.cause; c instanceof Error; c = c.cause) causes.push(c);
  const thrown = causes.find((c): c is Error => c instanceof Error && c.message === 'bad value 777');
  assert.ok(thrown, `the user's Error is in the cause chain: ${causes.map((c) => (c as Error).message).join(' <- ')}`);
  assert.match(thrown.stack ?? '', /test\/support\/jobs\.ts:\d+/);
});

test('a record that cannot cross to the next subtask fails the job with WEIR_RECORD_NOT_SERIALIZABLE naming the operator that emitted it', async () => {
  const err = await rejection(unencodableRecordJob.execute({ ...base, parallelism: 2, params: { bad: 77, to: 500 } }).done);
  assert.equal(err.code, 'WEIR_RECORD_NOT_SERIALIZABLE');
  assert.match(err.message, /Operator 'Wrap' \(uid wrap, subtask [12]\/2\) emitted a record that cannot be encoded for its output .*: a function is not data/);
  assert.equal(err.details.uid, 'wrap');
});

test('a user function returning a Promise is refused with WEIR_ASYNC_USER_FUNCTION', async () => {
  const err = await rejection(asyncFunctionJob.execute({ ...base, parallelism: 1 }).done);
  assert.equal(err.code, 'WEIR_ASYNC_USER_FUNCTION');
  assert.match(err.message, /must be synchronous/);
});

test('invalid JSON Lines input fails at once with WEIR_SOURCE_INVALID_RECORD and the byte offset (a restart would read it again)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-bad-'));
  const file = path.join(dir, 'bad.jsonl');
  fs.writeFileSync(file, '{"a":1}\n{"a":2}\n{oops\n');
  try {
    const client = badJsonlJob.execute({ ...base, params: { path: file }, restartStrategy: { type: 'fixed-delay', attempts: 1000, delayMs: 0 } });
    const err = await rejection(client.done);
    assert.equal(err.code, 'WEIR_SOURCE_INVALID_RECORD');
    assert.equal(client.attempts, 1, 'not restarted');
    assert.equal(err.details.byteOffset, 16);
    assert.match(err.message, /invalid JSON at byte offset 16/);
    assert.match(err.message, /\{oops/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a missing input file fails with WEIR_SOURCE_FAILED naming the path', async () => {
  const err = await rejection(badJsonlJob.execute({ ...base, params: { path: '/nonexistent/weir.jsonl' } }).done);
  assert.equal(err.code, 'WEIR_SOURCE_FAILED');
  assert.match(err.message, /\/nonexistent\/weir\.jsonl/);
});

test('parallelism above max parallelism is refused before anything runs', () => {
  assert.throws(() => statelessJob.execute({ ...base, params: { items: [1] }, parallelism: 8, maxParallelism: 4 }), (e: WeirError) => {
    assert.equal(e.code, 'WEIR_INVALID_GRAPH');
    assert.match(e.message, /parallelism 8, above the max parallelism 4/);
    return true;
  });
});

test('a job without a sink is refused', () => {
  const job = defineJob('t-no-sink', (env) => {
    env.fromSequence(1, 3).map((x) => x);
  });
  assert.throws(() => job.execute(base), (e: WeirError) => e.code === 'WEIR_INVALID_GRAPH' && /no consumer|no sink/.test(e.message));
  const empty = defineJob('t-empty', () => {});
  assert.throws(() => empty.execute(base), (e: WeirError) => e.code === 'WEIR_INVALID_GRAPH' && /no operators/.test(e.message));
});

test('two collect sinks with one name are refused (each name identifies one sink\'s results)', () => {
  const job = defineJob('t-dup-collect', (env) => {
    const s = env.fromSequence(1, 10);
    s.collect('out');
    s.map((x) => -x).collect('out');
  });
  assert.throws(() => job.execute(base), (e: WeirError) => e.code === 'WEIR_INVALID_GRAPH' && /collect\('out'\) is used twice/.test(e.message) && e.details.sink === 'out');
});

test('a build function that reads params none were given: WEIR_INVALID_GRAPH says so', () => {
  const job = defineJob('t-needs-params', (env, p: { n: number }) => { env.fromSequence(1, p.n).collect('out'); });
  assert.throws(() => job.execute(base as never), (e: WeirError) => e.code === 'WEIR_INVALID_GRAPH' && /no params were given: pass execute\(\{ params \}\)/.test(e.message));
});

test('a keyed operation without keyBy is refused (JavaScript callers bypassing the types)', () => {
  const job = defineJob('t-keyed-without-keyby', (env) => {
    const s = env.fromSequence(1, 3);
    (KeyedStream.prototype.reduce as Function).call(Object.assign(Object.create(KeyedStream.prototype), s, { keySelector: undefined }), (a: number, b: number) => a + b).collect();
  });
  assert.throws(() => job.execute(base), (e: WeirError) => e.code === 'WEIR_INVALID_GRAPH' && /call keyBy\(\) before it/.test(e.message));
});

test('a non-parallel source with parallelism 2 is refused', () => {
  const job = defineJob('t-array-p2', (env) => {
    env.fromArray([1, 2, 3]).setParallelism(2).collect();
  });
  assert.throws(() => job.execute(base), (e: WeirError) => e.code === 'WEIR_INVALID_GRAPH' && /non-parallel array source/.test(e.message));
});

test('a windowAll given parallelism 2 is refused (it is non-parallel, as in Flink)', () => {
  const job = defineJob('t-window-all-p2', (env) => {
    env.fromArray([1, 2, 3]).assignTimestampsAndWatermarks({ timestamp: (n) => n })
      .windowAll(TumblingEventTimeWindows.of(10)).reduce((a, b) => a + b).name('All').setParallelism(2).collect();
  });
  assert.throws(() => job.execute(base), (e: WeirError) => e.code === 'WEIR_INVALID_GRAPH' && /operator 'All' .*non-parallel .*must be 1, got 2/.test(e.message));
});

test('an event-time window (or window join) whose input carries no timestamps is refused before it runs; a processing-time one or a timestamped input is not', () => {
  const job = defineJob('t-window-no-timestamps', (env) => {
    env.fromArray([1, 2, 3]).keyBy((n) => n % 2).window(TumblingEventTimeWindows.of(10)).reduce((a, b) => a + b).name('Sums').collect();
  });
  assert.throws(() => job.execute(base), (e: WeirError) => e.code === 'WEIR_INVALID_GRAPH'
    && /operator 'Sums' .*is an event-time window \(TumblingEventTimeWindows\) but its input 'Array' carries no timestamps: call assignTimestampsAndWatermarks\(\)/.test(e.message));
  const joined = defineJob('t-window-join-no-timestamps', (env) => {
    const a = env.fromArray([1, 2]);
    const b = env.fromArray([1, 2]).assignTimestampsAndWatermarks({ timestamp: (n) => n });
    a.join(b).where((x) => x).equalTo((y) => y).window(TumblingEventTimeWindows.of(10)).apply((x, y) => x + y).collect();
  });
  assert.throws(() => joined.graph(undefined, 1), (e: WeirError) => e.code === 'WEIR_INVALID_GRAPH' && /event-time window .*carries no timestamps/.test(e.message));
  const fine = defineJob('t-window-timestamps', (env) => {
    env.fromArray([1, 2, 3]).assignTimestampsAndWatermarks({ timestamp: (n) => n }).map((n) => n).keyBy((n) => n % 2)
      .window(TumblingEventTimeWindows.of(10)).reduce((a, b) => a + b).collect('a');
    env.fromArray([1, 2, 3]).keyBy((n) => n % 2).window(TumblingProcessingTimeWindows.of(10)).reduce((a, b) => a + b).collect('b');
    env.fromArray([1, 2, 3]).keyBy((n) => n % 2).countWindow(2).reduce((a, b) => a + b).collect('c');
  });
  assert.doesNotThrow(() => fine.graph(undefined, 1));
});

let badWatermarkJobs = 0;
test('a watermark interval or out-of-orderness that is not a finite number >= 0 is refused when the job is built', () => {
  for (const [strategy, pattern] of [
    [{ intervalMs: Number.NaN }, /intervalMs must be a finite number >= 0 .*got NaN/],
    [{ intervalMs: '50' }, /intervalMs must be a finite number >= 0 .*got "50"/],
    [{ intervalMs: -1 }, /intervalMs .*got -1/],
    [{ maxOutOfOrdernessMs: Infinity }, /maxOutOfOrdernessMs must be a finite number >= 0, got Infinity/],
  ] as const) {
    const job = defineJob(`t-bad-watermarks-${++badWatermarkJobs}`, (env) => {
      env.fromArray([1]).assignTimestampsAndWatermarks({ timestamp: (n: number) => n, ...strategy } as never).collect();
    });
    assert.throws(() => job.execute(base), (e: WeirError) => e.code === 'WEIR_INVALID_ARGUMENT' && pattern.test(e.message), JSON.stringify(strategy));
  }
});

for (const sign of [1, -1]) {
  test(`a ${sign > 0 ? '+' : '-'}Infinity timestamp fails the job naming the assigner and the record (it would end event time, or be late forever)`, async () => {
    const err = await rejection(infiniteTimestampJob.execute({ ...base, params: { sign } }).done);
    assert.equal(err.code, 'WEIR_USER_FUNCTION_FAILED');
    assert.match(err.message, /timestamp assigner/);
    assert.match(err.message, new RegExp(`timestamp must be a finite number \\(epoch ms\\), got ${sign > 0 ? '' : '-'}Infinity`));
    assert.match(err.message, /record 3/);
  });
}

test('union with something that is not a stream is refused with WEIR_INVALID_ARGUMENT', () => {
  const job = defineJob('t-union-not-stream', (env) => {
    env.fromArray([1]).union(5 as never).collect();
  });
  assert.throws(() => job.execute(base), (e: WeirError) => e.code === 'WEIR_INVALID_ARGUMENT' && /union: expected DataStreams, got 5/.test(e.message));
});

for (const [mistake, operator, pattern] of [
  ['non-keyed-timer', 'Timers', /timers need a keyed stream: call keyBy/],
  ['flatmap-string', 'Upper', /flatMap must return an iterable of records .*got the string "(TO|BE)"/],
  ['async-string', 'Lookup', /results must be iterable.*got the string "(TO|BE)"; wrap one result in an array/],
  ['async-open', 'Opener', /open\(\) of operator 'Opener' .*returned a Promise/],
] as const) {
  test(`a function mistake fails the job with a message saying what to do: ${mistake}`, async () => {
    // Restarts allowed: a mistake that is a WeirError of its own (a timer on a non-keyed stream) still fails at once.
    const restartStrategy = mistake === 'non-keyed-timer' ? { type: 'fixed-delay' as const, attempts: 1000, delayMs: 0 } : { type: 'none' as const };
    const client = functionMistakeJob.execute({ ...base, params: { mistake }, restartStrategy });
    const err = await rejection(client.done);
    assert.equal(err.code, mistake === 'async-open' ? 'WEIR_ASYNC_USER_FUNCTION' : mistake === 'non-keyed-timer' ? 'WEIR_INVALID_TIMER' : 'WEIR_USER_FUNCTION_FAILED');
    if (mistake === 'non-keyed-timer') assert.equal(client.attempts, 1, 'a timer on a non-keyed stream is not restarted (the next record meets it again)');
    assert.match(err.message, new RegExp(`operator '${operator}'`));
    assert.match(err.message, pattern);
  });
}

test('a timer at a timestamp that is not a number throws WEIR_INVALID_TIMER, which the function can catch', async () => {
  const result = await badTimerJob.execute(base).done;
  assert.deepEqual(result.collected.out, [
    'event NaN: WEIR_INVALID_TIMER: timer timestamp must be a number (epoch ms), got NaN',
    'processing NaN: WEIR_INVALID_TIMER: timer timestamp must be a number (epoch ms), got NaN',
    'event 5: WEIR_INVALID_TIMER: timer timestamp must be a number (epoch ms), got "5"',
  ]);
});

test('bad options are refused with WEIR_INVALID_ARGUMENT', () => {
  assert.throws(() => statelessJob.execute({ ...base, params: { items: [] }, parallelism: 0 }), (e: WeirError) => e.code === 'WEIR_INVALID_ARGUMENT' && /parallelism/.test(e.message));
  assert.throws(() => statelessJob.execute({ ...base, params: { items: [] }, paralellism: 2 } as never), (e: WeirError) => e.code === 'WEIR_INVALID_ARGUMENT' && /unknown option 'paralellism'/.test(e.message));
  assert.throws(() => statelessJob.execute({ ...base, params: { items: [] }, retainCollected: 'no' } as never), (e: WeirError) => e.code === 'WEIR_INVALID_ARGUMENT' && /retainCollected must be true or false, got "no"/.test(e.message));
  assert.throws(() => statelessJob.execute({ ...base, params: { items: [] }, allowNonRestoredState: 1 } as never), (e: WeirError) => e.code === 'WEIR_INVALID_ARGUMENT' && /allowNonRestoredState must be true or false, got 1/.test(e.message));
  assert.throws(() => statelessJob.execute({ ...base, params: { items: [] }, parallelism: '2' } as never), (e: WeirError) => e.code === 'WEIR_INVALID_ARGUMENT' && /parallelism must be an integer .*got "2"/.test(e.message));
  assert.throws(() => statelessJob.execute({ ...base, params: { items: [] }, restore: { directory: '/sp/savepoint-x', metadata: {} } } as never), (e: WeirError) => e.code === 'WEIR_INVALID_ARGUMENT' && /got a completed checkpoint object: pass its \.directory \('\/sp\/savepoint-x'\)$/.test(e.message));
  assert.throws(() => statelessJob.execute({ ...base, params: { items: [] }, batching: { bufferTimeoutMs: -1 } }), (e: WeirError) => e.code === 'WEIR_INVALID_ARGUMENT' && /batching.bufferTimeoutMs must be an integer/.test(e.message));
});

test('a graph that differs in workers fails with WEIR_JOB_GRAPH_MISMATCH', async () => {
  const err = await rejection(nondeterministicJob.execute({ ...base, parallelism: 1 }).done);
  assert.equal(err.code, 'WEIR_JOB_GRAPH_MISMATCH');
});

test('a job not defined at the top level of its module fails with WEIR_JOB_MODULE', async () => {
  const hidden = defineJob('t-not-top-level', (env) => {
    env.fromSequence(1, 3).collect();
  }, { module: new URL('./support/random.ts', import.meta.url) });
  const err = await rejection(hidden.execute(base).done);
  assert.equal(err.code, 'WEIR_JOB_MODULE');
  assert.match(err.message, /call defineJob\('t-not-top-level', …\) at the top level/);
});

test('cancel stops an unbounded job and frees the workers', async () => {
  const client = unboundedJob.execute({ ...base, parallelism: 2, retainCollected: false });
  let seen = 0;
  const reading = (async () => {
    for await (const _ of client.results('out')) seen++;
  })();
  while (seen < 1000) await new Promise((r) => setTimeout(r, 20));
  await client.cancel();
  const result = await client.done;
  await reading;
  assert.equal(result.status, 'cancelled');
  assert.equal(client.status, 'cancelled');
  assert.ok(seen >= 1000);
});

test('fromArray / fromSequence given a watermark strategy (JavaScript): refused, naming where the strategy goes', () => {
  const job = defineJob('t-array-strategy', (env) => {
    (env.fromArray as (items: number[], s: unknown) => unknown)([1, 2], { timestamp: (x: number) => x });
  });
  assert.throws(() => job.execute(base), (e: WeirError) => e.code === 'WEIR_INVALID_ARGUMENT' && /fromArray: unexpected argument .*assignTimestampsAndWatermarks/.test(e.message));
});

test('a record with an invalid key fails the job at once (WEIR_INVALID_KEY is not restartable: the record comes again)', async () => {
  const client = nanKeyJob.execute({ ...base, parallelism: 2, restartStrategy: { type: 'fixed-delay', attempts: 1000, delayMs: 0 } });
  const err = await rejection(client.done);
  assert.equal(err.code, 'WEIR_INVALID_KEY');
  assert.match(err.message, /NaN/);
  assert.equal(client.attempts, 1);
});

test('keyed state used in open() fails the job at once with WEIR_NO_CURRENT_KEY, saying where keyed state may be used', async () => {
  const client = stateInOpenJob.execute({ ...base, restartStrategy: { type: 'fixed-delay', attempts: 1000, delayMs: 0 } });
  const err = await rejection(client.done);
  assert.equal(err.code, 'WEIR_NO_CURRENT_KEY');
  assert.match(err.message, /open\(\) of operator .* only while it processes a record or a timer \(processElement, onTimer, a window function\), not in open\(\) or close\(\)/);
  assert.equal(client.attempts, 1);
});

test('a throwing key selector names the keyed operator it belongs to and the upstream subtask that ran it', async () => {
  const err = await rejection(throwingKeySelectorJob.execute({ ...base, parallelism: 2, restartStrategy: { type: 'none' } }).done);
  assert.equal(err.code, 'WEIR_USER_FUNCTION_FAILED');
  assert.match(err.message, /key selector \(keyBy\) of operator 'Counter' \(uid counter\) threw in subtask [12]\/2 of upstream operator 'Upstream' \(uid up\) on record 500: no key for 500/);
  assert.equal(err.details.operator, 'Counter');
  assert.equal(err.details.uid, 'counter');
  assert.deepEqual({ ...(err.details.upstream as object), subtask: 0 }, { operator: 'Upstream', uid: 'up', subtask: 0 });
});

test('results() refuses a highWaterMark below 1 (it paused the sink for good); without a name, results() and collected() use the job\'s only collect sink', async () => {
  const client = statelessJob.execute({ ...base, params: { items: [1, 2, 3, 4] } });
  for (const hwm of [0, -1, Number.NaN, 1.5]) {
    assert.throws(() => client.results('out', { highWaterMark: hwm }), (e: WeirError) => e.code === 'WEIR_INVALID_ARGUMENT' && /highWaterMark must be an integer >= 1/.test(e.message), String(hwm));
  }
  const seen: unknown[] = [];
  for await (const r of client.results()) seen.push(r); // the only sink, 'out'
  await client.done;
  assert.deepEqual(client.collected(), client.collected('out'));
  assert.deepEqual([...seen].sort(), [...client.collected('out')].sort());
  assert.throws(() => client.collected('nope'), (e: WeirError) => e.code === 'WEIR_INVALID_ARGUMENT' && /no collect sink named 'nope' .*\(collect sinks: out\)/.test(e.message));
});

test('a jobId or uid of only dots is refused before anything runs (\'..\' named the state directory\'s parent, which the job removed at its end)', () => {
  for (const jobId of ['.', '..', '...']) {
    assert.throws(() => statelessJob.execute({ ...base, params: { items: [1] }, jobId }), (e: WeirError) => e.code === 'WEIR_INVALID_ARGUMENT' && /cannot be only dots/.test(e.message) && e.details.option === 'jobId', jobId);
  }
  const job = defineJob('t-dots-uid', (env) => {
    env.fromArray([1]).map((x) => x).uid('..').collect();
  });
  assert.throws(() => job.execute(base), (e: WeirError) => e.code === 'WEIR_INVALID_ARGUMENT' && /uid '\.\.' cannot be only dots/.test(e.message));
  assert.throws(() => jobWorkingStatePath('/tmp/state', '..'), (e: WeirError) => e.code === 'WEIR_INVALID_ARGUMENT');
});
