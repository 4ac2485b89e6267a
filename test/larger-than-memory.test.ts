/**
 * Larger-than-memory keyed state, scaled down: 200 000 keys × 100-byte values written through
 * the LMDB backend (`batch()` + `ValueState.update`) must leave the JS heap bounded — the data
 * lives in LMDB's memory-mapped file, not in JS objects. The full 5 M-key run is
 * `npm run bench:state -- --large` (see docs/state.md).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createLmdbKeyedStateBackend, ValueStateDescriptor } from '../state/index.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const KEYS = 200_000;
const BATCH = 1_000;

function valueFor(i: number): Uint8Array {
  const v = new Uint8Array(100);
  v.fill(i & 0xff);
  new DataView(v.buffer).setUint32(0, i);
  return v;
}

test('200k keys × 100 B in LMDB keep the JS heap bounded', async () => {
  const backend = await createLmdbKeyedStateBackend({
    path: path.join(dir, 'job', '0', 'op-0'),
    keyGroupRange: { start: 0, end: 127 },
    maxParallelism: 128,
  });
  try {
    const state = backend.getState(new ValueStateDescriptor<Uint8Array>('payload'));
    let peakHeap = 0;
    for (let start = 0; start < KEYS; start += BATCH) {
      backend.batch(() => {
        for (let i = start; i < start + BATCH; i++) {
          backend.setCurrentKey(`key-${i}`);
          state.update(valueFor(i));
        }
      });
      if ((start / BATCH) % 10 === 0) peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    }
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    assert.ok(peakHeap < 200 * 2 ** 20, `peak heapUsed ${(peakHeap / 2 ** 20).toFixed(1)} MiB`);
    const stats = backend.stats();
    assert.equal(stats.entries, KEYS);
    assert.ok(stats.bytes > KEYS * 100, `LMDB holds the data: ${stats.bytes} bytes`);
    for (const i of [0, 1, 77_777, KEYS - 1]) {
      backend.setCurrentKey(`key-${i}`);
      assert.deepEqual(new Uint8Array(state.value()!), valueFor(i));
    }
  } finally {
    await backend.dispose({ deleteFiles: true });
  }
});
