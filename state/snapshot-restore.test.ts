import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ManualClock } from '../common/clock.ts';
import { ListStateDescriptor, ValueStateDescriptor, keyGroupRangeForSubtask, type KeyedStateBackend, type KeyedStateHandle } from './index.ts';
import { BACKENDS, makeBackend, removeDir, resolver, takeSnapshot, tempDir } from './testing/backend-fixtures.ts';
import { drainTimers, dump, mutate, scenarioKeys } from './testing/state-scenario.ts';

const root = tempDir();
after(() => removeDir(root));

const KEYS = scenarioKeys(300);

async function populated(kind: 'heap' | 'lmdb', clock: ManualClock): Promise<KeyedStateBackend> {
  const b = await makeBackend(kind, root, { clock });
  for (let r = 0; r < 4; r++) {
    clock.set(r * 400);
    mutate(b, KEYS, r, { timers: true });
  }
  return b;
}

describe('full snapshots', () => {
  for (const from of BACKENDS) {
    for (const to of BACKENDS) {
      test(`${from} → ${to}: restore reproduces state, TTL-expired values and timers exactly`, async () => {
        const clock = new ManualClock(0);
        const src = await populated(from, clock);
        const dst = await makeBackend(to, root, { clock });
        try {
          clock.set(1500); // ttl-value of rounds 0 (t=0) expired, round 1 (t=400) expired at 1400, 2 and 3 alive
          const handle = await takeSnapshot(src, root, 1);
          assert.equal(handle.format, 'weir-keyed-v1');
          assert.equal(handle.backend, from);
          assert.equal(handle.files.length, 1);
          assert.equal(handle.files[0]!.kind, 'full');
          assert.equal(handle.files[0]!.shared, false);
          assert.match(handle.files[0]!.path, /^chk-1\//);
          assert.equal(handle.stateBytes, handle.files[0]!.bytes);
          assert.equal(handle.incrementalBytes, handle.stateBytes);
          assert.equal(JSON.parse(JSON.stringify(handle)).checkpointId, 1);
          await dst.restore([handle], resolver(root));
          const expected = dump(src, KEYS);
          assert.ok(expected.some((l) => l.includes(' t=3 ')) && expected.some((l) => l.includes(' t=undefined ')));
          assert.deepEqual(dump(dst, KEYS), expected);
          assert.equal(dst.stats().entries, src.stats().entries);
          const timers = drainTimers(src);
          assert.ok(timers.length > 400);
          assert.deepEqual(drainTimers(dst), timers);
        } finally {
          await src.dispose({ deleteFiles: true });
          await dst.dispose({ deleteFiles: true });
        }
      });
    }
  }

  test('heap → LMDB → heap round trip keeps everything', async () => {
    const clock = new ManualClock(0);
    const heap = await populated('heap', clock);
    const lmdb = await makeBackend('lmdb', root, { clock });
    const heap2 = await makeBackend('heap', root, { clock });
    try {
      await lmdb.restore([await takeSnapshot(heap, root, 10)], resolver(root));
      await heap2.restore([await takeSnapshot(lmdb, root, 11)], resolver(root));
      assert.deepEqual(dump(heap2, KEYS), dump(heap, KEYS));
      assert.deepEqual(drainTimers(heap2), drainTimers(heap));
    } finally {
      for (const b of [heap, lmdb, heap2]) await b.dispose({ deleteFiles: true });
    }
  });

  for (const kind of BACKENDS) {
    test(`${kind}: restoring into two ranges partitions the state (rescale 1 → 2 → 1)`, async () => {
      const clock = new ManualClock(0);
      const src = await populated(kind, clock);
      const left = await makeBackend(kind, root, { clock, range: keyGroupRangeForSubtask(128, 2, 0) });
      const right = await makeBackend(kind, root, { clock, range: keyGroupRangeForSubtask(128, 2, 1) });
      const merged = await makeBackend(kind, root, { clock });
      try {
        const handle = await takeSnapshot(src, root, 20);
        await left.restore([handle], resolver(root));
        await right.restore([handle], resolver(root));
        const l = dump(left, KEYS, left.keyGroupRange);
        const r = dump(right, KEYS, right.keyGroupRange);
        assert.ok(l.length > 100 && r.length > 100);
        assert.equal(l.length + r.length, KEYS.length);
        assert.deepEqual([...l, ...r].sort(), dump(src, KEYS).sort());
        assert.equal(left.stats().entries + right.stats().entries, src.stats().entries);
        const lt = drainTimers(left);
        const rt = drainTimers(right);
        assert.deepEqual([...lt, ...rt].sort(), drainTimers(src));
        // and back: two old subtasks' handles into one backend
        const h2 = await Promise.all([left, right].map((b, i) => takeSnapshot(b, root, 21 + i)));
        await merged.restore(h2, resolver(root));
        assert.equal(merged.stats().entries, left.stats().entries + right.stats().entries);
        assert.deepEqual(dump(merged, KEYS).sort(), [...dump(left, KEYS, left.keyGroupRange), ...dump(right, KEYS, right.keyGroupRange)].sort());
      } finally {
        for (const b of [src, left, right, merged]) await b.dispose({ deleteFiles: true });
      }
    });

    test(`${kind}: overdue processing-time timers fire on the first call after restore`, async () => {
      const clock = new ManualClock(0);
      const src = await makeBackend(kind, root, { clock });
      const dst = await makeBackend(kind, root, { clock });
      try {
        src.batch(() => {
          src.setCurrentKey('late');
          src.timers.registerProcessingTimeTimer(100);
          src.setCurrentKey('later');
          src.timers.registerProcessingTimeTimer(10_000);
        });
        const handle = await takeSnapshot(src, root, 30);
        clock.set(5000);
        await dst.restore([handle], resolver(root));
        assert.equal(dst.timers.nextProcessingTimer(), 100);
        const fired: unknown[] = [];
        assert.equal(dst.timers.fireProcessingTimers(clock.now(), (ts, key) => fired.push([ts, key])), 1);
        assert.deepEqual(fired, [[100, 'late']]);
        assert.equal(dst.timers.nextProcessingTimer(), 10_000);
      } finally {
        await src.dispose({ deleteFiles: true });
        await dst.dispose({ deleteFiles: true });
      }
    });

    test(`${kind}: a corrupt or missing file fails the restore with the file's name`, async () => {
      const clock = new ManualClock(0);
      const src = await populated(kind, clock);
      try {
        const handle = await takeSnapshot(src, root, 40);
        const file = resolver(root)(handle.files[0]!.path);
        const bytes = fs.readFileSync(file);
        bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
        fs.writeFileSync(file, bytes);
        const dst = await makeBackend(kind, root, { clock });
        await assert.rejects(dst.restore([handle], resolver(root)), (err: Error & { code?: string }) => {
          assert.equal(err.code, 'WEIR_STATE_CORRUPT');
          assert.ok(err.message.includes(path.basename(file)), err.message);
          return true;
        });
        fs.rmSync(file);
        await assert.rejects(dst.restore([handle], resolver(root)), { code: 'WEIR_STATE_MISSING' });
        const truncated: KeyedStateHandle = { ...handle, files: [{ ...handle.files[0]!, bytes: handle.files[0]!.bytes + 1 }] };
        fs.writeFileSync(file, bytes);
        await assert.rejects(dst.restore([truncated], resolver(root)), { code: 'WEIR_STATE_CORRUPT' });
        await dst.dispose({ deleteFiles: true });
      } finally {
        await src.dispose({ deleteFiles: true });
      }
    });

    test(`${kind}: restored state names keep their kind; other maxParallelism is refused`, async () => {
      const src = await makeBackend(kind, root);
      try {
        src.batch(() => {
          src.setCurrentKey('k');
          src.getState(new ValueStateDescriptor<number>('x')).update(1);
        });
        const handle = await takeSnapshot(src, root, 50);
        const dst = await makeBackend(kind, root);
        await dst.restore([handle], resolver(root));
        assert.throws(() => dst.getState(new ListStateDescriptor<number>('x')), { code: 'WEIR_STATE_DESCRIPTOR_CONFLICT' });
        dst.setCurrentKey('k');
        assert.equal(dst.getState(new ValueStateDescriptor<number>('x')).value(), 1);
        await dst.dispose({ deleteFiles: true });
        const other = await makeBackend(kind, root, { maxParallelism: 64 });
        await assert.rejects(other.restore([handle], resolver(root)), { code: 'WEIR_STATE_INCOMPATIBLE' });
        await other.dispose({ deleteFiles: true });
      } finally {
        await src.dispose({ deleteFiles: true });
      }
    });
  }
});
