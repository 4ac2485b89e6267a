/**
 * One running job per job id: a second job with the id of a running one — in this process, or in
 * another process (its lock file) — is refused with WEIR_JOB_ID_IN_USE before it writes anything,
 * and the running job goes on untouched (its checkpoints, its LMDB working state); a lock file left
 * by a process that is gone is taken over; the id is free again once the job ended.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WeirError, type JobClient } from '../index.ts';
import { LOCK_FILE_NAME } from '../runtime/job/job-id-lease.ts';
import { unboundedJob } from './support/jobs.ts';
import { checkpointsCompleted } from './support/checkpoint-events.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-job-id-'));
test.after(() => fs.rmSync(root, { recursive: true, force: true }));

const options = (jobId: string) => ({
  jobId,
  parallelism: 1,
  retainCollected: false,
  stateBackend: 'lmdb' as const,
  stateDirectory: path.join(root, 'state'),
  checkpointing: { intervalMs: 50, directory: path.join(root, 'checkpoints') },
});

async function refusal(client: JobClient): Promise<WeirError> {
  const err = await client.done.then(() => assert.fail('expected WEIR_JOB_ID_IN_USE'), (e: unknown) => e);
  assert.ok(err instanceof WeirError);
  assert.equal(err.code, 'WEIR_JOB_ID_IN_USE');
  return err;
}

test('a second job with the id of a running one is refused; the first goes on; the id is free once it ended', async () => {
  const first = unboundedJob.execute(options('twice'));
  try {
    await checkpointsCompleted(first, 1);
    const err = await refusal(unboundedJob.execute(options('twice')));
    assert.match(err.message, /job id 'twice' is in use: a job of this process is running with it/);
    // The refused job removed nothing of the running one's: its working state and locks are there,
    // and it still completes checkpoints.
    assert.ok(fs.existsSync(path.join(root, 'state', 'twice', LOCK_FILE_NAME)));
    assert.ok(fs.existsSync(path.join(root, 'checkpoints', 'twice', LOCK_FILE_NAME)));
    const before = first.checkpointStats()?.counts.completed ?? 0;
    await checkpointsCompleted(first, before + 1);
    assert.equal(first.status, 'running');
  } finally {
    await first.cancel();
  }
  assert.equal((await first.done).status, 'cancelled');
  assert.ok(!fs.existsSync(path.join(root, 'checkpoints', 'twice', LOCK_FILE_NAME)), 'the lock is released at the end');
  // Free again: the same id runs (and continues the first run's checkpoints).
  const again = unboundedJob.execute(options('twice'));
  try {
    await checkpointsCompleted(again, 1);
  } finally {
    await again.cancel();
  }
  assert.equal((await again.done).status, 'cancelled');
});

test('a lock file held by another live process refuses the id; one left by a process that is gone is taken over', async () => {
  const lock = path.join(root, 'checkpoints', 'elsewhere', LOCK_FILE_NAME);
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  fs.writeFileSync(lock, `${process.ppid}\n`); // the process that started this test: alive
  const err = await refusal(unboundedJob.execute(options('elsewhere')));
  assert.match(err.message, new RegExp(`process ${process.ppid} holds .*${LOCK_FILE_NAME}`));
  assert.equal(fs.readFileSync(lock, 'utf8'), `${process.ppid}\n`, 'the other process keeps its lock');

  // A pid no process has (above the kernel's pid_max): a lock left by a killed process.
  fs.writeFileSync(lock, '2147483646\n');
  const client = unboundedJob.execute(options('elsewhere'));
  try {
    await checkpointsCompleted(client, 1);
    assert.equal(fs.readFileSync(lock, 'utf8'), `${process.pid}\n`, 'taken over by this job');
  } finally {
    await client.cancel();
  }
  assert.equal((await client.done).status, 'cancelled');
});
