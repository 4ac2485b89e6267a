/**
 * The embedding API: `results()` loses nothing emitted before the iterator was created (and
 * throws the job's error after the last record when the job failed),
 * `execute({ signal })` cancels, `execute({ logger })` routes main-thread and worker lines
 * through the app's pino logger, and a TypeScript job module without a loader for the
 * workers is refused at execute().
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Writable } from 'node:stream';
import v8 from 'node:v8';
import vm from 'node:vm';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { WeirError } from '../index.ts';
import { relayLogLine } from '../actors/logger.ts';
import { checkWorkersCanLoad, TYPESCRIPT_LOADER_MISSING } from '../runtime/job/embedding.ts';
import { keyedJob, statelessJob, throwingJob, unboundedJob } from './support/jobs.ts';

const items = Array.from({ length: 200 }, (_, i) => i);
const base = { stateBackend: 'heap' as const, parallelism: 2, params: { items } };

async function drain<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** An in-memory pino destination: every line, parsed. */
function memoryLogger(level: string, bindings: Record<string, unknown>) {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: pino({ level, base: bindings }, stream), lines };
}

describe('results(name) loses no record emitted before the iterator was created', () => {
  test('retained records (the default): an iterator created after the job finished yields every record', async () => {
    const client = statelessJob.execute(base);
    const result = await client.done;
    const late = await drain(client.results<number>('out'));
    assert.ok(late.length > 0);
    assert.deepEqual(late, result.collected.out);
  });

  for (const stateBackend of ['heap', 'lmdb'] as const) {
    test(`${stateBackend}: the final metrics keep each keyed subtask's state size (the backend is gone by then)`, async () => {
      const items = Array.from({ length: 200 }, (_, i) => ({ key: `k${i % 20}`, value: i }));
      const result = await keyedJob.execute({ params: { items }, parallelism: 2, stateBackend }).done;
      const keyed = result.metrics.vertices.filter((v) => /Reduce|Count|Max/.test(v.name));
      assert.equal(keyed.length, 3, result.metrics.vertices.map((v) => v.name).join(', '));
      const sizes = keyed.flatMap((v) => v.subtasks.map((t) => t.keyedStateBytes));
      assert.ok(sizes.length > 0 && sizes.every((b) => typeof b === 'number' && b > 0), `every keyed subtask reports its state size: ${JSON.stringify(sizes)}`);
    });
  }

  test('a job that fails: the iterator yields what was collected, then throws the job\'s error', async () => {
    const client = throwingJob.execute({ params: { bad: 500, to: 1000 }, parallelism: 1, stateBackend: 'heap' });
    const seen: number[] = [];
    const err = await (async () => {
      for await (const x of client.results<number>('out')) seen.push(x);
    })().then(() => assert.fail('the loop must throw'), (e: unknown) => e);
    assert.ok(err instanceof WeirError);
    assert.equal(err.code, 'WEIR_USER_FUNCTION_FAILED');
    assert.match(err.message, /bad value 500/);
    await assert.rejects(client.done, (e: unknown) => e === err);
    assert.deepEqual(seen, client.collected('out'), 'every collected record was yielded first');
    assert.ok(seen.every((x) => x < 500));
  });

  test('results(): a record read is no longer held by the iterator (memory stays within highWaterMark records)', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const client = unboundedJob.execute({ stateBackend: 'heap', parallelism: 1, retainCollected: false });
    try {
      let first: WeakRef<object> | undefined;
      let n = 0;
      for await (const r of client.results<[number, number]>('out', { highWaterMark: 50 })) {
        first ??= new WeakRef(r);
        if (++n === 300) break;
      }
      await new Promise((r) => setImmediate(r));
      gc();
      assert.equal(first!.deref(), undefined, 'the first record read was collected');
    } finally {
      await client.cancel();
      await client.done;
    }
  });

  test('retainCollected: false — the first iterator gets the backlog, a second one only what comes after', async () => {
    const client = statelessJob.execute({ ...base, retainCollected: false });
    const result = await client.done;
    assert.deepEqual(result.collected.out, []);
    const first = await drain(client.results<number>('out'));
    const expected = await statelessJob.execute(base).done;
    assert.deepEqual([...first].sort((a, b) => a - b), [...(expected.collected.out as number[])].sort((a, b) => a - b));
    assert.deepEqual(await drain(client.results<number>('out')), []);
  });
});

describe('execute({ signal })', () => {
  test('aborting the signal cancels a running job: done resolves with status cancelled', async () => {
    const ac = new AbortController();
    const client = unboundedJob.execute({ stateBackend: 'heap', parallelism: 2, signal: ac.signal });
    for await (const _ of client.results('out')) {
      ac.abort(); // after an observed event: the first record reached the main thread
      break;
    }
    const result = await client.done;
    assert.equal(result.status, 'cancelled');
    assert.equal(client.status, 'cancelled');
  });

  test('an already aborted signal: nothing runs, done resolves cancelled', async () => {
    const client = unboundedJob.execute({ stateBackend: 'heap', parallelism: 2, signal: AbortSignal.abort() });
    const result = await client.done;
    assert.equal(result.status, 'cancelled');
    assert.equal(result.metrics.vertices.reduce((n, v) => n + v.recordsOut, 0), 0);
  });

  test('a signal that is not an AbortSignal is refused before anything runs', () => {
    assert.throws(() => statelessJob.execute({ ...base, signal: {} as AbortSignal }), (e: unknown) => e instanceof WeirError && e.code === 'WEIR_INVALID_ARGUMENT');
  });
});

describe('execute({ logger })', () => {
  test('worker lines are re-logged through the app\'s pino logger with its bindings and their subtask bindings', async () => {
    const { logger, lines } = memoryLogger('debug', { app: 'embedding-test' });
    const result = await statelessJob.execute({ ...base, logger }).done;
    assert.equal(result.status, 'finished');
    const fromWorkers = lines.filter((l) => typeof l.actor === 'string');
    assert.ok(fromWorkers.length > 0, 'worker lines arrived through the app logger');
    for (const l of fromWorkers) {
      assert.equal(l.app, 'embedding-test');
      assert.equal(l.job, result.jobId);
      assert.equal(typeof l.thread, 'number');
      assert.equal(typeof l.workerTime, 'number');
    }
    const deployed = fromWorkers.filter((l) => l.msg === 'subtask deployed');
    assert.equal(deployed.length, result.metrics.vertices.reduce((n, v) => n + v.parallelism, 0), 'one line per subtask, from its own child logger');
    for (const l of deployed) assert.ok(typeof l.vertex === 'string' && typeof l.subtask === 'number' && l.attempt === 0 && typeof l.host === 'number');
  });

  test('the logger\'s level applies to workers; a level name or an invalid logger', async () => {
    const { logger, lines } = memoryLogger('warn', { app: 'quiet' });
    await statelessJob.execute({ ...base, logger }).done;
    assert.deepEqual(lines.filter((l) => (l.level as number) < 40), []);
    assert.equal((await statelessJob.execute({ ...base, logger: 'silent' }).done).status, 'finished');
    for (const bad of ['loud', { info() {} }]) {
      assert.throws(() => statelessJob.execute({ ...base, logger: bad as 'info' }), (e: unknown) => e instanceof WeirError && e.code === 'WEIR_INVALID_ARGUMENT');
    }
  });

  test('logger: \'silent\' silences every line, the actor system\'s too (a lost worker), whatever WEIR_LOG_LEVEL says', () => {
    const child = path.join(path.dirname(fileURLToPath(import.meta.url)), 'support', 'silent-logger-child.ts');
    const run = spawnSync(process.execPath, ['--import', 'tsx', child], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, WEIR_LOG_LEVEL: 'info' } });
    assert.equal(run.stdout.trim(), 'failed WEIR_WORKER_LOST', run.stderr);
    assert.equal(run.stderr, '', 'nothing on stderr');
  });

  test('relayLogLine keeps the worker\'s level, message and fields, drops what the logger already binds', () => {
    const { logger, lines } = memoryLogger('info', { job: 'j1' });
    relayLogLine(logger, JSON.stringify({ level: 50, time: 7, pid: 1, hostname: 'h', job: 'j1', actor: 'a#0@0', msg: 'boom' }));
    relayLogLine(logger, JSON.stringify({ level: 20, time: 8, msg: 'below the level' }));
    relayLogLine(logger, 'not json');
    assert.equal(lines.length, 2);
    assert.deepEqual({ level: lines[0]!.level, msg: lines[0]!.msg, actor: lines[0]!.actor, workerTime: lines[0]!.workerTime, job: lines[0]!.job }, { level: 50, msg: 'boom', actor: 'a#0@0', workerTime: 7, job: 'j1' });
    assert.equal(lines[1]!.msg, 'unparseable worker log line');
  });
});

describe('TypeScript job modules', () => {
  const url = 'file:///app/job.ts';
  test('a .ts job imported with tsx\'s scoped tsImport(): workers get its plain URL (they import it with the loader they get)', async () => {
    // End to end (an app importing the built package, its job through tsImport) this runs; here Weir
    // itself runs from its sources, which a scoped import would load a second time, so only the URL.
    const { tsImport } = await import('tsx/esm/api');
    const mod = (await tsImport('./support/scoped-loader-job.ts', import.meta.url)) as typeof import('./support/scoped-loader-job.ts');
    assert.equal(mod.scopedLoaderJob.moduleUrl, new URL('./support/scoped-loader-job.ts', import.meta.url).href);
  });

  test('a JavaScript job module needs no loader', () => {
    assert.deepEqual(checkWorkersCanLoad('file:///app/job.mjs', 'j', { execArgv: [], stripsTypes: false, tsxFound: false }), { typescript: false });
  });

  test('a .ts job is accepted under tsx, Node\'s type stripping, a preloaded loader, or with tsx installed', () => {
    const none = { execArgv: [] as string[], stripsTypes: false, tsxFound: false };
    assert.deepEqual(checkWorkersCanLoad(url, 'j', { ...none, execArgv: ['--import', 'tsx'] }), { typescript: true });
    assert.deepEqual(checkWorkersCanLoad(url, 'j', { ...none, stripsTypes: true }), { typescript: true });
    assert.deepEqual(checkWorkersCanLoad(url, 'j', { ...none, execArgv: ['--import', './my-ts-hooks.mjs'] }), { typescript: true });
    assert.deepEqual(checkWorkersCanLoad(url, 'j', { ...none, tsxFound: true }), { typescript: true });
  });

  test('with no loader available execute() fails with WEIR_TYPESCRIPT_LOADER_MISSING saying what to install or pass', () => {
    assert.throws(() => checkWorkersCanLoad(url, 'j', { execArgv: [], stripsTypes: false, tsxFound: false }), (e: unknown) => {
      assert.ok(e instanceof WeirError);
      assert.equal(e.code, TYPESCRIPT_LOADER_MISSING);
      assert.match(e.message, /npm install --save-dev tsx/);
      assert.match(e.message, /--experimental-strip-types/);
      return true;
    });
  });
});
