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
  AnyStateDescriptor,
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
  /**
   * Calls `fn(key, state)` once for every key of this backend that holds state under `d` (value
   * set, list or map non-empty; TTL-expired values, list elements and map entries count as
   * absent, as reads see them). Flink's `KeyedStateBackend.applyToAllKeys`; it backs
   * `KeyedBroadcastProcessFunction.Context.applyToKeyedState`.
   *
   * - Keys: only this backend's key-group range; each key with state is visited exactly once.
   *   Order: key group ascending, then within a key group heap: the order in which the keys got
   *   this state (a key whose state was cleared and written again moves to the end; restored keys
   *   in snapshot order), LMDB: canonical key byte order (key-codec.ts: null < false < true <
   *   numbers ascending < bigints < Dates < strings (UTF-8 byte order) < bytes < arrays < objects).
   * - The keys are collected before the first call: keys that get state during the iteration are
   *   not visited; a collected key whose state is gone (or expired) by its turn is skipped.
   * - During a call the backend's current key is `key` (`getCurrentKey()` returns that very
   *   value), so `state` — the handle `getState(d)` returns — reads and writes that key's state.
   *   `fn` may read, update or clear it and use other states of the same key. `key` equals (deep,
   *   same type) the key given to `setCurrentKey` when the state was written, decoded from its
   *   canonical bytes (composite keys are fresh copies; `-0` arrives as `0`); do not mutate it.
   * - Afterwards the previous current key and key group are restored (none if none was set),
   *   also when `fn` throws; the error propagates and the remaining keys are not visited.
   * - Works inside `batch()` (LMDB: reads see the batch's own writes; the recommended way, as
   *   outside one each write of `fn` commits on its own) and outside one. Reads and writes go
   *   through the normal handles and store paths, so snapshots in progress stay exact. Checking
   *   whether a key still has live state reads it without refreshing TTL timestamps or deleting
   *   expired entries.
   * - Registers `d` like `getState` (an unknown name visits nothing); a name registered with
   *   another kind or TTL throws `WEIR_STATE_DESCRIPTOR_CONFLICT`. Timers are never visited.
   */
  applyToAllKeys<T>(d: ValueStateDescriptor<T>, fn: (key: unknown, state: ValueState<T>) => void): void;
  applyToAllKeys<T>(d: ListStateDescriptor<T>, fn: (key: unknown, state: ListState<T>) => void): void;
  applyToAllKeys<K, V>(d: MapStateDescriptor<K, V>, fn: (key: unknown, state: MapState<K, V>) => void): void;
  applyToAllKeys<T>(d: ReducingStateDescriptor<T>, fn: (key: unknown, state: ReducingState<T>) => void): void;
  applyToAllKeys<IN, ACC, OUT>(d: AggregatingStateDescriptor<IN, ACC, OUT>, fn: (key: unknown, state: AggregatingState<IN, OUT>) => void): void;
  /** For code generic over descriptors: the handle arrives untyped. */
  applyToAllKeys(d: AnyStateDescriptor, fn: (key: unknown, state: unknown) => void): void;
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
