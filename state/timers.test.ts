import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../common/clock.ts';
import { NO_WATERMARK, ValueStateDescriptor, keyGroupFor, type KeyedStateBackend } from './index.ts';
import { BACKENDS, makeBackend, removeDir, tempDir } from './testing/backend-fixtures.ts';

const root = tempDir();
after(() => removeDir(root));

for (const kind of BACKENDS) {
  describe(`timers on ${kind}`, () => {
    const run = async (fn: (b: KeyedStateBackend, clock: ManualClock) => void): Promise<void> => {
      const clock = new ManualClock(1000);
      const b = await makeBackend(kind, root, { clock });
      try {
        fn(b, clock);
      } finally {
        await b.dispose({ deleteFiles: true });
      }
    };

    test('event-time timers fire in timestamp order with their key current, deduplicated', () =>
      run((b) => {
        const t = b.timers;
        assert.equal(t.currentWatermark(), NO_WATERMARK);
        b.batch(() => {
          for (const [key, ts] of [['a', 30], ['b', 10], ['c', 20], ['a', 10], ['b', 10], [[1, 'x'], 25], ['d', 40]] as const) {
            b.setCurrentKey(key);
            t.registerEventTimeTimer(ts);
          }
        });
        assert.equal(t.size(), 6);
        assert.equal(t.nextEventTimeTimer(), 10);
        const fired: Array<[number, unknown, unknown]> = [];
        const n = t.advanceWatermark(30, (ts, key) => fired.push([ts, key, b.getCurrentKey()]));
        assert.equal(n, 5);
        assert.deepEqual(fired.map((f) => f[0]), [10, 10, 20, 25, 30]);
        assert.deepEqual(new Set(fired.slice(0, 2).map((f) => f[1])), new Set(['a', 'b']));
        assert.deepEqual(fired.slice(2).map((f) => f[1]), ['c', [1, 'x'], 'a']);
        for (const f of fired) assert.deepEqual(f[2], f[1]);
        assert.equal(t.currentWatermark(), 30);
        assert.equal(t.advanceWatermark(35, () => assert.fail('nothing due')), 0);
        assert.equal(t.nextEventTimeTimer(), 40);
        assert.equal(t.size(), 1);
      }));

    test('delete removes only the given (key, timestamp, domain)', () =>
      run((b) => {
        const t = b.timers;
        b.batch(() => {
          b.setCurrentKey('a');
          t.registerEventTimeTimer(5);
          t.registerProcessingTimeTimer(5);
          t.registerEventTimeTimer(6);
          b.setCurrentKey('b');
          t.registerEventTimeTimer(5);
          b.setCurrentKey('a');
          t.deleteEventTimeTimer(5);
          t.deleteEventTimeTimer(99);
        });
        const fired: string[] = [];
        t.advanceWatermark(10, (ts, key) => fired.push(`${String(key)}@${ts}`));
        assert.deepEqual(fired, ['b@5', 'a@6']);
        assert.equal(t.nextProcessingTimer(), 5);
      }));

    test('timers registered while firing fire in the same call when due, and state sees the timer key', () =>
      run((b) => {
        const t = b.timers;
        const count = b.getState(new ValueStateDescriptor<number>('count', { defaultValue: 0 }));
        b.batch(() => {
          b.setCurrentKey('x');
          t.registerEventTimeTimer(1);
        });
        const fired: number[] = [];
        t.advanceWatermark(100, (ts) => {
          fired.push(ts);
          count.update(count.value()! + 1);
          if (ts < 50) t.registerEventTimeTimer(ts * 2);
        });
        assert.deepEqual(fired, [1, 2, 4, 8, 16, 32, 64]);
        b.setCurrentKey('x');
        assert.equal(count.value(), 7);
      }));

    test('processing-time timers fire when due; the next one is reported for wake-ups', () =>
      run((b, clock) => {
        const t = b.timers;
        assert.equal(t.currentProcessingTime(), 1000);
        assert.equal(t.nextProcessingTimer(), undefined);
        b.batch(() => {
          b.setCurrentKey(7);
          t.registerProcessingTimeTimer(1500);
          t.registerProcessingTimeTimer(1200);
          b.setCurrentKey(8);
          t.registerProcessingTimeTimer(1200);
        });
        assert.equal(t.nextProcessingTimer(), 1200);
        clock.set(1100);
        assert.equal(t.fireProcessingTimers(clock.now(), () => assert.fail('not due')), 0);
        const fired: Array<[number, unknown]> = [];
        clock.set(1300);
        assert.equal(t.fireProcessingTimers(clock.now(), (ts, key) => fired.push([ts, key])), 2);
        assert.deepEqual(fired.sort(), [[1200, 7], [1200, 8]]);
        assert.equal(t.nextProcessingTimer(), 1500);
        assert.equal(t.nextEventTimeTimer(), undefined);
      }));

    test('timers of many keys over many key groups come out sorted', () =>
      run((b) => {
        const t = b.timers;
        const expected: number[] = [];
        b.batch(() => {
          for (let i = 0; i < 500; i++) {
            b.setCurrentKey(`key-${i}`);
            const ts = (i * 7919) % 1000;
            t.registerEventTimeTimer(ts);
            expected.push(ts);
          }
        });
        const kgs = new Set(Array.from({ length: 500 }, (_, i) => keyGroupFor(`key-${i}`, 128)));
        assert.ok(kgs.size > 100);
        const fired: number[] = [];
        assert.equal(t.advanceWatermark(Number.POSITIVE_INFINITY, (ts) => fired.push(ts)), 500);
        assert.deepEqual(fired, expected.sort((x, y) => x - y));
        assert.equal(t.size(), 0);
      }));

    test('many timers of one key group fire in order; one deleted or added while they fire is honoured', () =>
      run((b) => {
        const keys = Array.from({ length: 200_000 }, (_, i) => `k${i}`).filter((k) => keyGroupFor(k, 128) === keyGroupFor('k0', 128)).slice(0, 700);
        assert.equal(keys.length, 700, 'keys of one key group (more than one read-ahead of timers)');
        const t = b.timers;
        b.batch(() => keys.forEach((k, i) => {
          b.setCurrentKey(k);
          t.registerEventTimeTimer(i);
        }));
        const fired: number[] = [];
        t.advanceWatermark(10_000, (ts) => {
          fired.push(ts);
          if (ts === 100 && fired.length === 101) {
            b.setCurrentKey(keys[101]!); // due, already read ahead: must not fire
            t.deleteEventTimeTimer(101);
            b.setCurrentKey(keys[500]!); // not read ahead yet: must not fire
            t.deleteEventTimeTimer(500);
            b.setCurrentKey(keys[3]!); // earlier than everything left: fires next
            t.registerEventTimeTimer(100);
          }
        });
        const expected = Array.from({ length: 700 }, (_, i) => i).filter((i) => i !== 101 && i !== 500);
        expected.splice(101, 0, 100); // the timer registered at 100 fires right after the one at 100
        assert.deepEqual(fired, expected);
        assert.equal(t.size(), 0);
      }));

    test('firing alternates between key groups with timers at the same times; registrations and deletions in one key group meanwhile', () =>
      run((b) => {
        // Two key groups, 600 timers each (more than one read-ahead), at the same timestamps:
        // firing goes back and forth between them.
        const inGroup = (kg: number) => Array.from({ length: 400_000 }, (_, i) => `k${i}`).filter((k) => keyGroupFor(k, 128) === kg).slice(0, 600);
        const a = inGroup(keyGroupFor('k0', 128));
        const c = inGroup((keyGroupFor('k0', 128) + 1) % 128);
        assert.equal(a.length + c.length, 1200);
        const t = b.timers;
        b.batch(() => [a, c].forEach((keys) => keys.forEach((k, i) => {
          b.setCurrentKey(k);
          t.registerEventTimeTimer(i);
        })));
        const fired: string[] = [];
        t.advanceWatermark(10_000, (ts) => {
          fired.push(`${b.getCurrentKey()}@${ts}`);
          if (ts === 50 && b.getCurrentKey() === a[50]) {
            b.setCurrentKey(c[300]!); // the other key group, not read ahead yet: must not fire
            t.deleteEventTimeTimer(300);
            b.setCurrentKey(c[51]!); // the other key group, read ahead: must not fire
            t.deleteEventTimeTimer(51);
            b.setCurrentKey(a[1]!); // this key group, earlier than what is left: fires next
            t.registerEventTimeTimer(50);
          }
        });
        const expected: string[] = [];
        for (let i = 0; i < 600; i++) {
          expected.push(`${a[i]}@${i}`);
          if (i === 50) expected.push(`${a[1]}@50`);
          if (i !== 300 && i !== 51) expected.push(`${c[i]}@${i}`);
        }
        // At one timestamp the key groups fire in key group order, and within one in key order.
        const byTime = (x: string, y: string) => Number(x.split('@')[1]) - Number(y.split('@')[1]);
        assert.deepEqual([...fired].sort(byTime), fired, 'fired in timestamp order');
        assert.deepEqual([...fired].sort(), [...expected].sort());
        assert.equal(t.size(), 0);
      }));

    test('bad timestamps and missing keys are rejected', () =>
      run((b) => {
        assert.throws(() => b.timers.registerEventTimeTimer(1), { code: 'WEIR_NO_CURRENT_KEY' });
        b.setCurrentKey('k');
        assert.throws(() => b.timers.registerEventTimeTimer(Number.NaN), { code: 'WEIR_INVALID_TIMER' });
      }));
  });
}
