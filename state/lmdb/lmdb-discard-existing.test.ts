/**
 * A subtask's LMDB working copy is scratch: an environment a killed process left at the same path
 * (same job id, attempt and subtask) must not survive into the new one, or keys the killed run
 * wrote after its last checkpoint leak into the restored state (found by the orders end-to-end
 * test: customers first seen after the checkpoint were counted twice).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ValueStateDescriptor } from '../descriptors.ts';
import { createLmdbKeyedStateBackend } from './lmdb-keyed-state-backend.ts';
import { removeDir, tempDir } from '../testing/backend-fixtures.ts';

const root = tempDir();
after(() => removeDir(root));
const opts = { keyGroupRange: { start: 0, end: 127 }, maxParallelism: 128 };
const COUNT = new ValueStateDescriptor<number>('count');

async function writeAndLeave(envPath: string): Promise<void> {
  const b = await createLmdbKeyedStateBackend({ ...opts, path: envPath });
  b.setCurrentKey('late-key');
  b.getState(COUNT).update(5);
  await b.dispose({ deleteFiles: false }); // what a SIGKILL leaves behind
}

async function valueAt(envPath: string, discardExisting: boolean): Promise<number | undefined> {
  const b = await createLmdbKeyedStateBackend({ ...opts, path: envPath, discardExisting });
  b.setCurrentKey('late-key');
  const v = b.getState(COUNT).value();
  await b.dispose({ deleteFiles: true });
  return v;
}

test('discardExisting: true starts from an empty environment; without it the old keys are there', async () => {
  const kept = path.join(root, 'kept');
  await writeAndLeave(kept);
  assert.equal(await valueAt(kept, false), 5, 'the environment survives a reopen (what the runtime must not rely on)');
  const fresh = path.join(root, 'fresh');
  await writeAndLeave(fresh);
  assert.equal(await valueAt(fresh, true), undefined);
});
