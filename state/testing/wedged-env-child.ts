/**
 * Child process of lmdb-failover.test.ts: wedges an LMDB environment the way a failed subtask
 * does (a worker terminated while inside a write transaction — NODE-NOTES "hang trap"), then
 * shows that the next attempt's environment in a new directory works in the same process.
 * Prints one JSON line; the parent kills this process afterwards (it may be unable to exit).
 */
import { Worker } from 'node:worker_threads';
import * as path from 'node:path';
import { createLmdbKeyedStateBackend } from '../lmdb/lmdb-keyed-state-backend.ts';
import { ValueStateDescriptor } from '../descriptors.ts';

const root = process.argv[2]!;
const wedged = path.join(root, 'job', '0', 'op-0');
const code = `
const { parentPort, workerData } = require('node:worker_threads');
const { open } = require('lmdb');
const db = open({ path: workerData.path, keyEncoding: 'binary', encoding: 'binary', noSync: true });
db.transactionSync(() => { db.putSync(Buffer.from([1]), Buffer.from([1])); parentPort.postMessage('in-txn'); for (;;) {} });
`;
const worker = new Worker(code, { eval: true, workerData: { path: wedged } });
await new Promise((resolve) => worker.once('message', resolve));
void worker.terminate();
await new Promise((resolve) => setTimeout(resolve, 200));

const next = await createLmdbKeyedStateBackend({ path: path.join(root, 'job', '1', 'op-0'), keyGroupRange: { start: 0, end: 127 }, maxParallelism: 128 });
const state = next.getState(new ValueStateDescriptor<number>('v'));
next.batch(() => {
  next.setCurrentKey('k');
  state.update(42);
});
next.setCurrentKey('k');
process.stdout.write(`${JSON.stringify({ value: state.value(), entries: next.stats().entries })}\n`);
