import * as fs from 'node:fs'; import * as path from 'node:path';
import { createHeapKeyedStateBackend, createLmdbKeyedStateBackend, ValueStateDescriptor } from './state/index.ts';
import { tempDir, snapshotTarget } from './state/testing/backend-fixtures.ts';
const root = tempDir();
const N = 100_000;
for (const kind of ['heap', 'lmdb']) {
  const opts = { keyGroupRange: { start: 0, end: 127 }, maxParallelism: 128 };
  const b = kind === 'heap' ? createHeapKeyedStateBackend(opts) : await createLmdbKeyedStateBackend({ ...opts, path: path.join(root, 'env') });
  const s = b.getState(new ValueStateDescriptor<any>('v'));
  let t = performance.now();
  for (let st = 0; st < N; st += 1000) b.batch(() => { for (let i = st; i < st + 1000; i++) { b.setCurrentKey(`key-${i}`); s.update({ id: i, n: i, name: 'some-twenty-chars-xx' }); } });
  console.log(kind, 'populate', (performance.now() - t).toFixed(0));
  for (let rep = 0; rep < 3; rep++) {
    t = performance.now();
    const h = await b.snapshot(rep + 1, snapshotTarget(root, rep + 1)).materialize();
    console.log(kind, 'snapshot', (performance.now() - t).toFixed(0), h.stateBytes);
  }
  t = performance.now();
  let x = 0;
  for (let st = 0; st < N; st += 1000) b.batch(() => { for (let i = st; i < st + 1000; i++) { b.setCurrentKey(`key-${i}`); x += s.value().id; } });
  console.log(kind, 'read', (performance.now() - t).toFixed(0));
  await b.dispose({ deleteFiles: true });
}
fs.rmSync(root, { recursive: true });
