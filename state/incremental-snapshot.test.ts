import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { ManualClock } from '../common/clock.ts';
import { SharedStateRegistry, type KeyedStateHandle } from './index.ts';
import { BACKENDS, makeBackend, removeDir, resolver, snapshotTarget, takeSnapshot, tempDir } from './testing/backend-fixtures.ts';
import { drainTimers, dump, mutate, scenarioKeys } from './testing/state-scenario.ts';

const root = tempDir();
after(() => removeDir(root));

const KEYS = scenarioKeys(400);

for (const kind of BACKENDS) {
  describe(`incremental snapshots on ${kind}`, () => {
    test('base + deltas restore every intermediate state exactly, including deletions and TTL', async () => {
      const clock = new ManualClock(0);
      const b = await makeBackend(kind, root, { clock });
      try {
        mutate(b, KEYS, 0, { timers: true });
        const h1 = await takeSnapshot(b, root, 1, { incremental: true });
        assert.deepEqual(h1.files.map((f) => [f.kind, f.shared]), [['full', true]]);
        assert.match(h1.files[0]!.path, /^shared\//);
        b.notifyCheckpointComplete(1);
        const states: Array<{ h: KeyedStateHandle; dump: string[]; timers: string[]; entries: number }> = [];
        for (let r = 1; r <= 4; r++) {
          clock.set(r * 600); // ttl-value written in round r-2 or earlier expires
          mutate(b, KEYS, r, { timers: true, onlyEvery: 10 });
          const h = await takeSnapshot(b, root, 1 + r, { incremental: true });
          b.notifyCheckpointComplete(1 + r);
          assert.equal(h.files.length, 1 + r);
          assert.deepEqual(h.files.map((f) => f.kind), ['full', ...Array(r).fill('delta')]);
          assert.equal(h.files[0]!.path, h1.files[0]!.path);
          assert.equal(h.incrementalBytes, h.files[r]!.bytes);
          assert.equal(h.stateBytes, h.files.reduce((n, f) => n + f.bytes, 0));
          assert.ok(h.incrementalBytes < h1.stateBytes / 2, `delta ${h.incrementalBytes} vs base ${h1.stateBytes}`);
          const dst = await makeBackend(kind, root, { clock });
          await dst.restore([h], resolver(root));
          const d = dump(dst, KEYS);
          const entries = dst.stats().entries;
          states.push({ h, dump: d, entries, timers: drainTimers(dst) });
          await dst.dispose({ deleteFiles: true });
        }
        assert.deepEqual(states[3]!.dump, dump(b, KEYS));
        assert.equal(states[3]!.entries, b.stats().entries);
        assert.deepEqual(states[3]!.timers, drainTimers(b));
        assert.notDeepEqual(states[0]!.dump, states[3]!.dump);
        // An older handle still restores its own point in time.
        clock.set(600); // TTL is judged against the restore-time clock
        const old = await makeBackend(kind, root, { clock });
        await old.restore([states[0]!.h], resolver(root));
        assert.deepEqual(dump(old, KEYS), states[0]!.dump);
        await old.dispose({ deleteFiles: true });
      } finally {
        await b.dispose({ deleteFiles: true });
      }
    });

    test('changes of an aborted checkpoint are carried by the next delta', async () => {
      const clock = new ManualClock(0);
      const b = await makeBackend(kind, root, { clock });
      try {
        mutate(b, KEYS, 0, { timers: true });
        const base = await takeSnapshot(b, root, 1, { incremental: true });
        b.notifyCheckpointComplete(1);
        mutate(b, KEYS, 1, { timers: true, onlyEvery: 7 }); // changes A (with deletions)
        const aborted = await takeSnapshot(b, root, 2, { incremental: true });
        assert.equal(aborted.files.length, 2);
        b.notifyCheckpointAborted(2);
        mutate(b, KEYS, 2, { timers: true, onlyEvery: 11 }); // changes B
        // A snapshot that is never materialized, then aborted, must not lose anything either.
        b.snapshot(3, snapshotTarget(root, 3, { incremental: true }));
        b.notifyCheckpointAborted(3);
        mutate(b, KEYS, 3, { onlyEvery: 13 }); // changes C
        const h = await takeSnapshot(b, root, 4, { incremental: true });
        assert.deepEqual(h.files.map((f) => f.path), [base.files[0]!.path, h.files[1]!.path]);
        assert.notEqual(h.files[1]!.path, aborted.files[1]!.path);
        b.notifyCheckpointComplete(4);
        const dst = await makeBackend(kind, root, { clock });
        await dst.restore([h], resolver(root));
        assert.deepEqual(dump(dst, KEYS), dump(b, KEYS));
        assert.deepEqual(drainTimers(dst), drainTimers(b));
        await dst.dispose({ deleteFiles: true });
      } finally {
        await b.dispose({ deleteFiles: true });
      }
    });

    test('a new full base after maxDeltasPerBase deltas; savepoints stay out of the chain', async () => {
      const b = await makeBackend(kind, root, { maxDeltasPerBase: 2 });
      try {
        const kinds: string[][] = [];
        mutate(b, KEYS, 0);
        for (let id = 1; id <= 6; id++) {
          mutate(b, KEYS, id, { onlyEvery: 20 });
          if (id === 3) {
            const sp = await takeSnapshot(b, root, 100, { incremental: true, canonical: true });
            assert.deepEqual(sp.files.map((f) => [f.kind, f.shared]), [['full', false]]);
            b.notifyCheckpointComplete(100);
          }
          const h = await takeSnapshot(b, root, id, { incremental: true });
          b.notifyCheckpointComplete(id);
          kinds.push(h.files.map((f) => f.kind));
        }
        assert.deepEqual(kinds, [['full'], ['full', 'delta'], ['full', 'delta', 'delta'], ['full'], ['full', 'delta'], ['full', 'delta', 'delta']]);
      } finally {
        await b.dispose({ deleteFiles: true });
      }
    });

    test('too many tracked changes fall back to a full base', async () => {
      const b = await makeBackend(kind, root, { maxTrackedChanges: 50 });
      try {
        mutate(b, KEYS, 0);
        await takeSnapshot(b, root, 1, { incremental: true });
        b.notifyCheckpointComplete(1);
        mutate(b, KEYS, 1, { onlyEvery: 100 });
        const small = await takeSnapshot(b, root, 2, { incremental: true });
        b.notifyCheckpointComplete(2);
        assert.deepEqual(small.files.map((f) => f.kind), ['full', 'delta']);
        mutate(b, KEYS, 2);
        const big = await takeSnapshot(b, root, 3, { incremental: true });
        assert.deepEqual(big.files.map((f) => f.kind), ['full']);
        const dst = await makeBackend(kind, root);
        await dst.restore([big], resolver(root));
        assert.deepEqual(dump(dst, KEYS), dump(b, KEYS));
        await dst.dispose({ deleteFiles: true });
      } finally {
        await b.dispose({ deleteFiles: true });
      }
    });

    test('with a SharedStateRegistry, subsumed checkpoints delete only files nothing retained needs', async () => {
      const b = await makeBackend(kind, root, { maxDeltasPerBase: 2 });
      const resolve = resolver(root);
      const registry = new SharedStateRegistry((f) => fs.rmSync(f));
      try {
        mutate(b, KEYS, 0);
        const handles: KeyedStateHandle[] = [];
        for (let id = 1; id <= 5; id++) {
          mutate(b, KEYS, id, { onlyEvery: 25 });
          const h = await takeSnapshot(b, root, 200 + id, { incremental: true });
          b.notifyCheckpointComplete(200 + id);
          handles.push(h);
          registry.register(200 + id, h.files.filter((f) => f.shared).map((f) => resolve(f.path)));
          if (id > 1) await registry.release(200 + id - 1); // retain only the latest checkpoint
        }
        const latest = handles[4]!;
        for (const f of latest.files) assert.ok(fs.existsSync(resolve(f.path)), f.path);
        const all = new Set(handles.flatMap((h) => h.files.map((f) => f.path)));
        const kept = new Set(latest.files.map((f) => f.path));
        for (const p of all) assert.equal(fs.existsSync(resolve(p)), kept.has(p), p);
        const dst = await makeBackend(kind, root);
        await dst.restore([latest], resolve);
        assert.deepEqual(dump(dst, KEYS), dump(b, KEYS));
        await dst.dispose({ deleteFiles: true });
      } finally {
        await b.dispose({ deleteFiles: true });
      }
    });

    test('after a restore the first incremental snapshot is a full base of the new attempt', async () => {
      const a = await makeBackend(kind, root);
      const b = await makeBackend(kind, root);
      try {
        mutate(a, KEYS, 0);
        const h1 = await takeSnapshot(a, root, 1, { incremental: true });
        a.notifyCheckpointComplete(1);
        await b.restore([h1], resolver(root));
        mutate(b, KEYS, 1, { onlyEvery: 30 });
        const h2 = await takeSnapshot(b, root, 2, { incremental: true });
        assert.deepEqual(h2.files.map((f) => f.kind), ['full']);
        assert.notEqual(h2.files[0]!.path, h1.files[0]!.path);
        assert.ok(fs.existsSync(resolver(root)(h2.files[0]!.path)));
      } finally {
        await a.dispose({ deleteFiles: true });
        await b.dispose({ deleteFiles: true });
      }
    });
  });
}
