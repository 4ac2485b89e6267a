import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../common/clock.ts';
import {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  ValueStateDescriptor,
  type KeyedStateBackend,
} from './index.ts';
import { BACKENDS, makeBackend, removeDir, resolver, takeSnapshot, tempDir } from './testing/backend-fixtures.ts';

const root = tempDir();
after(() => removeDir(root));

for (const kind of BACKENDS) {
  describe(`TTL on ${kind}`, () => {
    const run = async (fn: (b: KeyedStateBackend, clock: ManualClock) => void): Promise<void> => {
      const clock = new ManualClock(0);
      const b = await makeBackend(kind, root, { clock });
      try {
        b.batch(() => {
          b.setCurrentKey('k');
          fn(b, clock);
        });
      } finally {
        await b.dispose({ deleteFiles: true });
      }
    };

    test('value: expires at write time + ttl and is never returned again', () =>
      run((b, clock) => {
        const s = b.getState(new ValueStateDescriptor<string>('v', { ttl: { ttlMs: 100 }, defaultValue: 'dflt' }));
        s.update('x');
        clock.set(99);
        assert.equal(s.value(), 'x');
        clock.set(100);
        assert.equal(s.value(), 'dflt');
        clock.set(50);
        assert.equal(s.value(), 'dflt', 'lazily deleted when seen expired');
        assert.equal(b.stats().entries, 0);
        s.update('y');
        clock.set(149);
        assert.equal(s.value(), 'y');
      }));

    test('value: on-create-and-write ignores reads, on-read-and-write refreshes', () =>
      run((b, clock) => {
        const w = b.getState(new ValueStateDescriptor<number>('w', { ttl: { ttlMs: 100, updateType: 'on-create-and-write' } }));
        const r = b.getState(new ValueStateDescriptor<number>('r', { ttl: { ttlMs: 100, updateType: 'on-read-and-write' } }));
        w.update(1);
        r.update(1);
        clock.set(90);
        assert.equal(w.value(), 1);
        assert.equal(r.value(), 1);
        clock.set(180);
        assert.equal(w.value(), undefined);
        assert.equal(r.value(), 1);
        clock.set(279);
        assert.equal(r.value(), 1);
        clock.set(379);
        assert.equal(r.value(), undefined);
      }));

    test('list: elements expire individually', () =>
      run((b, clock) => {
        const l = b.getState(new ListStateDescriptor<string>('l', { ttl: { ttlMs: 100 } }));
        l.add('a');
        clock.set(50);
        l.addAll(['b', 'c']);
        clock.set(120);
        assert.deepEqual(l.get(), ['b', 'c']);
        assert.equal(b.stats().entries, 2);
        clock.set(150);
        assert.deepEqual(l.get(), []);
        assert.equal(b.stats().entries, 0);
      }));

    test('list: on-read-and-write refreshes every element read', () =>
      run((b, clock) => {
        const l = b.getState(new ListStateDescriptor<number>('l', { ttl: { ttlMs: 100, updateType: 'on-read-and-write' } }));
        l.update([1, 2]);
        clock.set(99);
        assert.deepEqual(l.get(), [1, 2]);
        clock.set(198);
        assert.deepEqual(l.get(), [1, 2]);
        clock.set(298);
        assert.deepEqual(l.get(), []);
      }));

    test('map: entries expire individually in get, contains, entries and isEmpty', () =>
      run((b, clock) => {
        const m = b.getState(new MapStateDescriptor<string, number>('m', { ttl: { ttlMs: 100 } }));
        m.put('a', 1);
        clock.set(60);
        m.put('b', 2);
        clock.set(100);
        assert.equal(m.get('a'), undefined);
        assert.equal(m.contains('a'), false);
        assert.deepEqual([...m.entries()], [['b', 2]]);
        assert.equal(m.isEmpty(), false);
        clock.set(160);
        assert.equal(m.isEmpty(), true);
        assert.deepEqual([...m.keys()], []);
        assert.equal(b.stats().entries, 0);
      }));

    test('reducing and aggregating: the accumulator expires as a whole', () =>
      run((b, clock) => {
        const r = b.getState(new ReducingStateDescriptor<number>('r', (x, y) => x + y, { ttl: { ttlMs: 100 } }));
        const a = b.getState(new AggregatingStateDescriptor<number, number[], number>('a', { createAccumulator: () => [], add: (v, acc) => [...acc, v], getResult: (acc) => acc.length }, { ttl: { ttlMs: 100 } }));
        r.add(5);
        a.add(5);
        clock.set(50);
        r.add(3);
        a.add(3);
        clock.set(149);
        assert.equal(r.get(), 8);
        assert.equal(a.get(), 2);
        clock.set(150);
        assert.equal(r.get(), undefined);
        assert.equal(a.get(), undefined);
        clock.set(200);
        r.add(1);
        a.add(1);
        assert.equal(r.get(), 1);
        assert.equal(a.get(), 1);
      }));

    test('a restore judges expiry with the restored job\'s TTL: a longer TTL or none keeps what the old one had expired; the same TTL does not', async () => {
      const clock = new ManualClock(0);
      const src = await makeBackend(kind, root, { clock });
      const ttl1s = { ttl: { ttlMs: 1000 } };
      src.batch(() => {
        src.setCurrentKey('k');
        src.getState(new ValueStateDescriptor<string>('v', ttl1s)).update('x');
        src.getState(new ListStateDescriptor<number>('l', ttl1s)).add(1);
        src.getState(new MapStateDescriptor<string, number>('m', ttl1s)).put('a', 1);
      });
      clock.set(400);
      const handle = await takeSnapshot(src, root, 7);
      await src.dispose({ deleteFiles: true });
      clock.set(2000); // restored after the old TTL passed (written at 0, ttl 1000)
      for (const [ttl, alive] of [[{ ttl: { ttlMs: 10_000 } }, true], [{}, true], [ttl1s, false]] as const) {
        const dst = await makeBackend(kind, root, { clock });
        try {
          await dst.restore([handle], resolver(root));
          dst.batch(() => {
            dst.setCurrentKey('k');
            const what = JSON.stringify(ttl);
            assert.equal(dst.getState(new ValueStateDescriptor<string>('v', ttl)).value(), alive ? 'x' : undefined, `value, ${what}`);
            assert.deepEqual(dst.getState(new ListStateDescriptor<number>('l', ttl)).get(), alive ? [1] : [], `list, ${what}`);
            assert.equal(dst.getState(new MapStateDescriptor<string, number>('m', ttl)).get('a'), alive ? 1 : undefined, `map, ${what}`);
          });
        } finally {
          await dst.dispose({ deleteFiles: true });
        }
      }
    });

    test('invalid TTL configuration is rejected', () => {
      assert.throws(() => new ValueStateDescriptor('x', { ttl: { ttlMs: 0 } }), { code: 'WEIR_INVALID_STATE_DESCRIPTOR' });
      assert.throws(() => new ValueStateDescriptor('x', { ttl: { ttlMs: 5, updateType: 'sometimes' as never } }), { code: 'WEIR_INVALID_STATE_DESCRIPTOR' });
    });
  });
}
