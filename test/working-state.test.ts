/**
 * Keyed state on LMDB keeps a working copy per subtask attempt under
 * `<stateDirectory>/<jobId>/<attempt>/` (runtime/task/working-state.ts): when the job ends —
 * finished after a failover, or failed — nothing of it is left in the state directory, which other
 * jobs may share.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { workingStateJob } from './support/working-state-jobs.ts';

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'weir-working-state-'));
}

test('a finished job leaves no working state behind (two attempts after a failover), nor the directories it created for it', async () => {
  const dir = tmp();
  try {
    const stateDirectory = path.join(dir, 'app', '.weir', 'state');
    const marker = path.join(dir, 'fail-once');
    fs.writeFileSync(marker, '');
    const client = workingStateJob.execute({
      params: { n: 2000, marker }, parallelism: 2, stateBackend: 'lmdb', stateDirectory,
      checkpointing: { intervalMs: 50, directory: path.join(dir, 'checkpoints') },
      restartStrategy: { type: 'fixed-delay', attempts: 3, delayMs: 0 },
    });
    // The first attempt's working copies exist while it runs.
    await client.running;
    assert.ok(fs.existsSync(path.join(stateDirectory, client.jobId)), 'the job keeps its working state under <stateDirectory>/<jobId>');
    const result = await client.done;
    assert.equal(result.status, 'finished');
    assert.equal(result.attempts, 2, 'one failover');
    assert.equal(fs.existsSync(marker), false, 'the failure fired');
    assert.equal((result.collected.out as number[]).length >= 2000, true);
    assert.equal(fs.existsSync(path.join(dir, 'app')), false, 'app/.weir/state, created by the job, removed with it (left empty)');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a failed job leaves no working state behind either, and another job\'s directory is not touched', async () => {
  const dir = tmp();
  try {
    const stateDirectory = path.join(dir, 'state');
    const other = path.join(stateDirectory, 'another-job', '0');
    fs.mkdirSync(other, { recursive: true });
    const client = workingStateJob.execute({
      params: { n: 2000, failAlways: true }, parallelism: 2, stateBackend: 'lmdb', stateDirectory,
      restartStrategy: { type: 'fixed-delay', attempts: 1, delayMs: 0 },
    });
    await assert.rejects(client.done, /injected failure at record 1000/);
    assert.deepEqual(fs.readdirSync(stateDirectory), ['another-job'], 'only the other job\'s directory is left');
    assert.ok(fs.existsSync(other));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
