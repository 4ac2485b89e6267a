/**
 * The JobClient contract (issue #11, defects 5 and 6): params that cannot be
 * cloned are refused synchronously by execute() naming the path; every
 * promise-returning client method rejects, never throws; a savepoint or
 * checkpoint requested while the job initializes waits until it runs;
 * `client.running` resolves when the job runs and rejects when it ends first.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WeirError, type JobClient } from '../index.ts';
import { nondeterministicJob, statelessJob, throwingJob, unboundedJob } from './support/jobs.ts';

const base = { stateBackend: 'heap' as const, parallelism: 1 };

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'weir-client-'));
}

/** Call a promise-returning method; fail if it throws synchronously instead of rejecting. */
function call<T>(f: () => Promise<T>): Promise<T> {
  let p: Promise<T> | undefined;
  assert.doesNotThrow(() => { p = f(); }, 'a promise-returning method must reject, never throw');
  return p!;
}

const code = (c: string) => (e: unknown) => e instanceof WeirError && e.code === c;

test('execute() refuses params that cannot be cloned, synchronously, naming the path', () => {
  const cases: Array<[unknown, string]> = [
    [{ items: [1], options: { fn: (x: number) => x } }, 'params.options.fn'],
    [{ items: [1, Symbol('s')] }, 'params.items[1]'],
    [{ items: [1], lookup: new Map([['k', { run() {} }]]) }, 'params.lookup.get("k").run'],
    [{ items: [1], 'odd key': new WeakMap() }, 'params["odd key"]'],
  ];
  for (const [params, where] of cases) {
    assert.throws(() => statelessJob.execute({ ...base, params: params as { items: number[] } }), (e: unknown) => {
      assert.ok(e instanceof WeirError, String(e));
      assert.equal(e.code, 'WEIR_INVALID_ARGUMENT');
      assert.equal(e.details.path, where);
      assert.ok(e.message.includes(`${where} cannot be cloned`), e.message);
      return true;
    });
  }
});

test('client.running resolves once every subtask runs; a savepoint requested before waits for it', async () => {
  const dir = tmpDir();
  try {
    const client = unboundedJob.execute({ ...base, retainCollected: false, checkpointing: { directory: path.join(dir, 'chk') } });
    assert.equal(client.status, 'initializing');
    const savepoint = call(() => client.triggerSavepoint(path.join(dir, 'sp'))); // used to throw WEIR_INVALID_ARGUMENT
    const checkpoint = call(() => client.triggerCheckpoint());
    const running = await client.running;
    assert.equal(running.attempt, 0);
    assert.equal(running.jobId, client.jobId);
    assert.equal(client.status, 'running');
    const [sp, cp] = await Promise.all([savepoint, checkpoint]);
    assert.equal(sp.kind, 'savepoint');
    assert.ok(fs.existsSync(path.join(sp.directory, '_metadata')));
    assert.equal(cp.kind, 'checkpoint');
    await client.cancel();
    assert.equal((await client.done).status, 'cancelled');
    // After the end: rejected with its own code, not thrown.
    await assert.rejects(call(() => client.triggerCheckpoint()), code('WEIR_JOB_NOT_RUNNING'));
    await assert.rejects(call(() => client.triggerSavepoint(path.join(dir, 'sp'))), code('WEIR_JOB_NOT_RUNNING'));
    await assert.rejects(call(() => client.stopWithSavepoint(path.join(dir, 'sp'))), code('WEIR_JOB_NOT_RUNNING'));
    assert.equal(client.abortCheckpoint(1), false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('checkpoints requested while one is in flight wait their turn (maxConcurrent 1), as Flink queues manual ones', async () => {
  const dir = tmpDir();
  try {
    const client = unboundedJob.execute({ ...base, retainCollected: false, checkpointing: { directory: path.join(dir, 'chk'), maxConcurrent: 1 } });
    try {
      await client.running;
      const done = await Promise.all([1, 2, 3].map(() => call(() => client.triggerCheckpoint()))); // a 409 / TOO_MANY_CHECKPOINT_REQUESTS before
      assert.equal(new Set(done.map((c) => c.checkpointId)).size, 3);
    } finally {
      await client.cancel();
      await client.done;
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a savepoint into a directory that cannot be made (under /proc, where Node\'s recursive mkdir spins) is refused; the job goes on', { timeout: 60_000 }, async () => {
  const dir = tmpDir();
  const client = unboundedJob.execute({ ...base, retainCollected: false, checkpointing: { directory: path.join(dir, 'chk') } });
  try {
    await client.running;
    await assert.rejects(call(() => client.triggerSavepoint('/proc/weir-no-such-dir/sp')), (e: unknown) => {
      assert.ok(e instanceof WeirError && e.code === 'WEIR_INVALID_ARGUMENT', String(e));
      assert.match(e.message, /savepoint directory \/proc\/weir-no-such-dir\/sp cannot be written \(ENOENT/);
      return true;
    });
    assert.equal(client.status, 'running');
  } finally {
    await client.cancel();
    await client.done;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('during the restart delay the failover is visible, and a cancel ends the delay at once', { timeout: 60_000 }, async () => {
  const dir = tmpDir();
  // A ten-minute delay: a cancel that waited it out would time this test out.
  const client = throwingJob.execute({ ...base, params: { bad: 500, to: 1000 }, checkpointing: { directory: path.join(dir, 'chk') }, restartStrategy: { type: 'fixed-delay', attempts: 3, delayMs: 600_000 } });
  try {
    while (client.failovers.length === 0) {
      assert.ok(client.status !== 'failed' && client.status !== 'finished', `the job ended (${client.status}) before its failover showed`);
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(client.status, 'restarting');
    assert.equal(client.failovers[0]!.cause.code, 'WEIR_USER_FUNCTION_FAILED');
    assert.equal(client.checkpointStats()?.counts.inProgress, 0, 'no checkpoint stays in progress through the delay');
    await client.cancel();
    assert.equal((await client.done).status, 'cancelled');
  } finally {
    await client.cancel();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('stop-with-savepoint requested while the job initializes waits, then stops it', async () => {
  const dir = tmpDir();
  try {
    const client = unboundedJob.execute({ ...base, retainCollected: false, checkpointing: { directory: path.join(dir, 'chk') } });
    const sp = await call(() => client.stopWithSavepoint(path.join(dir, 'sp')));
    assert.equal(sp.kind, 'savepoint');
    const result = await client.done;
    assert.equal(result.status, 'finished'); // Flink reports stop-with-savepoint as FINISHED
    assert.equal(result.savepointPath, sp.directory);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a request waiting for the job to run rejects when the job is cancelled first; so does running', async () => {
  const dir = tmpDir();
  try {
    const client = unboundedJob.execute({ ...base, retainCollected: false, checkpointing: { directory: path.join(dir, 'chk') } });
    const savepoint = call(() => client.triggerSavepoint(path.join(dir, 'sp')));
    await call(() => client.cancel());
    await assert.rejects(savepoint, code('WEIR_JOB_NOT_RUNNING'));
    await assert.rejects(client.running, code('WEIR_JOB_CANCELLED'));
    assert.equal((await client.done).status, 'cancelled');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('client.running rejects with the job\'s error when it fails before running', async () => {
  const client = nondeterministicJob.execute(base);
  await assert.rejects(client.running, code('WEIR_JOB_GRAPH_MISMATCH'));
  await assert.rejects(client.done, code('WEIR_JOB_GRAPH_MISMATCH'));
});

test('every promise-returning method rejects (never throws) on bad use', async () => {
  const client: JobClient = statelessJob.execute({ ...base, params: { items: [1, 2, 3] } });
  await assert.rejects(call(() => client.triggerCheckpoint()), code('WEIR_INVALID_ARGUMENT')); // no checkpointing
  await assert.rejects(call(() => client.triggerSavepoint('/tmp/x')), code('WEIR_INVALID_ARGUMENT'));
  await assert.rejects(call(() => client.stopWithSavepoint('/tmp/x')), code('WEIR_INVALID_ARGUMENT'));
  await assert.rejects(call(() => client.triggerSavepoint(undefined as unknown as string)), code('WEIR_INVALID_ARGUMENT'));
  assert.throws(() => client.abortCheckpoint(1), code('WEIR_INVALID_ARGUMENT')); // synchronous API: throws
  await client.running;
  await client.done;
  await call(() => client.metrics());
  await call(() => client.cancel()); // after the end: a no-op
});
