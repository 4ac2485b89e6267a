/**
 * States whose reads share the stored object (descriptors.ts `shareStoredObjects`, used by the
 * window operator's contents): on both backends a read returns the object last written while it
 * stays in memory, snapshots still see each value as of their sync point, and LMDB's write-back
 * cache hands out a decoded copy once it wrote the object out and dropped it. User states keep
 * LMDB's copy semantics.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MapStateDescriptor, ValueStateDescriptor, type KeyedStateBackend, type KeyedStateHandle } from './index.ts';
import { shareStoredObjects } from './descriptors.ts';
import { VALUE_CACHE_MAX_ENTRIES } from './lmdb/lmdb-value-cache.ts';
import { BACKENDS, makeBackend, type BackendKind, removeDir, resolver, snapshotTarget, takeSnapshot, tempDir } from './testing/backend-fixtures.ts';

const root = tempDir();
after(() => removeDir(root));

const sharedMap = () => shareStoredObjects(new MapStateDescriptor<number, number[]>('shared-map'));
const sharedValue = () => shareStoredObjects(new ValueStateDescriptor<{ n: number }>('shared-value'));

/** Appends `x` the way the window operator does: read, change in place, write back. */
function append(b: KeyedStateBackend, d: MapStateDescriptor<number, number[]>, window: number, x: number): number[] {
  const m = b.getState(d);
  return b.batch(() => {
    const list = m.get(window) ?? [];
    list.push(x);
    m.put(window, list);
    return list;
  });
}

/** Runs `fn` on a fresh backend of `kind`, disposed after. */
async function withBackend(kind: BackendKind, fn: (b: KeyedStateBackend) => Promise<void>): Promise<void> {
  const b = await makeBackend(kind, root);
  try {
    await fn(b);
  } finally {
    await b.dispose();
  }
}

/** Window 7 of key 'k' in a fresh backend restored from `handle`. */
async function restoredWindow(kind: BackendKind, handle: KeyedStateHandle): Promise<number[] | undefined> {
  const restored = await makeBackend(kind, root);
  try {
    await restored.restore([handle], resolver(root));
    restored.setCurrentKey('k');
    return restored.getState(sharedMap()).get(7);
  } finally {
    await restored.dispose();
  }
}

for (const kind of BACKENDS) {
  describe(`shared stored objects (${kind})`, () => {
    test('a read returns the object written; user states are unaffected', () => withBackend(kind, async (b) => {
      b.setCurrentKey('k');
      const d = sharedMap();
      const first = append(b, d, 7, 1);
      assert.equal(b.getState(d).get(7), first, 'map entry: the same object');
      const v = b.getState(sharedValue());
      const obj = { n: 1 };
      v.update(obj);
      assert.equal(v.value(), obj, 'value: the same object');
      const plain = b.getState(new MapStateDescriptor<number, number[]>('plain'));
      const mine = [1];
      plain.put(1, mine);
      if (kind === 'lmdb') assert.notEqual(plain.get(1), mine, 'a user state still reads fresh copies on LMDB');
      assert.deepEqual(plain.get(1), [1]);
    }));

    test('a snapshot keeps the value of its sync point when the object is changed in place and written back after it', () => withBackend(kind, async (b) => {
      const d = sharedMap();
      b.setCurrentKey('k');
      append(b, d, 7, 1);
      const snap = b.snapshot(1, snapshotTarget(root, 1));
      append(b, d, 7, 2); // before materialize
      const handle = await snap.materialize();
      append(b, d, 7, 3); // after
      assert.deepEqual(b.getState(d).get(7), [1, 2, 3]);
      assert.deepEqual(await restoredWindow(kind, handle), [1], 'the snapshot holds the list of its sync point');
    }));

    test('past the write-back cache (LMDB drops it): reads are copies with every change, and changes still persist', () => withBackend(kind, async (b) => {
      const d = sharedMap();
      b.setCurrentKey('k');
      const before = append(b, d, 7, 1);
      // More entries than LMDB's cache holds: it writes everything out and starts empty.
      const other = b.getState(new MapStateDescriptor<number, number>('other'));
      b.batch(() => {
        for (let i = 0; i <= VALUE_CACHE_MAX_ENTRIES; i++) other.put(i, i);
      });
      const after = b.getState(d).get(7)!;
      assert.deepEqual(after, [1]);
      if (kind === 'lmdb') assert.notEqual(after, before, 'read back from LMDB: a decoded copy');
      append(b, d, 7, 2);
      const handle = await takeSnapshot(b, root, 2);
      assert.deepEqual(await restoredWindow(kind, handle), [1, 2]);
    }));
  });
}
