import * as fs from 'node:fs'; import * as path from 'node:path';
import { createLmdbKeyedStateBackend, ValueStateDescriptor } from './state/index.ts';
import { tempDir } from './state/testing/backend-fixtures.ts';
const root = tempDir();
const N = 100_000;
const b = await createLmdbKeyedStateBackend({ keyGroupRange: { start: 0, end: 127 }, maxParallelism: 128, path: path.join(root, 'env') });
const s = b.getState(new ValueStateDescriptor<any>('v'));
for (let st = 0; st < N; st += 1000) b.batch(() => { for (let i = st; i < st + 1000; i++) { b.setCurrentKey(`key-${i}`); s.update({ id: i, n: i, name: 'some-twenty-chars-xx' }); } });
for (let rep = 0; rep < 5; rep++) {
  let t = performance.now(); let x = 0;
  for (let st = 0; st < N; st += 1000) b.batch(() => { for (let i = st; i < st + 1000; i++) { b.setCurrentKey(`key-${(i * 7919) % N}`); x += s.value().id; } });
  const tr = performance.now() - t; t = performance.now();
  for (let st = 0; st < N; st += 1000) b.batch(() => { for (let i = st; i < st + 1000; i++) { b.setCurrentKey(`key-${(i * 7919) % N}`); s.update({ id: i, n: i, name: 'some-twenty-chars-xx' }); } });
  const tu = performance.now() - t; t = performance.now();
  for (let st = 0; st < N; st += 1000) for (let i = st; i < st + 1000; i++) { b.setCurrentKey(`key-${(i * 7919) % N}`); x += s.value().id; }
  const tr2 = performance.now() - t;
  console.log('read in batch', (N / tr * 1000).toFixed(0), '/s; update', (N / tu * 1000).toFixed(0), '/s; read no batch', (N / tr2 * 1000).toFixed(0));
}
await b.dispose({ deleteFiles: true });
fs.rmSync(root, { recursive: true });
