import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  ValueStateDescriptor,
  keyGroupFor,
  keyGroupRangeForSubtask,
  type KeyedStateBackend,
} from './index.ts';
import { BACKENDS, canon, makeBackend, removeDir, resolver, takeSnapshot, tempDir, type BackendKind } from './testing/backend-fixtures.ts';
import { runtimeContextOf } from '../runtime/operators/keyed-operators.ts';

const root = tempDir();
after(() => removeDir(root));

const valueD = new ValueStateDescriptor<{ n: number; tag: string }>('v');
const listD = new ListStateDescriptor<number | string>('l');
const mapD = new MapStateDescriptor<string | number, { x: number }>('m');
const sumD = new ReducingStateDescriptor<number>('r', (a, b) => a + b);
const avgD = new AggregatingStateDescriptor<number, { s: number; c: number }, number>('a', {
  createAccumulator: () => ({ s: 0, c: 0 }),
  add: (v, acc) => ({ s: acc.s + v, c: acc.c + 1 }),
  getResult: (acc) => acc.s / acc.c,
});

function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS: unknown[] = [];
for (let i = 0; i < 60; i++) KEYS.push(i % 3 === 0 ? `user-${i}` : i % 3 === 1 ? i * 7 : [i, `k${i}`]);

/** Applies a random but seeded sequence of operations; returns the log of every read. */
function runScript(b: KeyedStateBackend, seed: number, ops: number): string[] {
  const rnd = prng(seed);
  const log: string[] = [];
  const v = b.getState(valueD);
  const l = b.getState(listD);
  const m = b.getState(mapD);
  const r = b.getState(sumD);
  const a = b.getState(avgD);
  for (let i = 0; i < ops; i++) {
    b.batch(() => {
      const key = KEYS[Math.floor(rnd() * KEYS.length)];
      b.setCurrentKey(key);
      const op = Math.floor(rnd() * 16);
      const x = Math.floor(rnd() * 10);
      switch (op) {
        case 0: v.update({ n: x, tag: `t${i}` }); break;
        case 1: log.push(`v ${canon(v.value())}`); break;
        case 2: v.clear(); break;
        case 3: l.add(x); break;
        case 4: l.addAll([x, `s${x}`]); break;
        case 5: l.update(x % 2 ? [] : [x, x + 1]); break;
        case 6: log.push(`l ${canon(l.get())}`); break;
        case 7: m.put(x % 2 ? `k${x}` : x, { x: i }); break;
        case 8: m.remove(x % 2 ? `k${x}` : x); break;
        case 9: log.push(`m ${canon([...m.entries()].map(([k, val]) => [canon(k), val]).sort())} ${m.isEmpty()} ${m.contains(x)} ${canon(m.get(`k${x}`))}`); break;
        case 10: r.add(x); break;
        case 11: log.push(`r ${r.get()}`); break;
        case 12: a.add(x); break;
        case 13: log.push(`a ${a.get()}`); break;
        case 14: (x < 5 ? m : x < 8 ? r : a).clear(); break;
        case 15: log.push(`keys ${canon([...m.keys()].map((k) => canon(k)).sort())} values ${canon([...m.values()].map((val) => val.x).sort((p, q) => p - q))}`); break;
      }
    });
  }
  return log;
}

/** The same script against plain JS structures: the expected behaviour. */
function runModel(seed: number, ops: number): string[] {
  const rnd = prng(seed);
  const log: string[] = [];
  const V = new Map<string, { n: number; tag: string }>();
  const L = new Map<string, Array<number | string>>();
  const M = new Map<string, Map<string, [string | number, { x: number }]>>();
  const R = new Map<string, number>();
  const A = new Map<string, { s: number; c: number }>();
  for (let i = 0; i < ops; i++) {
    const key = canon(KEYS[Math.floor(rnd() * KEYS.length)]);
    const op = Math.floor(rnd() * 16);
    const x = Math.floor(rnd() * 10);
    const map = (): Map<string, [string | number, { x: number }]> => M.get(key) ?? new Map();
    switch (op) {
      case 0: V.set(key, { n: x, tag: `t${i}` }); break;
      case 1: log.push(`v ${canon(V.get(key))}`); break;
      case 2: V.delete(key); break;
      case 3: L.set(key, [...(L.get(key) ?? []), x]); break;
      case 4: L.set(key, [...(L.get(key) ?? []), x, `s${x}`]); break;
      case 5: if (x % 2) L.delete(key); else L.set(key, [x, x + 1]); break;
      case 6: log.push(`l ${canon(L.get(key) ?? [])}`); break;
      case 7: { const mm = map(); const uk = x % 2 ? `k${x}` : x; mm.set(canon(uk), [uk, { x: i }]); M.set(key, mm); break; }
      case 8: { const mm = map(); mm.delete(canon(x % 2 ? `k${x}` : x)); if (mm.size === 0) M.delete(key); break; }
      case 9: {
        const mm = map();
        log.push(`m ${canon([...mm.values()].map(([k, val]) => [canon(k), val]).sort())} ${mm.size === 0} ${mm.has(canon(x))} ${canon(mm.get(canon(`k${x}`))?.[1])}`);
        break;
      }
      case 10: R.set(key, (R.get(key) ?? 0) + x); break;
      case 11: log.push(`r ${R.get(key)}`); break;
      case 12: { const acc = A.get(key) ?? { s: 0, c: 0 }; A.set(key, { s: acc.s + x, c: acc.c + 1 }); break; }
      case 13: { const acc = A.get(key); log.push(`a ${acc ? acc.s / acc.c : undefined}`); break; }
      case 14: (x < 5 ? M : x < 8 ? R : A).delete(key); break;
      case 15: {
        const mm = map();
        log.push(`keys ${canon([...mm.values()].map(([k]) => canon(k)).sort())} values ${canon([...mm.values()].map(([, val]) => val.x).sort((p, q) => p - q))}`);
        break;
      }
    }
  }
  return log;
}

describe('every state kind, heap and LMDB, against a model', () => {
  const expected = runModel(42, 3000);

  for (const kind of BACKENDS) {
    test(`${kind}: 3000 random operations give the model's reads`, async () => {
      const b = await makeBackend(kind, root);
      try {
        const log = runScript(b, 42, 3000);
        assert.equal(log.length, expected.length);
        assert.deepEqual(log, expected);
        assert.ok(log.length > 500);
      } finally {
        await b.dispose({ deleteFiles: true });
      }
    });
  }
});

describe('state handle semantics', () => {
  for (const kind of BACKENDS) {
    const withBackend = async (fn: (b: KeyedStateBackend) => void | Promise<void>, range?: { start: number; end: number }): Promise<void> => {
      const b = await makeBackend(kind, root, range ? { range } : {});
      try {
        await fn(b);
      } finally {
        await b.dispose({ deleteFiles: true });
      }
    };

    test(`${kind}: value defaults, update(undefined) clears, per-key isolation`, () =>
      withBackend((b) => {
        const s = b.getState(new ValueStateDescriptor<number>('count', { defaultValue: 0 }));
        b.batch(() => {
          b.setCurrentKey('a');
          assert.equal(s.value(), 0);
          s.update(5);
          b.setCurrentKey('b');
          assert.equal(s.value(), 0);
          s.update(7);
          b.setCurrentKey('a');
          assert.equal(s.value(), 5);
          s.update(undefined as unknown as number);
          assert.equal(s.value(), 0);
          b.setCurrentKey('b');
          assert.equal(s.value(), 7);
        });
        assert.equal(b.stats().entries, 1);
      }));

    test(`${kind}: equal keys in different forms address the same state`, () =>
      withBackend((b) => {
        const s = b.getState(new ValueStateDescriptor<string>('v'));
        b.batch(() => {
          b.setCurrentKey({ a: 1, b: [2, 'x'] });
          s.update('hit');
          b.setCurrentKey({ b: [2, 'x'], a: 1 });
          assert.equal(s.value(), 'hit');
          b.setCurrentKey(1);
          s.update('one');
          b.setCurrentKey(1.0);
          assert.equal(s.value(), 'one');
          b.setCurrentKey('1');
          assert.equal(s.value(), undefined);
          b.setCurrentKey(1n);
          assert.equal(s.value(), undefined);
        });
      }));

    test(`${kind}: list, map, reducing and aggregating basics`, () =>
      withBackend((b) => {
        const l = b.getState(new ListStateDescriptor<number>('l'));
        const m = b.getState(new MapStateDescriptor<string, number>('m'));
        const r = b.getState(new ReducingStateDescriptor<number>('r', Math.max));
        const a = b.getState(avgD);
        b.batch(() => {
          b.setCurrentKey('k');
          assert.deepEqual(l.get(), []);
          l.add(1);
          l.addAll([2, 3]);
          assert.deepEqual(l.get(), [1, 2, 3]);
          l.update([9]);
          assert.deepEqual(l.get(), [9]);
          assert.throws(() => l.add(undefined as unknown as number), { code: 'WEIR_INVALID_STATE_VALUE' });
          assert.equal(m.isEmpty(), true);
          m.putAll({ x: 1, y: 2 });
          m.putAll([['z', 3]]);
          assert.deepEqual([...m.entries()].sort(), [['x', 1], ['y', 2], ['z', 3]]);
          assert.equal(m.contains('y'), true);
          m.remove('y');
          assert.equal(m.contains('y'), false);
          assert.equal(m.get('y'), undefined);
          assert.deepEqual([...m.keys()].sort(), ['x', 'z']);
          assert.deepEqual([...m.values()].sort(), [1, 3]);
          assert.throws(() => m.put(undefined as unknown as string, 1), { code: 'WEIR_INVALID_KEY' });
          // A lone surrogate: its UTF-8 bytes are U+FFFD's, so on LMDB '\ud800' and '\ufffd' were one map key.
          assert.throws(() => m.put('\ud800', 1), { code: 'WEIR_INVALID_KEY', message: /lone UTF-16 surrogate/ });
          assert.equal(r.get(), undefined);
          r.add(3);
          r.add(9);
          r.add(4);
          assert.equal(r.get(), 9);
          assert.equal(a.get(), undefined);
          a.add(1);
          a.add(2);
          assert.equal(a.get(), 1.5);
          a.clear();
          assert.equal(a.get(), undefined);
        });
        assert.equal(b.stats().entries, 1 + 2 + 1);
      }));

    test(`${kind}: lists appended over many keys keep every element in order after clear, update and add`, () =>
      withBackend((b) => {
        const l = b.getState(new ListStateDescriptor<number>('many'));
        const n = 70_000; // more lists than the LMDB store remembers the lengths of
        b.batch(() => {
          for (let round = 0; round < 2; round++) {
            for (let k = 0; k < n; k++) {
              b.setCurrentKey(k);
              l.add(round * n + k);
            }
          }
          // The last keys' lengths are still remembered (the first ones' were dropped on the way).
          b.setCurrentKey(n - 3);
          l.clear();
          assert.deepEqual(l.get(), []);
          l.add(-1);
          b.setCurrentKey(n - 2);
          l.update([1, 2, 3, 4]); // longer than before: the next append goes after all four
          l.add(5);
        });
        b.batch(() => {
          for (const k of [0, 1, 7, n - 1]) {
            b.setCurrentKey(k);
            assert.deepEqual(l.get(), [k, n + k]);
          }
          b.setCurrentKey(n - 3);
          assert.deepEqual(l.get(), [-1]);
          b.setCurrentKey(n - 2);
          assert.deepEqual(l.get(), [1, 2, 3, 4, 5]);
          b.setCurrentKey(n + 1);
          assert.deepEqual(l.get(), []);
        });
      }));

    test(`${kind}: lists of every length around the point-read limit, read, cleared and appended to, before and after a restore`, async () => {
      // The LMDB store reads and clears lists it knows the length of (≤ 64) element by element and
      // longer or unknown ones with a range scan; a restore forgets every length.
      const lengths = [0, 1, 2, 63, 64, 65, 66, 200];
      const d = new ListStateDescriptor<string>('lengths');
      const src = await makeBackend(kind, root);
      const dst = await makeBackend(kind, root);
      try {
        const l = src.getState(d);
        src.batch(() => {
          for (const n of lengths) {
            src.setCurrentKey(`k${n}`);
            for (let i = 0; i < n; i++) l.add(`${n}:${i}`);
            assert.deepEqual(l.get(), Array.from({ length: n }, (_, i) => `${n}:${i}`));
            src.setCurrentKey(`cleared${n}`);
            l.addAll(Array.from({ length: n }, (_, i) => `c${i}`));
            l.clear();
            assert.deepEqual(l.get(), []);
            l.add('after');
          }
        });
        await dst.restore([await takeSnapshot(src, root, 1)], resolver(root));
        for (const b of [src, dst]) {
          const r = b.getState(d);
          b.batch(() => {
            for (const n of lengths) {
              b.setCurrentKey(`cleared${n}`);
              assert.deepEqual(r.get(), ['after'], `cleared${n}`);
              r.add('again');
              assert.deepEqual(r.get(), ['after', 'again'], `cleared${n} + again`);
              b.setCurrentKey(`k${n}`);
              assert.deepEqual(r.get().length, n, `k${n} read first`);
              r.add('x');
              assert.deepEqual(r.get(), [...Array.from({ length: n }, (_, i) => `${n}:${i}`), 'x'], `k${n} + x`);
              r.clear();
              assert.deepEqual(r.get(), [], `k${n} cleared`);
              r.addAll(['y', 'z']);
            }
          });
          b.batch(() => {
            for (const n of lengths) {
              b.setCurrentKey(`k${n}`);
              assert.deepEqual(r.get(), ['y', 'z'], `k${n} after clear`);
            }
          });
        }
      } finally {
        await src.dispose({ deleteFiles: true });
        await dst.dispose({ deleteFiles: true });
      }
    });

    test(`${kind}: a map with more entries than one iteration chunk`, () =>
      withBackend((b) => {
        const m = b.getState(new MapStateDescriptor<number, string>('big'));
        b.batch(() => {
          b.setCurrentKey('k');
          for (let i = 0; i < 1000; i++) m.put(i, `v${i}`);
          let n = 0;
          for (const [k, v] of m.entries()) {
            assert.equal(v, `v${k}`);
            if (k % 2 === 0) m.remove(k);
            n++;
          }
          assert.equal(n, 1000);
          assert.equal([...m.keys()].length, 500);
        });
      }));

    test(`${kind}: descriptor conflicts, missing key, out-of-range and invalid keys`, () =>
      withBackend(
        (b) => {
          b.getState(new ValueStateDescriptor<number>('x'));
          assert.throws(() => b.getState(new ListStateDescriptor<number>('x')), { code: 'WEIR_STATE_DESCRIPTOR_CONFLICT' });
          assert.throws(() => b.getState(new ValueStateDescriptor<number>('x', { ttl: { ttlMs: 5 } })), { code: 'WEIR_STATE_DESCRIPTOR_CONFLICT' });
          const s = b.getState(new ValueStateDescriptor<number>('x'));
          assert.throws(() => s.value(), { code: 'WEIR_NO_CURRENT_KEY' });
          const range = b.keyGroupRange;
          let inside: string | undefined;
          let outside: string | undefined;
          for (let i = 0; (!inside || !outside) && i < 10_000; i++) {
            const kg = keyGroupFor(`k${i}`, 128);
            if (kg >= range.start && kg <= range.end) inside ??= `k${i}`;
            else outside ??= `k${i}`;
          }
          b.setCurrentKey(inside);
          assert.equal(b.getCurrentKeyGroup(), keyGroupFor(inside, 128));
          assert.throws(() => b.setCurrentKey(outside), { code: 'WEIR_KEY_OUT_OF_RANGE' });
          assert.throws(() => b.setCurrentKey(() => 1), { code: 'WEIR_INVALID_KEY' });
          assert.throws(() => b.setCurrentKey(new Map()), { code: 'WEIR_INVALID_KEY' });
          assert.throws(() => b.setCurrentKey(Number.NaN), { code: 'WEIR_INVALID_KEY' });
          assert.equal(b.getCurrentKey(), inside);
        },
        keyGroupRangeForSubtask(128, 4, 1),
      ));

    test(`${kind}: nested batch joins the outer one`, () =>
      withBackend((b) => {
        const s = b.getState(new ValueStateDescriptor<number>('v'));
        const out = b.batch(() => {
          b.setCurrentKey('a');
          s.update(1);
          return b.batch(() => {
            s.update(s.value()! + 1);
            return s.value();
          });
        });
        assert.equal(out, 2);
        b.setCurrentKey('a');
        assert.equal(s.value(), 2);
      }));

    test(`${kind}: values that are not data are refused when written (not at the next checkpoint); async state functions too`, () =>
      withBackend((b) => {
        const v = b.getState(new ValueStateDescriptor<unknown>('v'));
        const l = b.getState(new ListStateDescriptor<unknown>('l'));
        const m = b.getState(new MapStateDescriptor<string, unknown>('m'));
        const r = b.getState(new ReducingStateDescriptor<number>('r', (a, x) => Promise.resolve(a + x) as unknown as number));
        const a = b.getState(new AggregatingStateDescriptor<number, number, number>('a', { createAccumulator: () => 0, add: async (x: number, acc: number) => acc + x, getResult: (acc: number) => acc, merge: (x: number, y: number) => x + y } as never));
        b.batch(() => {
          b.setCurrentKey('k');
          for (const bad of [() => 1, Symbol('s'), { f() {} }, [1, [Symbol('deep')]], new Map([['k', () => 2]])]) {
            assert.throws(() => v.update(bad), { code: 'WEIR_INVALID_STATE_VALUE' });
            assert.throws(() => l.add(bad), { code: 'WEIR_INVALID_STATE_VALUE' });
            assert.throws(() => l.update([1, bad]), { code: 'WEIR_INVALID_STATE_VALUE' });
            assert.throws(() => m.put('x', bad), { code: 'WEIR_INVALID_STATE_VALUE' });
          }
          assert.equal(v.value(), undefined, 'nothing stored');
          r.add(1); // the first value is stored as it is
          assert.throws(() => r.add(2), { code: 'WEIR_ASYNC_USER_FUNCTION', message: /reduce function of state "r" returned a Promise/ });
          assert.throws(() => a.add(1), { code: 'WEIR_ASYNC_USER_FUNCTION', message: /add function of state "a"/ });
          assert.throws(() => l.add(undefined), { message: /^An element of list state "l" must not be undefined$/ });
          assert.throws(() => m.putAll(null as never), { code: 'WEIR_INVALID_STATE_VALUE', message: /putAll of map state "m"/ });
        });
        assert.throws(() => b.getState(null as never), { code: 'WEIR_INVALID_STATE_DESCRIPTOR' });
        const ctx = runtimeContextOf({ operatorName: 'P', uid: 'p', subtask: 0, parallelism: 1, maxParallelism: 128, attempt: 0 }, b);
        assert.throws(() => ctx.getListState(new ValueStateDescriptor<number>('v') as never), { code: 'WEIR_INVALID_STATE_DESCRIPTOR', message: /getListState needs a list state descriptor, got a value state descriptor 'v'/ });
        assert.doesNotThrow(() => ctx.getListState(new ListStateDescriptor<unknown>('l')), 'the right kind');
      }));
  }

  test('LMDB: a list state key at the size limit is WEIR_KEY_TOO_LARGE (its element number included)', async () => {
    const b = await makeBackend('lmdb', root);
    try {
      const l = b.getState(new ListStateDescriptor<number>('l'));
      b.batch(() => {
        let fits = 0;
        for (let len = 1900; len < 2000; len++) {
          b.setCurrentKey('k'.repeat(len));
          try {
            l.add(1);
            fits = len;
          } catch (e) {
            assert.equal((e as { code?: string }).code, 'WEIR_KEY_TOO_LARGE', `key of ${len} characters: ${(e as Error).message}`);
          }
        }
        assert.ok(fits > 1900, 'shorter keys fit');
      });
    } finally {
      await b.dispose({ deleteFiles: true });
    }
  });

  test('values: LMDB returns copies, heap holds references (documented)', async () => {
    const results: Record<BackendKind, number> = { heap: 0, lmdb: 0 };
    for (const kind of BACKENDS) {
      const b = await makeBackend(kind, root);
      const s = b.getState(new ValueStateDescriptor<{ n: number }>('obj'));
      b.batch(() => {
        b.setCurrentKey('k');
        const o = { n: 1 };
        s.update(o);
        o.n = 2;
        results[kind] = s.value()!.n;
      });
      await b.dispose({ deleteFiles: true });
    }
    assert.deepEqual(results, { heap: 2, lmdb: 1 });
  });
});
