/**
 * Shared types of the heap backend.
 *
 * Memory layout: `tables[sid][kg - range.start]` is a `Map<keyId, HeapCell>` (created on first
 * write). A cell's `v` is the value (value/reducing/aggregating), a `StoredValue[]` (list) or a
 * `Map<userKeyId, StoredMapEntry>` (map). Timers live in `HeapTimerStore`.
 *
 * Copy-on-access: a snapshot records the heap `version` at its sync point and bumps it. Cells and
 * timers carry the version they were created at. Until a pending snapshot has written a key
 * group, the first access (read or write — heap values are live objects the user may mutate)
 * to a cell that existed at the sync point serializes the cell for that snapshot first.
 */
import type { TimerNode } from './timer-queue.ts';

/** One (state, key) of the heap backend. */
export interface HeapCell {
  readonly sid: number;
  readonly kg: number;
  readonly keyId: unknown;
  /** Canonical copy of the key. */
  readonly key: unknown;
  v: unknown;
  /** TTL timestamp (value-like states; NaN when none). */
  t: number;
  /** Heap version at creation. */
  readonly ver: number;
  /** Removed from its table (cells are never revived; re-creating a key makes a new cell). */
  dead: boolean;
}

/** Incremental change marks of the heap backend. */
export interface HeapMarks {
  cells: Set<HeapCell>;
  timers: Set<TimerNode>;
}

/** Hooks a pending heap snapshot installs (see `HeapSnapshotView`). */
export interface HeapSnapshotHook {
  beforeAccess(cell: HeapCell): void;
  beforeTimerDelete(node: TimerNode): void;
}

/** Copy-on-access state shared by the cell table and the timer store. */
export interface HeapCow {
  version: number;
  pending: HeapSnapshotHook[];
}

/** Fresh, empty marks. */
export function newHeapMarks(): HeapMarks {
  return { cells: new Set(), timers: new Set() };
}
