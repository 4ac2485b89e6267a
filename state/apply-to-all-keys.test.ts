import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../common/clock.ts';
import {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  ValueStateDescriptor,
  encodeKey,
  keyGroupFor,
  keyGroupRangeForSubtask,
  type AnyStateDescriptor,
  type KeyedStateBackend,
  type ListState,
  type MapState,
  type ValueState,
} from './index.ts';
import { BACKENDS, canon, makeBackend, removeDir, resolver, snapshotTarget, takeSnapshot, tempDir } from './testing/backend-fixtures.ts';

const root = tempDir();
after(() => removeDir(root));

/** Numbers, strings, bigints and composite keys (arrays, nested arrays, objects, Dates, bytes). */
const MIXED_KEYS: unknown[] = [
  0, 1, 2.5, -7, 1e12, 'a', '', 'user-42', 'ü\u0000x', 12n, -3n,
  [1, 'x'], ['a', [2, 3]], [], { id: 5, tags: ['t'] }, { b: 1, a: [null, true] }, new Date(86_400_000), new Uint8Array([0, 1, 255]),
];

type Visit = { key: unknown; kg: number; current: unknown; value: unknown };

/** Every visit of `applyToAllKeys(d)` with the current key (group) during the call and `read(state)`. */
function visitAll<S>(b: KeyedStateBackend, d: AnyStateDescriptor, read: (s: S) => unknown): Visit[] {
  const out: Visit[] = [];
  b.applyToAllKeys(d, (key, s) => out.push({ key, kg: b.getCurrentKeyGroup(), current: b.getCurrentKey(), value: read(s as S) }));
  return out;
}

/** Canonical identity of a key (equal keys in any property order give the same string). */
const kid = (k: unknown): string => Buffer.from(encodeKey(k)).toString('hex');
/** Sorts keys by their canonical bytes. */
const byCanon = (a: unknown, b: unknown): number => (kid(a) < kid(b) ? -1 : kid(a) > kid(b) ? 1 : 0);
/** Sorts [key, value] rows by key. */
const byRow = (a: readonly unknown[], b: readonly unknown[]): number => byCanon(a[0], b[0]);
const sortedKeys = (vs: readonly Visit[]): unknown[] => vs.map((v) => v.key).sort(byCanon);

for (const kind of BACKENDS) {
  describe(`applyToAllKeys on ${kind}`, () => {
    const withBackend = async (fn: (b: KeyedStateBackend, clock: ManualClock) => void | Promise<void>, opts: { maxParallelism?: number } = {}): Promise<void> => {
      const clock = new ManualClock(0);
      const b = await makeBackend(kind, root, { clock, ...opts });
      try {
        await fn(b, clock);
      } finally {
        await b.dispose({ deleteFiles: true });
      }
    };

    test('value, list and map state with number, string, bigint and composite keys', () =>
      withBackend((b) => {
        const vd = new ValueStateDescriptor<string>('v');
        const ld = new ListStateDescriptor<number>('l');
        const md = new MapStateDescriptor<string, number>('m');
        const [v, l, m] = [b.getState(vd), b.getState(ld), b.getState(md)];
        b.batch(() => {
          MIXED_KEYS.forEach((k, i) => {
            b.setCurrentKey(k);
            v.update(`v${i}`);
            if (i % 2 === 0) l.addAll([i, i + 1]);
            if (i % 3 === 0) m.put(`e${i}`, i);
          });
        });
        const values = visitAll<ValueState<string>>(b, vd, (s) => s.value());
        assert.equal(values.length, MIXED_KEYS.length, 'each key exactly once');
        assert.deepEqual(sortedKeys(values), [...MIXED_KEYS].sort(byCanon));
        for (const vis of values) {
          const i = MIXED_KEYS.findIndex((k) => kid(k) === kid(vis.key));
          assert.deepEqual(vis.key, MIXED_KEYS[i], 'same value and type as written');
          assert.equal(vis.value, `v${i}`);
          assert.equal(vis.current, vis.key, 'the current key is the visited key');
          assert.equal(vis.kg, keyGroupFor(vis.key, 128));
        }
        assert.ok(values.some((x) => typeof x.key === 'bigint') && values.some((x) => Array.isArray(x.key)) && values.some((x) => x.key instanceof Date));
        const idx = (key: unknown): number => MIXED_KEYS.findIndex((k) => kid(k) === kid(key));
        const lists = visitAll<ListState<number>>(b, ld, (s) => s.get());
        assert.deepEqual(sortedKeys(lists), MIXED_KEYS.filter((_, i) => i % 2 === 0).sort(byCanon));
        for (const vis of lists) assert.deepEqual(vis.value, [idx(vis.key), idx(vis.key) + 1]);
        const maps = visitAll<MapState<string, number>>(b, md, (s) => [...s.entries()]);
        assert.deepEqual(sortedKeys(maps), MIXED_KEYS.filter((_, i) => i % 3 === 0).sort(byCanon));
        for (const vis of maps) assert.deepEqual(vis.value, [[`e${idx(vis.key)}`, idx(vis.key)]]);
      }));

    test('order: key group ascending, then heap insertion order / LMDB canonical key bytes', () =>
      withBackend(
        (b) => {
          const vd = new ValueStateDescriptor<number>('v');
          const v = b.getState(vd);
          const keys: unknown[] = [];
          for (let i = 0; i < 40; i++) keys.push(i % 2 ? `s${(i * 7) % 40}` : (i * 13) % 41);
          b.batch(() => {
            for (const k of keys) {
              b.setCurrentKey(k);
              v.update(1);
            }
            b.setCurrentKey(keys[0]); // cleared and written again: last of its group on heap
            v.clear();
            v.update(2);
          });
          const seen = visitAll<ValueState<number>>(b, vd, (s) => s.value());
          assert.equal(seen.length, keys.length);
          for (let i = 1; i < seen.length; i++) assert.ok(seen[i - 1]!.kg <= seen[i]!.kg, 'key groups ascending');
          const insertion = [...keys.slice(1), keys[0]];
          for (let kg = 0; kg < 4; kg++) {
            const got = seen.filter((s) => s.kg === kg).map((s) => s.key);
            const inGroup = insertion.filter((k) => keyGroupFor(k, 4) === kg);
            const expected = kind === 'heap' ? inGroup : [...inGroup].sort((x, y) => Buffer.compare(encodeKey(x), encodeKey(y)));
            assert.ok(got.length > 3);
            assert.deepEqual(got, expected);
          }
        },
        { maxParallelism: 4 },
      ));

    test('keys whose state was cleared or emptied are not visited', () =>
      withBackend((b) => {
        const vd = new ValueStateDescriptor<number>('v');
        const ld = new ListStateDescriptor<number>('l');
        const md = new MapStateDescriptor<number, number>('m');
        const [v, l, m] = [b.getState(vd), b.getState(ld), b.getState(md)];
        b.batch(() => {
          for (let k = 0; k < 12; k++) {
            b.setCurrentKey(k);
            v.update(k);
            l.add(k);
            m.put(k, k);
            m.put(k + 100, k);
          }
          for (const k of [1, 5, 9]) {
            b.setCurrentKey(k);
            if (k === 1) v.clear();
            else v.update(undefined as unknown as number);
            if (k === 5) l.update([]);
            else l.clear();
            m.remove(k);
            m.remove(k + 100);
          }
          b.setCurrentKey(2);
          m.remove(2); // one entry left: still visited
        });
        const rest = [0, 2, 3, 4, 6, 7, 8, 10, 11];
        for (const d of [vd, ld, md]) {
          const keys = visitAll(b, d, () => 0).map((x) => x.key);
          assert.deepEqual([...keys].sort((x, y) => (x as number) - (y as number)), rest, d.name);
        }
      }));

    test('TTL-expired values, list elements and map entries count as absent', () =>
      withBackend((b, clock) => {
        const vd = new ValueStateDescriptor<string>('v', { ttl: { ttlMs: 100 } });
        const rd = new ValueStateDescriptor<string>('r', { ttl: { ttlMs: 100, updateType: 'on-read-and-write' } });
        const ld = new ListStateDescriptor<string>('l', { ttl: { ttlMs: 100 } });
        const md = new MapStateDescriptor<string, string>('m', { ttl: { ttlMs: 100 } });
        const [v, r, l, m] = [b.getState(vd), b.getState(rd), b.getState(ld), b.getState(md)];
        b.batch(() => {
          for (const [k, t] of [['old', 0], ['new', 60]] as const) {
            clock.set(t);
            b.setCurrentKey(k);
            v.update(k);
            r.update(k);
            l.add(`${k}@${t}`);
            m.put(`e@${t}`, k);
          }
          b.setCurrentKey('mixed');
          clock.set(0);
          l.add('early');
          m.put('early', 'x');
          clock.set(60);
          l.add('late');
          m.put('late', 'y');
        });
        clock.set(90);
        let calls = 0;
        b.applyToAllKeys(rd, () => calls++); // must not refresh the on-read-and-write timestamps
        assert.equal(calls, 2);
        clock.set(120);
        assert.deepEqual(visitAll<ValueState<string>>(b, vd, (s) => s.value()).map((x) => [x.key, x.value]), [['new', 'new']]);
        assert.deepEqual(visitAll<ValueState<string>>(b, rd, (s) => s.value()).map((x) => [x.key, x.value]), [['new', 'new']]);
        const lists = visitAll<ListState<string>>(b, ld, (s) => s.get()).map((x) => [x.key, x.value]).sort(byRow);
        assert.deepEqual(lists, [['mixed', ['late']], ['new', ['new@60']]]);
        const maps = visitAll<MapState<string, string>>(b, md, (s) => [...s.entries()]).map((x) => [x.key, x.value]).sort(byRow);
        assert.deepEqual(maps, [['mixed', [['late', 'y']]], ['new', [['e@60', 'new']]]]);
        clock.set(160);
        assert.equal(visitAll(b, ld, () => 0).length, 0);
        assert.equal(visitAll(b, md, () => 0).length, 0);
      }));

    test('fn may update and clear the visited state and write other states of the key; new keys are not visited', () =>
      withBackend((b) => {
        const vd = new ValueStateDescriptor<number>('count');
        const ld = new ListStateDescriptor<number>('list');
        const md = new MapStateDescriptor<string, number>('map');
        const seenD = new ValueStateDescriptor<boolean>('seen');
        const [v, l, m, seen] = [b.getState(vd), b.getState(ld), b.getState(md), b.getState(seenD)];
        const keys = [1, 2, 3, 4, 'a', 'b', ['c', 1], ['c', 2]];
        b.batch(() => {
          keys.forEach((k, i) => {
            b.setCurrentKey(k);
            v.update(i);
            l.add(i);
            m.put('x', i);
            m.put('y', i);
          });
        });
        let visits = 0;
        b.applyToAllKeys(vd, (key, s) => {
          visits++;
          const n = s.value()!;
          if (n % 2 === 0) s.clear();
          else s.update(n * 10);
          seen.update(true);
          b.setCurrentKey(['added', canon(key)]); // a key added during the iteration
          s.update(-1);
        });
        assert.equal(visits, keys.length);
        b.applyToAllKeys(ld, (_k, s) => s.add(s.get()[0]! + 100));
        b.applyToAllKeys(md, (_k, s) => {
          if (s.get('x')! % 2 === 0) s.clear();
          else s.remove('y');
        });
        keys.forEach((k, i) => {
          b.setCurrentKey(k);
          assert.equal(v.value(), i % 2 === 0 ? undefined : i * 10, `value of ${canon(k)}`);
          assert.equal(seen.value(), true);
          assert.deepEqual(l.get(), [i, i + 100]);
          assert.deepEqual([...m.entries()], i % 2 === 0 ? [] : [['x', i]]);
          b.setCurrentKey(['added', canon(k)]);
          assert.equal(v.value(), -1);
        });
        assert.equal(visitAll(b, vd, () => 0).length, keys.length / 2 + keys.length);
      }));

    test('inside batch(): sees the batch’s own writes and its writes stay', () =>
      withBackend((b) => {
        const vd = new ValueStateDescriptor<number>('v');
        const md = new MapStateDescriptor<number, number>('m');
        const [v, m] = [b.getState(vd), b.getState(md)];
        b.batch(() => {
          b.setCurrentKey('before');
          v.update(1);
        });
        const seen = b.batch(() => {
          for (const k of ['in-batch-1', 'in-batch-2']) {
            b.setCurrentKey(k);
            v.update(2);
            m.put(1, 1);
          }
          b.setCurrentKey('before');
          v.clear();
          const keys: unknown[] = [];
          b.applyToAllKeys(vd, (k, s) => {
            keys.push(k);
            s.update(s.value()! + 40);
          });
          b.applyToAllKeys(md, (k, s) => {
            keys.push(k);
            s.put(2, 2);
          });
          b.setCurrentKey('in-batch-1');
          assert.equal(v.value(), 42, 'a read in the same batch sees the update');
          return keys.sort(byCanon);
        });
        assert.deepEqual(seen, ['in-batch-1', 'in-batch-1', 'in-batch-2', 'in-batch-2']);
        for (const k of ['in-batch-1', 'in-batch-2']) {
          b.setCurrentKey(k);
          assert.equal(v.value(), 42);
          assert.deepEqual([...m.entries()], [[1, 1], [2, 2]]);
        }
        b.setCurrentKey('before');
        assert.equal(v.value(), undefined);
      }));

    test('the previous current key is restored afterwards and after a throw', () =>
      withBackend((b) => {
        const vd = new ValueStateDescriptor<string>('v');
        const pd = new ValueStateDescriptor<string>('p');
        const [v, p] = [b.getState(vd), b.getState(pd)];
        b.batch(() => {
          for (const k of ['a', 'b', 'c', 'd']) {
            b.setCurrentKey(k);
            v.update(`val-${k}`);
          }
        });
        const prev = ['prev', { n: 1 }];
        b.setCurrentKey(prev);
        p.update('mine');
        let calls = 0;
        b.applyToAllKeys(vd, () => calls++);
        assert.equal(calls, 4);
        assert.equal(b.getCurrentKey(), prev, 'the same key object is current again');
        assert.equal(b.getCurrentKeyGroup(), keyGroupFor(prev, 128));
        assert.equal(p.value(), 'mine');
        assert.equal(v.value(), undefined);
        const boom = new Error('boom');
        for (const inBatch of [false, true]) {
          let visited = 0;
          const run = (): void =>
            b.applyToAllKeys(vd, (_k, s) => {
              s.update(`touched-${inBatch}`);
              if (++visited === 2) throw boom;
            });
          if (inBatch) b.batch(() => assert.throws(run, (e) => e === boom));
          else assert.throws(run, (e) => e === boom);
          assert.equal(visited, 2, 'stops at the throw');
          assert.equal(b.getCurrentKey(), prev);
          assert.equal(b.getCurrentKeyGroup(), keyGroupFor(prev, 128));
          assert.equal(p.value(), 'mine', 'handles act on the previous key again');
          p.update('mine'); // and writes go there
          let touched = 0;
          b.applyToAllKeys(vd, (_k, s) => void (s.value() === `touched-${inBatch}` && touched++));
          assert.equal(touched, 2, 'writes before the throw stay');
        }
      }));

    test('unknown descriptors register and visit nothing; kind conflicts throw; timers are not state', () =>
      withBackend((b) => {
        b.getState(new ValueStateDescriptor<number>('x'));
        let calls = 0;
        assert.throws(() => b.applyToAllKeys(new ListStateDescriptor<number>('x'), () => calls++), { code: 'WEIR_STATE_DESCRIPTOR_CONFLICT' });
        assert.throws(() => b.applyToAllKeys(new ValueStateDescriptor<number>('x', { ttl: { ttlMs: 5 } }), () => calls++), { code: 'WEIR_STATE_DESCRIPTOR_CONFLICT' });
        b.batch(() => {
          for (const k of ['t1', 't2', 't3']) {
            b.setCurrentKey(k);
            b.timers.registerEventTimeTimer(10);
            b.timers.registerProcessingTimeTimer(20);
          }
          b.setCurrentKey('s');
          b.getState(new ValueStateDescriptor<number>('x')).update(1);
        });
        b.applyToAllKeys(new MapStateDescriptor<string, number>('fresh'), () => calls++);
        assert.equal(calls, 0);
        assert.throws(() => b.getState(new ValueStateDescriptor<number>('fresh')), { code: 'WEIR_STATE_DESCRIPTOR_CONFLICT' }, 'registered as map state');
        const keys: unknown[] = [];
        b.applyToAllKeys(new ValueStateDescriptor<number>('x'), (k) => keys.push(k));
        assert.deepEqual(keys, ['s']);
        assert.equal(b.timers.size(), 6);
        const r = new ReducingStateDescriptor<number>('r', (a, c) => a + c);
        const ag = new AggregatingStateDescriptor<number, number[], number>('ag', { createAccumulator: () => [], add: (x, acc) => [...acc, x], getResult: (acc) => acc.length });
        b.batch(() => {
          b.getState(r).add(3);
          b.getState(ag).add(3);
        });
        const got: unknown[] = [];
        b.applyToAllKeys(r, (k, s) => got.push(k, s.get()));
        b.applyToAllKeys(ag, (k, s) => got.push(k, s.get()));
        assert.deepEqual(got, ['s', 3, 's', 1]);
      }));

    test('a snapshot taken before the iteration keeps the old state', () =>
      withBackend(async (b) => {
        const vd = new ValueStateDescriptor<number>('v');
        const ld = new ListStateDescriptor<number>('l');
        const [v, l] = [b.getState(vd), b.getState(ld)];
        b.batch(() => {
          for (let k = 0; k < 50; k++) {
            b.setCurrentKey(k);
            v.update(k);
            l.add(k);
          }
        });
        const snap = b.snapshot(1, snapshotTarget(root, 1));
        b.batch(() => {
          b.applyToAllKeys(vd, (_k, s) => (s.value()! % 2 ? s.clear() : s.update(s.value()! * 100)));
          b.applyToAllKeys(ld, (_k, s) => s.add(-1));
        });
        const handle = await snap.materialize();
        const restored = await makeBackend(kind, root);
        try {
          await restored.restore([handle], resolver(root));
          const old = visitAll<ValueState<number>>(restored, vd, (s) => s.value());
          assert.equal(old.length, 50);
          for (const x of old) assert.equal(x.value, x.key);
          for (const x of visitAll<ListState<number>>(restored, ld, (s) => s.get())) assert.deepEqual(x.value, [x.key]);
          const now = visitAll<ValueState<number>>(b, vd, (s) => s.value());
          assert.equal(now.length, 25);
          for (const x of now) assert.equal(x.value, (x.key as number) * 100);
        } finally {
          await restored.dispose({ deleteFiles: true });
        }
      }));

    for (const from of BACKENDS) {
      test(`restored from a ${from} snapshot with a rescaled key-group range: only its own keys`, async () => {
        const clock = new ManualClock(0);
        const src = await makeBackend(from, root, { clock });
        const vd = new ValueStateDescriptor<number>('v');
        const md = new MapStateDescriptor<number, string>('m');
        const keys: unknown[] = [];
        for (let i = 0; i < 200; i++) keys.push(i % 3 === 0 ? i : i % 3 === 1 ? `k${i}` : [i, 'x']);
        try {
          src.batch(() => {
            keys.forEach((k, i) => {
              src.setCurrentKey(k);
              src.getState(vd).update(i);
              if (i % 2) src.getState(md).put(i, 'e');
            });
          });
          const handle = await takeSnapshot(src, root, 7);
          const all: unknown[] = [];
          for (let sub = 0; sub < 2; sub++) {
            const range = keyGroupRangeForSubtask(128, 2, sub);
            const dst = await makeBackend(kind, root, { clock, range });
            try {
              await dst.restore([handle], resolver(root));
              const seen = visitAll<ValueState<number>>(dst, vd, (s) => s.value());
              const own = keys.filter((k) => { const kg = keyGroupFor(k, 128); return kg >= range.start && kg <= range.end; });
              assert.ok(own.length > 50 && own.length < 150);
              assert.deepEqual(sortedKeys(seen), [...own].sort(byCanon));
              for (const x of seen) {
                assert.ok(x.kg >= range.start && x.kg <= range.end);
                assert.equal(x.value, keys.findIndex((k) => kid(k) === kid(x.key)));
              }
              assert.deepEqual(sortedKeys(visitAll(dst, md, () => 0)), own.filter((k) => keys.findIndex((q) => kid(q) === kid(k)) % 2).sort(byCanon));
              assert.equal(dst.getCurrentKeyGroup(), -1, 'still no current key');
              assert.throws(() => dst.getState(vd).value(), { code: 'WEIR_NO_CURRENT_KEY' });
              all.push(...seen.map((x) => x.key));
            } finally {
              await dst.dispose({ deleteFiles: true });
            }
          }
          assert.deepEqual(all.sort(byCanon), [...keys].sort(byCanon));
        } finally {
          await src.dispose({ deleteFiles: true });
        }
      });
    }
  });
}

test('types: the overloads infer the handle type (checked by tsc)', async () => {
  const b = await makeBackend('heap', root);
  const seen: Array<number | undefined> = [];
  b.batch(() => {
    b.setCurrentKey('k');
    b.getState(new ValueStateDescriptor<number>('x')).update(4);
  });
  // @ts-expect-error ValueState has no get()
  b.applyToAllKeys(new ValueStateDescriptor<number>('x'), (_k, s) => void s.get);
  b.applyToAllKeys(new ValueStateDescriptor<number>('x'), (_k, s) => seen.push(s.value()));
  b.applyToAllKeys(new MapStateDescriptor<string, number>('m'), (_k, s) => void (s.entries() satisfies IterableIterator<[string, number]>));
  // @ts-expect-error a ListState callback does not fit a ValueStateDescriptor
  b.applyToAllKeys(new ValueStateDescriptor<number>('x'), (_k, s: ListState<number>) => void s);
  assert.deepEqual(seen, [4]);
  await b.dispose();
});
