/**
 * `npm run bench:state` — how fast is keyed state, heap vs LMDB?
 *
 *   read / update    ValueState ops per second through `batch()` (1 000 ops per batch)
 *   snapshot-full    duration and bytes of a full snapshot for 10^4, 10^5, 10^6 keys
 *   snapshot-incremental   one delta after 1 % of the keys changed (steady state: the third
 *                    delta after a base; target: ≤ 10 % of full in time and bytes)
 *
 * Flags: `--quick` (10^4 keys only, fewer ops), `--large` (instead: 5 M keys × 100 B through
 * LMDB, reporting peak heapUsed / RSS and duration → results/state-large.json).
 * Writes results/state.json: {"benchmark":"state","results":[{case, backend, keys, opsPerSec, ms, bytes}]}.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  createHeapKeyedStateBackend,
  createLmdbKeyedStateBackend,
  ValueStateDescriptor,
  type KeyedStateBackend,
  type SnapshotTarget,
} from '../state/index.ts';
import { formatNumber, parseBenchArgs, printTable, progress, writeResults } from './support/index.ts';

type Kind = 'heap' | 'lmdb';
interface Row {
  case: 'read' | 'update' | 'snapshot-full' | 'snapshot-incremental';
  backend: Kind;
  keys: number;
  opsPerSec: number | null;
  ms: number;
  bytes: number;
  syncMs?: number;
}

const args = parseBenchArgs();
const BATCH = 1_000;
const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-bench-state-'));
process.on('exit', () => fs.rmSync(tmpRoot, { recursive: true, force: true }));
let envCounter = 0;

async function makeBackend(kind: Kind): Promise<KeyedStateBackend> {
  const opts = { keyGroupRange: { start: 0, end: 127 }, maxParallelism: 128 };
  return kind === 'heap' ? createHeapKeyedStateBackend(opts) : createLmdbKeyedStateBackend({ ...opts, path: path.join(tmpRoot, `env-${envCounter++}`) });
}

const desc = new ValueStateDescriptor<{ id: number; n: number; name: string }>('value');
const keyOf = (i: number): string => `key-${i}`;

function target(id: number, incremental: boolean): SnapshotTarget {
  const exclusiveDir = path.join(tmpRoot, 'chk', `chk-${id}`);
  const sharedDir = path.join(tmpRoot, 'chk', 'shared');
  fs.mkdirSync(exclusiveDir, { recursive: true });
  fs.mkdirSync(sharedDir, { recursive: true });
  return { exclusiveDir, sharedDir, relativeTo: path.join(tmpRoot, 'chk'), incremental };
}

/** Writes `ops` updates over `keys` keys (i mod keys) in batches; returns elapsed ms. */
function updates(b: KeyedStateBackend, keys: number, ops: number, from = 0, label?: string): number {
  const s = b.getState(desc);
  const t0 = performance.now();
  for (let start = 0; start < ops; start += BATCH) {
    const end = Math.min(ops, start + BATCH);
    b.batch(() => {
      for (let i = start; i < end; i++) {
        const k = (from + i) % keys;
        b.setCurrentKey(keyOf(k));
        s.update({ id: k, n: i, name: 'some-twenty-chars-xx' });
      }
    });
    if (label && (start / BATCH) % 100 === 0) progress(label, start, ops);
  }
  if (label) progress(label, ops, ops);
  return performance.now() - t0;
}

function reads(b: KeyedStateBackend, keys: number, ops: number): number {
  const s = b.getState(desc);
  let sum = 0;
  const t0 = performance.now();
  for (let start = 0; start < ops; start += BATCH) {
    const end = Math.min(ops, start + BATCH);
    b.batch(() => {
      for (let i = start; i < end; i++) {
        b.setCurrentKey(keyOf((i * 7919) % keys));
        sum += s.value()!.id;
      }
    });
  }
  const ms = performance.now() - t0;
  if (sum < 0) throw new Error('unreachable');
  return ms;
}

let checkpointId = 1;

async function snapshotCase(kind: Kind, keys: number, rows: Row[]): Promise<void> {
  const b = await makeBackend(kind);
  try {
    updates(b, keys, keys, 0, `${kind} populate ${keys}`);
    // full (one unmeasured warm-up run below 10^6 keys: the first run includes JIT compilation)
    if (keys < 1_000_000) await b.snapshot(checkpointId, target(checkpointId++, false)).materialize();
    let t0 = performance.now();
    const full = b.snapshot(checkpointId, target(checkpointId++, false));
    const fullSync = performance.now() - t0;
    const fh = await full.materialize();
    const fullMs = performance.now() - t0;
    rows.push({ case: 'snapshot-full', backend: kind, keys, opsPerSec: null, ms: fullMs, bytes: fh.stateBytes, syncMs: fullSync });
    // incremental: base, then steady state (two unmeasured deltas), then the measured delta;
    // before each delta 1 % of the keys change
    const baseId = checkpointId++;
    await b.snapshot(baseId, target(baseId, true)).materialize();
    b.notifyCheckpointComplete(baseId);
    const changed = Math.max(1, Math.floor(keys / 100));
    for (let warm = 0; warm < 2; warm++) {
      updates(b, keys, changed, 777 * (warm + 1));
      const id = checkpointId++;
      await b.snapshot(id, target(id, true)).materialize();
      b.notifyCheckpointComplete(id);
    }
    updates(b, keys, changed, 12345);
    t0 = performance.now();
    const inc = b.snapshot(checkpointId, target(checkpointId++, true));
    const incSync = performance.now() - t0;
    const ih = await inc.materialize();
    const incMs = performance.now() - t0;
    if (ih.files.length !== 4) throw new Error(`expected base + 3 deltas, got ${ih.files.map((f) => f.kind).join(',')}`);
    rows.push({ case: 'snapshot-incremental', backend: kind, keys, opsPerSec: null, ms: incMs, bytes: ih.incrementalBytes, syncMs: incSync });
  } finally {
    await b.dispose({ deleteFiles: true });
  }
}

async function throughputCase(kind: Kind, keys: number, ops: number, rows: Row[]): Promise<void> {
  const b = await makeBackend(kind);
  try {
    updates(b, keys, keys); // populate + warm-up
    reads(b, keys, Math.min(ops, 100_000)); // warm-up
    const uMs = updates(b, keys, ops, 0, `${kind} update`);
    const bytes = b.stats().bytes;
    rows.push({ case: 'update', backend: kind, keys, opsPerSec: (ops / uMs) * 1000, ms: uMs, bytes });
    const rMs = reads(b, keys, ops);
    rows.push({ case: 'read', backend: kind, keys, opsPerSec: (ops / rMs) * 1000, ms: rMs, bytes });
  } finally {
    await b.dispose({ deleteFiles: true });
  }
}

async function large(): Promise<void> {
  const keys = Number(args.flags.keys ?? 5_000_000);
  const b = await createLmdbKeyedStateBackend({ path: path.join(tmpRoot, 'large'), keyGroupRange: { start: 0, end: 127 }, maxParallelism: 128 });
  const s = b.getState(new ValueStateDescriptor<Uint8Array>('payload'));
  const value = new Uint8Array(100);
  let peakHeap = 0;
  let peakRss = 0;
  const sample = (): void => {
    const m = process.memoryUsage();
    peakHeap = Math.max(peakHeap, m.heapUsed);
    peakRss = Math.max(peakRss, m.rss);
  };
  const t0 = performance.now();
  for (let start = 0; start < keys; start += BATCH) {
    b.batch(() => {
      for (let i = start; i < start + BATCH && i < keys; i++) {
        new DataView(value.buffer).setUint32(0, i);
        b.setCurrentKey(keyOf(i));
        s.update(value);
      }
    });
    if ((start / BATCH) % 50 === 0) {
      sample();
      progress('large', start, keys);
    }
  }
  sample();
  progress('large', keys, keys);
  const ms = performance.now() - t0;
  const stats = b.stats();
  await b.dispose({ deleteFiles: true });
  const result = { keys, valueBytes: 100, ms, keysPerSec: (keys / ms) * 1000, peakHeapUsedMiB: peakHeap / 2 ** 20, peakRssMiB: peakRss / 2 ** 20, lmdbBytes: stats.bytes, entries: stats.entries };
  printTable([result], ['keys', 'ms', 'keysPerSec', 'peakHeapUsedMiB', 'peakRssMiB', 'lmdbBytes']);
  writeResults('state-large', [result]);
}

async function main(): Promise<void> {
  if (args.flags.large) return large();
  const t0 = performance.now();
  const rows: Row[] = [];
  const quick = args.quick;
  for (const kind of ['heap', 'lmdb'] as const) await throughputCase(kind, quick ? 10_000 : 100_000, quick ? 200_000 : 2_000_000, rows);
  for (const keys of quick ? [10_000] : [10_000, 100_000, 1_000_000]) {
    for (const kind of ['heap', 'lmdb'] as const) await snapshotCase(kind, keys, rows);
  }
  const ratios = rows
    .filter((r) => r.case === 'snapshot-incremental')
    .map((inc) => {
      const full = rows.find((r) => r.case === 'snapshot-full' && r.backend === inc.backend && r.keys === inc.keys)!;
      return { backend: inc.backend, keys: inc.keys, timeRatio: inc.ms / full.ms, bytesRatio: inc.bytes / full.bytes };
    });
  printTable(rows, [
    'case',
    'backend',
    'keys',
    { key: 'opsPerSec', format: (v) => (v === null ? '' : formatNumber(v as number)) },
    { key: 'ms', format: (v) => formatNumber(v as number, 1) },
    { key: 'syncMs', format: (v) => (v === undefined ? '' : formatNumber(v as number, 2)) },
    'bytes',
  ]);
  printTable(ratios, ['backend', 'keys', { key: 'timeRatio', format: (v) => (v as number).toFixed(3) }, { key: 'bytesRatio', format: (v) => (v as number).toFixed(3) }]);
  const file = writeResults('state', rows, { incrementalVsFull: ratios, quick, durationMs: performance.now() - t0 });
  process.stderr.write(`wrote ${file}\n`);
}

await main();
