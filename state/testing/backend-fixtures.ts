/**
 * Test support for state tests: create either backend over a temp directory, snapshot targets,
 * and a dump of a backend's whole visible state for equality checks.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Clock } from '../../common/clock.ts';
import { createHeapKeyedStateBackend } from '../heap/heap-keyed-state-backend.ts';
import type { KeyGroupRange } from '../key-groups.ts';
import type { KeyedStateBackend, KeyedStateHandle, SnapshotTarget } from '../keyed-state-backend.ts';
import { createLmdbKeyedStateBackend } from '../lmdb/lmdb-keyed-state-backend.ts';

export type BackendKind = 'heap' | 'lmdb';
export const BACKENDS: readonly BackendKind[] = ['heap', 'lmdb'];

/** A fresh temp directory. */
export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'weir-'));
}

/** Removes a directory tree. */
export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

let counter = 0;

/** Creates a backend; LMDB environments go under `root` (a fresh subdirectory per call). */
export async function makeBackend(
  kind: BackendKind,
  root: string,
  opts: { range?: KeyGroupRange; maxParallelism?: number; clock?: Clock; maxDeltasPerBase?: number; maxTrackedChanges?: number; snapshotChunkRecords?: number } = {},
): Promise<KeyedStateBackend> {
  const base = {
    keyGroupRange: opts.range ?? { start: 0, end: (opts.maxParallelism ?? 128) - 1 },
    maxParallelism: opts.maxParallelism ?? 128,
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.maxDeltasPerBase !== undefined ? { maxDeltasPerBase: opts.maxDeltasPerBase } : {}),
    ...(opts.maxTrackedChanges !== undefined ? { maxTrackedChanges: opts.maxTrackedChanges } : {}),
    ...(opts.snapshotChunkRecords !== undefined ? { snapshotChunkRecords: opts.snapshotChunkRecords } : {}),
  };
  if (kind === 'heap') return createHeapKeyedStateBackend(base);
  return createLmdbKeyedStateBackend({ ...base, path: path.join(root, `env-${process.pid}-${counter++}`) });
}

/** A checkpoint directory layout like the coordinator's: `<root>/chk-<id>` and `<root>/shared`. */
export function snapshotTarget(root: string, checkpointId: number, opts: { incremental?: boolean; canonical?: boolean } = {}): SnapshotTarget {
  const exclusiveDir = path.join(root, 'checkpoints', `chk-${checkpointId}`);
  const sharedDir = path.join(root, 'checkpoints', 'shared');
  fs.mkdirSync(exclusiveDir, { recursive: true });
  fs.mkdirSync(sharedDir, { recursive: true });
  return { exclusiveDir, sharedDir, relativeTo: path.join(root, 'checkpoints'), incremental: opts.incremental ?? false, ...(opts.canonical ? { canonical: true } : {}) };
}

/** Resolver for handle paths under `root`. */
export function resolver(root: string): (p: string) => string {
  return (p) => path.join(root, 'checkpoints', p);
}

/** Snapshot + materialize in one step. */
export async function takeSnapshot(b: KeyedStateBackend, root: string, id: number, opts: { incremental?: boolean; canonical?: boolean } = {}): Promise<KeyedStateHandle> {
  return b.snapshot(id, snapshotTarget(root, id, opts)).materialize();
}

/** JSON-ish stable rendering (sorts map entries, handles bigint/Map/Set/Date/bytes). */
export function canon(v: unknown): string {
  return JSON.stringify(v, (_k, x) => {
    if (typeof x === 'bigint') return `${x}n`;
    if (x instanceof Map) return { $map: [...x.entries()].map((e) => [canon(e[0]), e[1]]).sort() };
    if (x instanceof Set) return { $set: [...x].map((e) => canon(e)).sort() };
    if (x instanceof Uint8Array) return { $bytes: [...x] };
    return x;
  });
}
