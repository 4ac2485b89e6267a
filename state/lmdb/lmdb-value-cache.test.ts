/**
 * The LMDB backend's write-back caches (lmdb-value-cache.ts for values and map entries, the
 * pending timers of lmdb-timer-store.ts): LMDB's semantics are kept (reads are copies), and
 * whatever reads the database directly — snapshots, scans of keys or of a map, stats — sees every
 * write, also past the cache's bound.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MapStateDescriptor, ValueStateDescriptor } from '../descriptors.ts';
import { makeBackend, removeDir, resolver, takeSnapshot, tempDir } from '../testing/backend-fixtures.ts';
import { LmdbValueCache, VALUE_CACHE_MAX_ENTRIES } from './lmdb-value-cache.ts';

const root = tempDir();
after(() => removeDir(root));

describe('LMDB write-back caches', () => {
  test('the value cache is full past its entry bound or its byte bound (values kept as bytes and their keys), whichever comes first', () => {
    const written: unknown[] = [];
    const cache = new LmdbValueCache((e) => written.push(e), 1_000, 10_000);
    const key = (i: number) => Buffer.from(`k${String(i).padStart(4, '0')}`); // 5 bytes
    for (let i = 0; i < 9; i++) cache.set(0, i, key(i), undefined, NaN, Buffer.alloc(1_000), false);
    assert.equal(cache.heldBytes, 9 * 1_005);
    assert.equal(cache.full, false);
    cache.set(0, 9, key(9), undefined, NaN, Buffer.alloc(1_000), false);
    assert.equal(cache.full, true, 'past 10 000 bytes with 10 entries');
    const e = cache.get(0, 0)!;
    cache.rewrite(e, 5, NaN, null, false); // a value now kept as a primitive: its bytes no longer count
    assert.equal(cache.heldBytes, 9 * 1_005 + 5);
    assert.equal(cache.full, false);
    cache.rewrite(e, undefined, NaN, Buffer.alloc(3_000), false); // grown in place
    assert.equal(cache.full, true);
    cache.flush(true);
    assert.equal(written.length, 10, 'every dirty entry written out');
    assert.equal(cache.heldBytes, 0);
    assert.equal(cache.full, false);
    for (let i = 0; i < 1_001; i++) cache.set(1, i, key(i), i, NaN, null, false); // primitives: only keys count
    assert.equal(cache.full, true, 'past 1 000 entries');
  });

  test('a value read from the cache is a copy: changing it without update() changes nothing', async () => {
    const b = await makeBackend('lmdb', root);
    try {
      const s = b.getState(new ValueStateDescriptor<{ n: number }>('obj'));
      b.batch(() => {
        b.setCurrentKey('k');
        s.update({ n: 1 });
        s.value()!.n = 99; // not written back
        assert.deepEqual(s.value(), { n: 1 });
      });
      b.setCurrentKey('k');
      assert.deepEqual(s.value(), { n: 1 });
    } finally {
      await b.dispose({ deleteFiles: true });
    }
  });

  test('more keys than the cache holds: every write reaches snapshots, scans and a restored backend', async () => {
    const b = await makeBackend('lmdb', root);
    const n = VALUE_CACHE_MAX_ENTRIES + 5_000;
    const count = new ValueStateDescriptor<number>('count');
    const seen = new MapStateDescriptor<string, number>('seen');
    try {
      const c = b.getState(count);
      const m = b.getState(seen);
      b.batch(() => {
        for (let i = 0; i < n; i++) {
          b.setCurrentKey(i);
          c.update((c.value() ?? 0) + i);
          if (i % 7 === 0) m.put(`a${i}`, i);
        }
        for (let i = 0; i < n; i += 3) {
          b.setCurrentKey(i);
          c.update(c.value()! + 1);
          if (i % 7 === 0) m.remove(`a${i}`);
        }
      });
      assert.equal(b.stats().entries, n + Math.floor((n - 1) / 7) + 1 - Math.floor((n - 1) / 21) - 1);
      let keys = 0;
      b.applyToAllKeys(count, () => keys++);
      assert.equal(keys, n);
      const handle = await takeSnapshot(b, root, 1);
      const r = await makeBackend('lmdb', root);
      try {
        await r.restore([handle], resolver(root));
        const rc = r.getState(count);
        const rm = r.getState(seen);
        for (const i of [0, 1, 3, 7, 21, 22, n - 1]) {
          r.setCurrentKey(i);
          assert.equal(rc.value(), i + (i % 3 === 0 ? 1 : 0), `count of ${i}`);
          assert.equal(rm.get(`a${i}`), i % 7 === 0 && i % 3 !== 0 ? i : undefined, `map entry of ${i}`);
        }
      } finally {
        await r.dispose({ deleteFiles: true });
      }
    } finally {
      await b.dispose({ deleteFiles: true });
    }
  });

  test('a map iterated while written, cleared and written again sees every cached write', async () => {
    const b = await makeBackend('lmdb', root);
    try {
      const m = b.getState(new MapStateDescriptor<number, string>('m'));
      b.batch(() => {
        b.setCurrentKey('k');
        for (let i = 0; i < 600; i++) m.put(i, `v${i}`);
        const got: number[] = [];
        for (const [k] of m.entries()) {
          got.push(k);
          if (k === 10) m.put(599, 'changed'); // in a later chunk of the iteration
        }
        assert.equal(got.length, 600);
        assert.equal(m.get(599), 'changed');
        m.clear();
        assert.equal(m.get(1), undefined);
        m.put(1, 'again');
        assert.deepEqual([...m.entries()], [[1, 'again']]);
      });
    } finally {
      await b.dispose({ deleteFiles: true });
    }
  });

  test('timers registered and deleted without reaching LMDB are in a snapshot and fire after a restore', async () => {
    const b = await makeBackend('lmdb', root);
    try {
      b.batch(() => {
        for (let i = 0; i < 50; i++) {
          b.setCurrentKey(i);
          b.timers.registerEventTimeTimer(1000 + i);
          b.timers.registerEventTimeTimer(1000 + i); // idempotent
          if (i % 5 === 0) b.timers.deleteEventTimeTimer(1000 + i);
        }
      });
      const handle = await takeSnapshot(b, root, 1);
      const r = await makeBackend('lmdb', root);
      try {
        await r.restore([handle], resolver(root));
        const fired: number[] = [];
        r.timers.advanceWatermark(Infinity, (ts) => fired.push(ts));
        assert.deepEqual(fired, Array.from({ length: 50 }, (_, i) => 1000 + i).filter((ts) => (ts - 1000) % 5 !== 0));
      } finally {
        await r.dispose({ deleteFiles: true });
      }
    } finally {
      await b.dispose({ deleteFiles: true });
    }
  });
});
