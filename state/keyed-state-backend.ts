/**
 * The keyed-state backend contract shared by the heap and LMDB implementations.
 *
 * Call order for one subtask attempt:
 *   1. create (`createHeapKeyedStateBackend` / `createLmdbKeyedStateBackend`)
 *   2. `restore(handles)` when recovering (before any state access)
 *   3. per record: `batch(() => { setCurrentKey(k); …state handles… })`
 *   4. per checkpoint: `snapshot(id, target)` (between batches) → later `materialize()`;
 *      then `notifyCheckpointComplete(id)` or `notifyCheckpointAborted(id)`
 *   5. `dispose()`
 * A snapshot whose `materialize()` is never called keeps resources (an LMDB read transaction,
 * heap copy-on-write bookkeeping) until `notifyCheckpointAborted(id)` or `dispose()`.
 */
import type { Clock } from '../common/clock.ts';
import type {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  ValueStateDescriptor,
} from './descriptors.ts';
import type { KeyGroupRange } from './key-groups.ts';
import type { AggregatingState, ListState, MapState, ReducingState, ValueState } from './state-types.ts';
import type { TimerService } from './timers.ts';


/** Where `snapshot()` writes its files. */
export interface SnapshotTarget {
  /** Directory owned by this checkpoint (full snapshots). Must exist. */
  exclusiveDir: string;
  /** Directory shared by incremental checkpoints (base files and deltas, ref-counted by the coordinator). Must exist. */
  sharedDir: string;
  /** Handle paths are relative to this directory (the checkpoint root) so checkpoints are relocatable. */
  relativeTo: string;
  /** Write only what changed since the last completed incremental snapshot. */
  incremental: boolean;
  /** Savepoint: force a full canonical snapshot in `exclusiveDir` (ignores `incremental`). */
  canonical?: boolean;
}

/** One file of a keyed-state snapshot. */
export interface KeyedStateFile {
  /** Relative to the target's `relativeTo`, with `/` separators. */
  path: string;
  bytes: number;
  sha256: string;
  /** True for files in the shared directory (referenced by several checkpoints). */
  shared: boolean;
  kind: 'full' | 'delta';
}

/** JSON-serializable description of one subtask's keyed-state snapshot. */
export interface KeyedStateHandle {
  format: 'weir-keyed-v1';
  backend: 'heap' | 'lmdb';
  keyGroupRange: KeyGroupRange;
  checkpointId: number;
  /** For incremental: base full file, then deltas, in apply order. */
  files: KeyedStateFile[];
  /** Total bytes referenced. */
  stateBytes: number;
  /** Bytes newly written by this checkpoint (== stateBytes for a full snapshot). */
  incrementalBytes: number;
  /** Stored records at the sync point (value keys, list elements, map entries, timers). */
  entries: number;
}

/** The asynchronous part of a snapshot. */
export interface SnapshotInProgress {
  readonly checkpointId: number;
  /** Writes the files; resolves with the handle. Calling it twice returns the same promise. */
  materialize(): Promise<KeyedStateHandle>;
}

/** Counts for metrics. */
export interface KeyedStateStats {
  /** Stored records (value keys, list elements, map entries, timers). */
  entries: number;
  /** Approximate bytes. */
  bytes: number;
}

/** Keyed state of one subtask: key context, state handles, timers, snapshots. */
export interface KeyedStateBackend {
  readonly kind: 'heap' | 'lmdb';
  readonly keyGroupRange: KeyGroupRange;
  readonly maxParallelism: number;
  /** Computes and checks the key group (`WEIR_KEY_OUT_OF_RANGE` if the key belongs to another subtask). */
  setCurrentKey(key: unknown): void;
  getCurrentKey(): unknown;
  /** Key group of the current key (-1 when none). */
  getCurrentKeyGroup(): number;
  getState<T>(d: ValueStateDescriptor<T>): ValueState<T>;
  getState<T>(d: ListStateDescriptor<T>): ListState<T>;
  getState<K, V>(d: MapStateDescriptor<K, V>): MapState<K, V>;
  getState<T>(d: ReducingStateDescriptor<T>): ReducingState<T>;
  getState<IN, ACC, OUT>(d: AggregatingStateDescriptor<IN, ACC, OUT>): AggregatingState<IN, OUT>;
  /** Groups the writes of one input batch (LMDB: one short synchronous write transaction — never await inside; heap: just calls fn). Nested calls join the outer batch. */
  batch<T>(fn: () => T): T;
  /** Keyed timers stored in this backend. */
  readonly timers: TimerService;
  /** Checkpoint: the synchronous part runs now (tiny); `materialize()` writes files while the job keeps writing state, and sees exactly the state at this call. Must not be called inside `batch()`. */
  snapshot(checkpointId: number, target: SnapshotTarget): SnapshotInProgress;
  /** Restore from handles of one or more old subtasks, keeping only this backend's key groups. Works across backends. */
  restore(handles: readonly KeyedStateHandle[], resolve: (relativePath: string) => string): Promise<void>;
  /** Lets incremental snapshots use this checkpoint as their base (subsumes earlier ones). */
  notifyCheckpointComplete(checkpointId: number): void;
  /** Releases an unmaterialized snapshot; its changes stay in the next incremental delta. */
  notifyCheckpointAborted(checkpointId: number): void;
  stats(): KeyedStateStats;
  /** Releases memory / closes the environment; `deleteFiles` removes the LMDB directory. */
  dispose(opts?: { deleteFiles?: boolean }): Promise<void>;
}

/** Options shared by both backends. */
export interface KeyedStateBackendOptions {
  keyGroupRange: KeyGroupRange;
  maxParallelism: number;
  clock?: Clock;
  /** Incremental snapshots: write a new full base after this many deltas (default 10). */
  maxDeltasPerBase?: number;
  /** Incremental snapshots: stop tracking changes (next snapshot is a full base) above this many changed records (default 1,000,000). */
  maxTrackedChanges?: number;
  /** `materialize()` gives the event loop a turn after at least this many records (default 4096; whole key groups are never split). */
  snapshotChunkRecords?: number;
}
