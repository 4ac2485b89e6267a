import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { ManualClock } from '../common/clock.ts';
import { type KeyedStateBackend } from './index.ts';
import { BACKENDS, makeBackend, removeDir, resolver, snapshotTarget, takeSnapshot, tempDir } from './testing/backend-fixtures.ts';
import { D, drainTimers, dump, mutate, scenarioKeys } from './testing/state-scenario.ts';

const root = tempDir();
after(() => removeDir(root));

const KEYS = scenarioKeys(1000);

/** Writes that hit every kind of state, including in-place mutation of a value read from state. */
function churn(b: KeyedStateBackend, round: number, every: number): void {
  mutate(b, KEYS, round, { timers: true, onlyEvery: every });
  const value = b.getState(D.value);
  b.batch(() => {
    for (let i = round % every; i < KEYS.length; i += every) {
      b.setCurrentKey(KEYS[i]);
      const o = value.value();
      if (o) {
        o.n = -round; // mutate the object the heap backend holds, then write it back
        o.s = 'mutated';
        value.update(o);
      }
      if (i % 2) b.timers.deleteProcessingTimeTimer(5000 + ((i * 13 + round - 1) % 40));
    }
  });
}

for (const kind of BACKENDS) {
  describe(`snapshot consistency on ${kind}`, () => {
    for (const incremental of [false, true]) {
      test(`${incremental ? 'delta' : 'full'}: writes after the sync point, before and during materialize, are not in the snapshot`, async () => {
        const clock = new ManualClock(0);
        const b = await makeBackend(kind, root, { clock, snapshotChunkRecords: 1 }); // yield after every key group
        const twin = await makeBackend(kind, root, { clock });
        const dst = await makeBackend(kind, root, { clock });
        try {
          for (const x of [b, twin]) mutate(x, KEYS, 0, { timers: true });
          let id = 1;
          if (incremental) {
            await takeSnapshot(b, root, id, { incremental: true });
            b.notifyCheckpointComplete(id++);
            for (const x of [b, twin]) churn(x, 1, 3);
          }
          const expected = dump(b, KEYS);
          // 1. sync point
          const snap = b.snapshot(id, snapshotTarget(root, id, { incremental }));
          // 2. writes before materialize starts
          churn(b, 2, 2);
          // 3. materialize while more writes land between its chunks
          const pending = snap.materialize();
          let done = false;
          void pending.then(() => (done = true));
          for (let r = 3; r < 13; r++) {
            await tick();
            churn(b, r, 5);
          }
          assert.equal(done, false, 'the writes interleaved with materialize()');
          const handle = await pending;
          assert.deepEqual(handle.files.map((f) => f.kind), incremental ? ['full', 'delta'] : ['full']);
          assert.notDeepEqual(dump(b, KEYS), expected, 'the writes did change the live state');
          await dst.restore([handle], resolver(root));
          assert.deepEqual(dump(dst, KEYS), expected);
          assert.deepEqual(drainTimers(dst), drainTimers(twin));
        } finally {
          for (const x of [b, twin, dst]) await x.dispose({ deleteFiles: true });
        }
      });
    }

    test('abort while materializing fails the write and removes the partial file', async () => {
      const b = await makeBackend(kind, root, { snapshotChunkRecords: 1 });
      try {
        mutate(b, KEYS, 0, { timers: true });
        const target = snapshotTarget(root, 77);
        const snap = b.snapshot(77, target);
        const pending = snap.materialize();
        await tick();
        b.notifyCheckpointAborted(77);
        await assert.rejects(pending, { code: 'WEIR_SNAPSHOT_ABORTED' });
        assert.deepEqual(fs.readdirSync(target.exclusiveDir), []);
        assert.equal(snap.materialize(), pending, 'materialize() is idempotent');
        // the backend keeps working and the next snapshot is complete
        const h = await takeSnapshot(b, root, 78);
        assert.ok(h.entries > 0);
        assert.ok(fs.existsSync(path.join(root, 'checkpoints', h.files[0]!.path)));
      } finally {
        await b.dispose({ deleteFiles: true });
      }
    });

    test('snapshot() inside batch() is refused', async () => {
      const b = await makeBackend(kind, root);
      try {
        b.batch(() => {
          assert.throws(() => b.snapshot(1, snapshotTarget(root, 1)), { code: 'WEIR_SNAPSHOT_IN_BATCH' });
        });
      } finally {
        await b.dispose({ deleteFiles: true });
      }
    });
  });
}
