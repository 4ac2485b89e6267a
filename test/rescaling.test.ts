/**
 * Rescaling on restore: the keyed counting job runs at parallelism p1, takes a
 * retained UNALIGNED checkpoint with in-flight data under backpressure, then is
 * stopped with a savepoint; both are restored at p2 for (1→2), (3→2), (2→4).
 * Per key the counts continue from the checkpointed count to exactly the
 * number of input records of that key, and the restored run outputs every
 * remaining (and, for the unaligned checkpoint, every in-flight) record once:
 * keyed state moves by key group, source splits are dealt out again, and the
 * persisted in-flight records are re-routed to their new owners.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Counted } from './support/checkpoint-jobs.ts';
import { assertContinues, expectationOf, finalCounts, recoveryCountJob, totalOfKey, unalignedWithInFlight, whenRunning } from './support/recovery-jobs.ts';

const N = 30_000;
const KEYS = 12;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-rescale-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

async function restoreAt(restore: string, parallelism: number, name: string): Promise<Counted[]> {
  const result = await recoveryCountJob.execute({
    params: { n: N, keys: KEYS, spinMicros: 0 },
    parallelism,
    stateBackend: 'lmdb',
    stateDirectory: path.join(root, name, 'state'),
    bufferBytes: 1024,
    restore,
  }).done;
  assert.equal(result.status, 'finished');
  const out = result.collected.out as Counted[];
  assert.equal(new Set(out.map((c) => c.i)).size, out.length, 'no duplicate record in the restored run');
  assert.deepEqual(finalCounts(out, KEYS), Array.from({ length: KEYS }, (_, k) => totalOfKey(N, KEYS, k)), 'per key, the final count equals its input records');
  return out;
}

describe('restore at another parallelism', () => {
  for (const [p1, p2] of [[1, 2], [3, 2], [2, 4]] as const) {
    test(`${p1} → ${p2}: from an unaligned checkpoint with in-flight data and from a savepoint`, async () => {
      const dir = path.join(root, `p${p1}-${p2}`);
      const client = recoveryCountJob.execute({
        params: { n: N, keys: KEYS, spinMicros: 100 },
        parallelism: p1,
        threads: 2,
        stateBackend: 'lmdb',
        stateDirectory: path.join(dir, 'state'),
        bufferBytes: 1024,
        checkpointing: { directory: path.join(dir, 'checkpoints'), unaligned: true, retention: 'retain-on-cancel', retained: 10 },
      });
      let unaligned;
      let savepoint;
      try {
        await whenRunning(client);
        unaligned = await unalignedWithInFlight(client, KEYS);
        savepoint = await client.stopWithSavepoint(path.join(dir, 'savepoints'));
      } finally {
        await client.cancel();
      }
      await client.done;

      // The unaligned checkpoint really holds in-flight data, on the keyed edge, recorded per subtask.
      const withChannelState = unaligned.checkpoint.metadata.subtasks.filter((s) => s.channelStateHandles !== null);
      assert.ok(withChannelState.length > 0, 'some subtask has channelStateHandles');
      assert.ok(unaligned.expectation.inFlight.length > 0);
      assert.equal(unaligned.checkpoint.metadata.vertices.find((v) => v.vertexId === 'counter')!.parallelism, p1);
      const outU = await restoreAt(unaligned.checkpoint.directory, p2, 'from-unaligned');
      assertContinues(outU, unaligned.expectation, N, KEYS, `unaligned ${p1}→${p2}`);

      assert.equal(savepoint.kind, 'savepoint');
      assert.equal(savepoint.metadata.alignment, 'aligned');
      const expected = await expectationOf(savepoint, KEYS);
      assert.equal(expected.inFlight.length, 0, 'a savepoint persists no in-flight data');
      assert.ok(expected.rest.length > 0 && expected.rest.length < N, `the savepoint was taken mid-run (${expected.rest.length} of ${N} left)`);
      const outS = await restoreAt(savepoint.directory, p2, 'from-savepoint');
      assertContinues(outS, expected, N, KEYS, `savepoint ${p1}→${p2}`);
    });
  }
});
