import * as fs from 'node:fs'; import * as path from 'node:path';
import { createHeapKeyedStateBackend, createLmdbKeyedStateBackend, ValueStateDescriptor } from './state/index.ts';
import { tempDir, snapshotTarget } from './state/testing/backend-fixtures.ts';
const root = tempDir();
const N = 100_000;
const desc = new ValueStateDescriptor<any>('value');
for (const kind of ['heap', 'lmdb']) {
  const opts = { keyGroupRange: { start: 0, end: 127 }, maxParallelism: 128 };
  const b = kind === 'heap' ? createHeapKeyedStateBackend(opts) : await createLmdbKeyedStateBackend({ ...opts, path: path.join(root, 'env') });
  const s = b.getState(desc);
  const upd = (from: number, n: number) => { for (let st = 0; st < n; st += 1000) b.batch(() => { for (let i = st; i < Math.min(n, st + 1000); i++) { const k = (from + i) % N; b.setCurrentKey(`key-${k}`); s.update({ id: k, n: i, name: 'some-twenty-chars-xx' }); } }); };
  upd(0, N);
  let id = 1;
  const times: string[] = [];
  for (let rep = 0; rep < 5; rep++) {
    let t = performance.now();
    const full = await b.snapshot(id, snapshotTarget(root, id++)).materialize();
    const fullMs = performance.now() - t;
    const base = id++;
    await b.snapshot(base, snapshotTarget(root, base, { incremental: true })).materialize();
    b.notifyCheckpointComplete(base);
    upd(12345 + rep, N / 100);
    t = performance.now();
    const inc = await b.snapshot(id, snapshotTarget(root, id++, { incremental: true })).materialize();
    const incMs = performance.now() - t;
    times.push(`${fullMs.toFixed(0)}/${incMs.toFixed(1)}ms (${(incMs / fullMs).toFixed(3)}) ${inc.incrementalBytes}/${full.stateBytes}`);
  }
  console.log(kind, times.join('  '));
  await b.dispose({ deleteFiles: true });
}
fs.rmSync(root, { recursive: true });
