/**
 * Event-time timers against a reference model, on both backends: random registrations (in bursts
 * larger than LMDB's read-ahead of a key group), deletions, firing (a fired timer sometimes
 * registers another one for its key, due in the same call or later), flushes (size) and
 * incremental snapshots restored into a fresh backend — every timer fires exactly once, in
 * timestamp order, and nothing else fires. On LMDB timers are kept pending and fired from a merge
 * of LMDB and the pending registrations (lmdb-timer-store.ts): this checks the merge across flushes,
 * restores and read-aheads.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { keyGroupFor, type KeyedStateBackend } from './index.ts';
import { BACKENDS, makeBackend, removeDir, resolver, takeSnapshot, tempDir } from './testing/backend-fixtures.ts';

const root = tempDir();
after(() => removeDir(root));

/** 48 keys in 3 key groups: every key group holds many timers (more than one read-ahead of 256). */
const KEYS = (() => {
  const groups = [keyGroupFor('k0', 128), keyGroupFor('k1', 128), keyGroupFor('k2', 128)];
  const keys: string[] = [];
  for (let i = 0; keys.length < 48; i++) if (groups.includes(keyGroupFor(`k${i}`, 128))) keys.push(`k${i}`);
  return keys;
})();

type Op =
  | { op: 'burst'; seed: number; n: number }
  | { op: 'delete'; key: number; ts: number }
  | { op: 'fire'; by: number }
  | { op: 'size' }
  | { op: 'restore' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('burst' as const), seed: fc.nat(), n: fc.integer({ min: 1, max: 700 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), key: fc.nat({ max: KEYS.length - 1 }), ts: fc.nat({ max: 3000 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('fire' as const), by: fc.nat({ max: 900 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('size' as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('restore' as const) }) },
);

/** Timers as `key@ts`. */
const id = (key: string, ts: number): string => `${key}@${ts}`;

/** Advances the watermark and checks what fired against the model: every due timer once, in timestamp order. */
function fireTo(b: KeyedStateBackend, model: Set<string>, watermark: number): void {
  const fired: Array<[string, number]> = [];
  b.timers.advanceWatermark(watermark, (ts, key) => {
    assert.equal(b.getCurrentKey(), key);
    fired.push([key as string, ts]);
    // Some fired timers register a follow-up for their key, due in this call or later.
    if ((ts + (key as string).length) % 5 === 0) {
      b.timers.registerEventTimeTimer(ts + 7);
      model.add(id(key as string, ts + 7));
    }
  });
  for (let i = 1; i < fired.length; i++) assert.ok(fired[i - 1]![1] <= fired[i]![1], `fired out of order: ${fired[i - 1]![1]} then ${fired[i]![1]}`);
  const firedIds = fired.map(([k, ts]) => id(k, ts));
  assert.equal(new Set(firedIds).size, firedIds.length, 'a timer fired twice');
  const due = [...model].filter((t) => Number(t.split('@')[1]) <= watermark);
  assert.deepEqual([...firedIds].sort(), due.sort());
  for (const t of due) model.delete(t);
}

for (const kind of BACKENDS) {
  describe(`timers on ${kind} against a model`, () => {
    test('random registrations, deletions, firing, flushes and restores: each timer fires once, in order', async () => {
      let checkpointId = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 25 }), async (ops) => {
          let b: KeyedStateBackend = await makeBackend(kind, root);
          const model = new Set<string>();
          let watermark = 0;
          try {
            for (const o of ops) {
              if (o.op === 'burst') {
                let x = o.seed;
                b.batch(() => {
                  for (let i = 0; i < o.n; i++) {
                    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
                    const key = KEYS[x % KEYS.length]!;
                    const ts = watermark + 1 + ((x >>> 8) % 2000);
                    b.setCurrentKey(key);
                    b.timers.registerEventTimeTimer(ts);
                    model.add(id(key, ts));
                  }
                });
              } else if (o.op === 'delete') {
                const key = KEYS[o.key]!;
                b.batch(() => {
                  b.setCurrentKey(key);
                  b.timers.deleteEventTimeTimer(o.ts);
                });
                model.delete(id(key, o.ts));
              } else if (o.op === 'fire') {
                watermark += o.by;
                fireTo(b, model, watermark);
              } else if (o.op === 'size') {
                assert.equal(b.timers.size(), model.size);
              } else {
                const handle = await takeSnapshot(b, root, ++checkpointId, { incremental: true });
                const restored = await makeBackend(kind, root);
                await restored.restore([handle], resolver(root));
                await b.dispose({ deleteFiles: true });
                b = restored;
                b.timers.advanceWatermark(watermark, () => assert.fail('a restored timer was already due'));
              }
            }
            assert.equal(b.timers.size(), model.size);
            fireTo(b, model, Number.MAX_SAFE_INTEGER);
            assert.equal(model.size, 0);
            assert.equal(b.timers.size(), 0);
          } finally {
            await b.dispose({ deleteFiles: true });
          }
        }),
        { numRuns: 40 },
      );
    });
  });
}
