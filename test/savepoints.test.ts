/**
 * Savepoints of a running keyed counting job: `triggerSavepoint(dir)` writes a
 * self-contained `savepoint-<job>-<id>/` that still restores after being moved
 * elsewhere; `stopWithSavepoint(dir)` then a restore delivers every record
 * exactly once across both runs; and savepoints are backend-independent (one
 * taken on LMDB restores into heap, one taken on heap into LMDB, counts exact).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CheckpointStorage } from '../runtime/checkpoint/checkpoint-storage.ts';
import { completedCheckpointFromMetadata } from '../runtime/checkpoint/checkpoint-metadata.ts';
import type { WeirError } from '../index.ts';
import type { Counted } from './support/checkpoint-jobs.ts';
import { assertContinues, expectationOf, recoveryCountJob, totalOfKey, whenRunning } from './support/recovery-jobs.ts';

const N = 20_000;
const KEYS = 8;
const P = 2;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-savepoints-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
let stopped: { before: Counted[]; after: Counted[]; covered: number } | undefined;

function start(name: string, backend: 'heap' | 'lmdb') {
  return recoveryCountJob.execute({
    params: { n: N, keys: KEYS, spinMicros: 100 },
    parallelism: P,
    jobId: `sp-${name}`,
    stateBackend: backend,
    stateDirectory: path.join(root, name, 'state'),
    bufferBytes: 1024,
    checkpointing: { directory: path.join(root, name, 'checkpoints') },
  });
}

async function restoreInto(restore: string, backend: 'heap' | 'lmdb', name: string): Promise<Counted[]> {
  const result = await recoveryCountJob.execute({
    params: { n: N, keys: KEYS, spinMicros: 0 },
    parallelism: P,
    stateBackend: backend,
    stateDirectory: path.join(root, name, 'state-restored'),
    bufferBytes: 1024,
    restore,
  }).done;
  assert.equal(result.status, 'finished');
  return result.collected.out as Counted[];
}

describe('savepoints', () => {
  test('triggerSavepoint while running: self-contained and relocatable; taken on LMDB, restored into heap', async () => {
    const client = start('trigger', 'lmdb');
    const spDir = path.join(root, 'trigger', 'savepoints');
    let sp;
    try {
      await whenRunning(client);
      sp = await client.triggerSavepoint(spDir);
      assert.equal(client.status, 'running', 'the job keeps running after a savepoint');
    } finally {
      await client.cancel();
    }
    await client.done;
    assert.equal(sp.kind, 'savepoint');
    assert.equal(sp.metadata.alignment, 'aligned');
    assert.deepEqual(fs.readdirSync(spDir), [path.basename(sp.directory)]);
    assert.match(path.basename(sp.directory), /^savepoint-sp-trigger-[0-9a-f]{12}$/);
    assert.ok(fs.existsSync(path.join(sp.directory, '_metadata')));
    assert.ok(sp.metadata.files.length > 0 && sp.metadata.files.every((f) => !f.shared), 'no shared files');

    // Move it: copy elsewhere, delete the original (and the job's checkpoint dir).
    const moved = path.join(root, 'elsewhere', 'my-savepoint');
    fs.cpSync(sp.directory, moved, { recursive: true });
    fs.rmSync(spDir, { recursive: true, force: true });
    fs.rmSync(path.join(root, 'trigger', 'checkpoints'), { recursive: true, force: true });
    const loaded = await CheckpointStorage.load(moved);
    const relocated = completedCheckpointFromMetadata(loaded.metadata, loaded.metadataPath, loaded.directory);
    const expected = await expectationOf(relocated, KEYS);
    assert.equal(expected.inFlight.length, 0);
    assert.ok(expected.rest.length > 0 && expected.rest.length < N, `taken mid-run: ${expected.rest.length} of ${N} left`);
    assert.deepEqual(expected.counted.reduce((a, b) => a + b, 0), N - expected.rest.length, 'counted + remaining = all');

    const out = await restoreInto(moved, 'heap', 'trigger');
    assertContinues(out, expected, N, KEYS, 'relocated savepoint, LMDB → heap');
  });

  test('savepoint requests made at once take turns: each completes, whole, in its own directory', async () => {
    const client = start('concurrent', 'lmdb');
    const dirs = ['a', 'b', 'a'].map((d) => path.join(root, 'concurrent', d));
    let sps;
    try {
      await whenRunning(client);
      sps = await Promise.all([...dirs.map((d) => client.triggerSavepoint(d)), client.triggerCheckpoint()]);
      assert.equal(client.status, 'running');
      assert.equal(client.failovers.length, 0);
    } finally {
      await client.cancel();
    }
    await client.done;
    for (const [i, sp] of sps.slice(0, 3).entries()) {
      assert.equal(path.dirname(sp.directory), dirs[i]);
      // Every file of each savepoint is inside it, with its size and sha256 (each subtask held one
      // directory: a second request used to redirect the first one's files).
      const loaded = await CheckpointStorage.load(sp.directory);
      assert.equal(loaded.metadata.checkpointId, sp.checkpointId);
      assert.ok(loaded.metadata.files.length > 0);
    }
    assert.equal(new Set(sps.map((s) => s.checkpointId)).size, 4);
  });

  test('stopWithSavepoint then restore: the restored run delivers exactly the rest; taken on heap, restored into LMDB', async () => {
    const client = start('stop', 'heap');
    let sp;
    try {
      await whenRunning(client);
      const stopping = client.stopWithSavepoint(path.join(root, 'stop', 'savepoints'));
      // A second stop, and a savepoint, asked for while it stops: refused at once, as the job is ending.
      for (const late of [client.stopWithSavepoint(path.join(root, 'stop', 'again')), client.triggerSavepoint(path.join(root, 'stop', 'again'))]) {
        await assert.rejects(late, (e: WeirError) => e.code === 'WEIR_JOB_NOT_RUNNING' && /is stopping with a savepoint/.test(e.message));
      }
      sp = await stopping;
    } finally {
      await client.cancel();
    }
    const first = await client.done;
    // Nothing of the job keeps the app's process alive once done settled (a 10 s timer did).
    assert.ok(!process.getActiveResourcesInfo().includes('Timeout'), `no timer left: ${process.getActiveResourcesInfo().join(', ')}`);
    assert.equal(first.status, 'finished'); // stop-with-savepoint ends FINISHED, as in Flink
    assert.equal(first.savepointPath, sp.directory);
    const expected = await expectationOf(sp, KEYS);
    assert.ok(expected.rest.length > 0 && expected.rest.length < N, `stopped mid-run: ${expected.rest.length} of ${N} left`);
    const afterRestore = await restoreInto(sp.directory, 'lmdb', 'stop');
    assertContinues(afterRestore, expected, N, KEYS, 'heap → LMDB');
    stopped = { before: first.collected.out as Counted[], after: afterRestore, covered: N - expected.rest.length };
  });

  // Regression: the collect sink must deliver exactly the records a stop-with-savepoint covers
  // (the savepoint's completion can arrive before the main thread read its barrier).
  test('stopWithSavepoint then restore: every record exactly once across both runs', () => {
    assert.ok(stopped, 'the previous test ran');
    const { before, after: restored, covered } = stopped;
    assert.equal(before.length, covered, 'the first run delivered exactly what the savepoint covers');
    const all = [...before, ...restored];
    assert.deepEqual(all.map((c) => c.i).sort((a, b) => a - b), Array.from({ length: N }, (_, i) => i), 'every record exactly once across both runs');
    for (let k = 0; k < KEYS; k++) {
      assert.deepEqual(all.filter((c) => c.k === k).map((c) => c.n).sort((a, b) => a - b), Array.from({ length: totalOfKey(N, KEYS, k) }, (_, j) => j + 1), `key ${k}`);
    }
  });
});
