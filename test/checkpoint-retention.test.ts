/**
 * Retention across runs (issue #11, defect 8): a process killed between completing a
 * checkpoint and discarding the oldest one leaves more than `retained` complete
 * checkpoints; the next run on that job directory — a restore, or a new job with the
 * same job id — enforces retention before it runs, never discarding the checkpoint it
 * restores from, and numbers its checkpoints after the existing ones.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { JobClient } from '../index.ts';
import { CheckpointStorage } from '../runtime/checkpoint/checkpoint-storage.ts';
import { unboundedJob } from './support/jobs.ts';
import { untilJobState } from './support/checkpoint-events.ts';

const JOB_ID = 't-retention';

function completeIds(jobDir: string): number[] {
  if (!fs.existsSync(jobDir)) return [];
  return fs.readdirSync(jobDir)
    .filter((d) => /^chk-\d+$/.test(d) && fs.existsSync(path.join(jobDir, d, '_metadata')))
    .map((d) => Number(d.slice(4)))
    .sort((a, b) => a - b);
}

function run(directory: string, retained: number, restore?: string, incremental = false): JobClient {
  return unboundedJob.execute({
    stateBackend: 'heap', parallelism: 1, retainCollected: false, jobId: JOB_ID,
    checkpointing: { directory, retained, retention: 'retain-on-cancel', incremental },
    ...(restore ? { restore } : {}),
  });
}

async function checkpointsThenCancel(client: JobClient, n: number): Promise<number[]> {
  await client.running;
  const ids: number[] = [];
  for (let i = 0; i < n; i++) ids.push((await client.triggerCheckpoint()).checkpointId);
  await client.cancel();
  assert.equal((await client.done).status, 'cancelled');
  return ids;
}

test('a restart enforces retention on the checkpoints an earlier run left, keeping the restored one', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-retention-'));
  const jobDir = path.join(dir, JOB_ID);
  try {
    // An earlier run left four complete checkpoints (as with retained: 4, or crashes before discarding).
    assert.deepEqual(await checkpointsThenCancel(run(dir, 4), 4), [1, 2, 3, 4]);
    assert.deepEqual(completeIds(jobDir), [1, 2, 3, 4]);

    // Restore 'latest' with retained: 2 → the two newest stay, the restored chk-4 among them.
    const restored = run(dir, 2, 'latest');
    const info = await restored.running;
    assert.equal(info.restoredFrom?.checkpointId, 4);
    assert.deepEqual(completeIds(jobDir), [3, 4], 'retention enforced before the job ran');
    assert.deepEqual(await checkpointsThenCancel(restored, 1), [5], 'numbering continues after the existing checkpoints');
    assert.deepEqual(completeIds(jobDir), [4, 5]);

    // Restore an explicit older checkpoint with retained: 1 → only the restored one of those ≤ 4;
    // the newer chk-5 is left alone and new checkpoints are numbered after it.
    const older = run(dir, 1, path.join(jobDir, 'chk-4'));
    assert.equal((await older.running).restoredFrom?.checkpointId, 4);
    assert.deepEqual(completeIds(jobDir), [4, 5]);
    assert.deepEqual(await checkpointsThenCancel(older, 1), [6]);
    assert.deepEqual(completeIds(jobDir), [5, 6], 'chk-4 discarded by retention once chk-6 completed; chk-5 (newer than the restore) left alone');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('restoring an older incremental checkpoint keeps the shared files of a newer one it leaves alone', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-retention-'));
  const jobDir = path.join(dir, JOB_ID);
  try {
    // chk-2 is a delta on chk-1's base file (shared/…): each taken once counts were collected (state to snapshot).
    const first = run(dir, 2, undefined, true);
    await first.running;
    const counted = async () => (await first.metrics()).vertices.find((v) => v.name.includes('Count'))!.recordsIn;
    const ids: number[] = [];
    for (const atLeast of [1, 2_000]) {
      await untilJobState(first, `${atLeast} records counted`, async () => (await counted()) >= atLeast);
      ids.push((await first.triggerCheckpoint()).checkpointId);
    }
    await first.cancel();
    assert.equal((await first.done).status, 'cancelled');
    assert.deepEqual(ids, [1, 2]);
    const base = (await CheckpointStorage.load(path.join(jobDir, 'chk-1'))).metadata.files.filter((f) => f.shared).map((f) => f.path);
    const second = (await CheckpointStorage.load(path.join(jobDir, 'chk-2'))).metadata.files.filter((f) => f.shared).map((f) => f.path);
    assert.ok(base.length > 0 && base.some((f) => second.includes(f)), 'chk-2 references a shared file of chk-1');

    // Restore chk-1 with retained: 1 → chk-3 subsumes chk-1; chk-2 is left alone, and whole.
    const older = run(dir, 1, path.join(jobDir, 'chk-1'), true);
    assert.equal((await older.running).restoredFrom?.checkpointId, 1);
    assert.deepEqual(await checkpointsThenCancel(older, 1), [3]);
    assert.deepEqual(completeIds(jobDir), [2, 3]);
    await CheckpointStorage.load(path.join(jobDir, 'chk-2')); // verifies every referenced file (WEIR_CHECKPOINT_INCOMPLETE when one is gone)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a new job with the same job id enforces retention on what an earlier run left', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-retention-'));
  const jobDir = path.join(dir, JOB_ID);
  try {
    await checkpointsThenCancel(run(dir, 3), 3);
    assert.deepEqual(completeIds(jobDir), [1, 2, 3]);
    const fresh = run(dir, 1); // no restore: a fresh start on the same job directory
    await fresh.running;
    assert.deepEqual(completeIds(jobDir), [3]);
    assert.deepEqual(await checkpointsThenCancel(fresh, 1), [4], 'never written into an old chk directory');
    assert.deepEqual(completeIds(jobDir), [4]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('incomplete checkpoint directories are removed: those a dead run left, before the job runs, and those written into after an abort, when the job ends', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-retention-'));
  const jobDir = path.join(dir, JOB_ID);
  const allIds = () => fs.readdirSync(jobDir).filter((d) => /^chk-\d+$/.test(d)).map((d) => Number(d.slice(4))).sort((a, b) => a - b);
  /** What a subtask leaves when it writes into a checkpoint that never completes: files, no `_metadata`. */
  const incomplete = (id: number) => {
    fs.mkdirSync(path.join(jobDir, `chk-${id}`, 'count-0'), { recursive: true });
    fs.writeFileSync(path.join(jobDir, `chk-${id}`, 'count-0', 'keyed-state.wks'), 'partial');
  };
  let next: JobClient | undefined;
  try {
    await checkpointsThenCancel(run(dir, 2), 2);
    incomplete(3); // the dead run's checkpoint in progress
    next = run(dir, 2, 'latest');
    await next.running;
    assert.deepEqual(allIds(), [1, 2], 'chk-3 (no _metadata) was removed before the job ran');
    incomplete(9); // written while the job runs, as by a subtask after its checkpoint was aborted
    assert.deepEqual(await checkpointsThenCancel(next, 1), [4], 'numbered after the removed chk-3');
    assert.deepEqual(allIds(), [2, 4], 'the job removed chk-9 when it ended');
  } finally {
    await next?.cancel(); // an unbounded job: a failed assertion must not leave it running
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("'delete-on-cancel' (the default): a cancelled job leaves no directory of its own", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-retention-'));
  try {
    const client = unboundedJob.execute({ stateBackend: 'heap', parallelism: 1, retainCollected: false, jobId: 'rm-cancelled', checkpointing: { directory: dir } });
    await client.running;
    await client.triggerCheckpoint();
    assert.ok(fs.existsSync(path.join(dir, 'rm-cancelled', 'chk-1', '_metadata')));
    await client.cancel();
    assert.equal((await client.done).status, 'cancelled');
    assert.deepEqual(fs.readdirSync(dir), [], 'the job directory (its emptied shared/ included) is gone');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a job restored from a savepoint numbers its checkpoints after the savepoint, as Flink continues the checkpoint id', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-retention-'));
  let restored: JobClient | undefined;
  try {
    const first = run(dir, 3);
    await first.running;
    for (let i = 0; i < 3; i++) await first.triggerCheckpoint();
    const savepoint = await first.triggerSavepoint(path.join(dir, 'savepoints'));
    assert.equal(savepoint.checkpointId, 4);
    await first.cancel();
    await first.done;
    restored = unboundedJob.execute({
      stateBackend: 'heap', parallelism: 1, retainCollected: false, jobId: 't-retention-branch',
      checkpointing: { directory: dir, retained: 3, retention: 'retain-on-cancel' }, restore: savepoint.directory,
    });
    await restored.running;
    assert.equal((await restored.triggerCheckpoint()).checkpointId, 5, 'continues after savepoint 4 in a job directory of its own');
  } finally {
    await restored?.cancel();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
