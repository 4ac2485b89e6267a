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
import { defineJob, KeyedStream, WeirError } from '../index.ts';
import { throwingJob, asyncFunctionJob, badJsonlJob, unboundedJob, nondeterministicJob, statelessJob } from './support/jobs.ts';

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
});

test('a user function returning a Promise is refused with WEIR_ASYNC_USER_FUNCTION', async () => {
  const err = await rejection(asyncFunctionJob.execute({ ...base, parallelism: 1 }).done);
  assert.equal(err.code, 'WEIR_ASYNC_USER_FUNCTION');
  assert.match(err.message, /must be synchronous/);
});

test('invalid JSON Lines input fails with WEIR_SOURCE_FAILED and the byte offset', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-bad-'));
  const file = path.join(dir, 'bad.jsonl');
  fs.writeFileSync(file, '{"a":1}\n{"a":2}\n{oops\n');
  try {
    const err = await rejection(badJsonlJob.execute({ ...base, params: { path: file } }).done);
    assert.equal(err.code, 'WEIR_SOURCE_FAILED');
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

test('bad options are refused with WEIR_INVALID_ARGUMENT', () => {
  assert.throws(() => statelessJob.execute({ ...base, params: { items: [] }, parallelism: 0 }), (e: WeirError) => e.code === 'WEIR_INVALID_ARGUMENT' && /parallelism/.test(e.message));
  assert.throws(() => statelessJob.execute({ ...base, params: { items: [] }, paralellism: 2 } as never), (e: WeirError) => e.code === 'WEIR_INVALID_ARGUMENT' && /unknown option 'paralellism'/.test(e.message));
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
