/**
 * Decisions for incremental snapshots (pure bookkeeping, no I/O).
 *
 * Change tracking starts at the first incremental snapshot (which is always a full base). From
 * then on every write adds a "mark" (what changed: a heap cell, an LMDB key) to the current
 * segment. Each incremental snapshot freezes the current segment under its checkpoint id.
 *
 *   plan(n)      → 'full'  (savepoint / non-incremental: exclusive file, chain untouched)
 *                  'base'  (new full base in the shared dir) when there is no completed base,
 *                          the chain has `maxDeltas` deltas, the deltas are as big as the base,
 *                          or change tracking overflowed
 *                  'delta' otherwise: the delta covers every segment frozen after the last
 *                          *completed* snapshot — so changes of aborted snapshots are never lost
 *   materialized(n, chain)   records the files snapshot n references
 *   complete(n)  → n becomes the base (if it was materialized and is newer), older segments
 *                  and pending snapshots are dropped (subsumed)
 *   abort(n)     → forget n; its segment stays and is covered by the next delta
 *
 * A delta may only extend the completed chain when every pending snapshot after it extends the
 * same chain: a pending one that does not (a new base, or a delta planned before this subtask
 * heard of the completion) can complete first, subsume the completed checkpoint and so release
 * its files — the delta's base would be deleted under it (the coordinator counts a checkpoint's
 * shared files only once it completed). Such a plan writes a new base instead.
 */

/** Files and sizes of one incremental snapshot's chain. */
export interface ChainFiles<F> {
  checkpointId: number;
  /** Base first, then deltas in apply order. */
  files: F[];
  baseBytes: number;
  deltaBytes: number;
  deltaCount: number;
}

/** A frozen set of changes. */
export interface Segment<D> {
  checkpointId: number;
  marks: D;
  overflow: boolean;
  added: number;
}

/** What a snapshot must write. */
export type SnapshotPlan<D, F> =
  | { mode: 'full' }
  | { mode: 'base' }
  | { mode: 'delta'; base: ChainFiles<F>; segments: Array<Segment<D>> };

/** The narrow view stores use to record changes: add to `marks` (when defined), then call `counted()`. */
export interface ChangeTracker<D> {
  readonly marks: D | undefined;
  counted(): void;
}

/** Limits for {@link IncrementalChain}. */
export interface IncrementalChainOptions {
  maxDeltas: number;
  maxTrackedChanges: number;
}

/** Tracks change segments and the base chain of incremental snapshots. */
export class IncrementalChain<D, F> implements ChangeTracker<D> {
  /** Current marks container; `undefined` when not tracking or after overflow (callers skip marking). */
  marks: D | undefined;
  private added = 0;
  private frozenAddedTotal = 0;
  private overflow = false;
  private tracking = false;
  private segments: Array<Segment<D>> = [];
  private completed: ChainFiles<F> | undefined;
  private readonly pending = new Map<number, ChainFiles<F> | null>();
  /** The completed checkpoint each pending incremental snapshot extends (-1: a base). */
  private readonly extending = new Map<number, number>();

  constructor(
    private readonly newMarks: () => D,
    private readonly opts: IncrementalChainOptions,
  ) {}

  /** Call after adding a mark to {@link marks}. */
  counted(): void {
    if (++this.added + this.frozenTotal > this.opts.maxTrackedChanges) {
      this.overflow = true;
      this.marks = undefined; // stop spending memory; the next snapshot writes a full base
    }
  }

  private get frozenTotal(): number {
    return this.frozenAddedTotal;
  }

  /** Whether changes are being tracked (an incremental snapshot was taken). */
  get isTracking(): boolean {
    return this.tracking;
  }

  /** The last completed chain (base + deltas), if any. */
  get completedChain(): ChainFiles<F> | undefined {
    return this.completed;
  }

  /** Decides what snapshot `checkpointId` writes; freezes the current segment for incremental ones. */
  plan(checkpointId: number, incremental: boolean): SnapshotPlan<D, F> {
    if (!incremental) return { mode: 'full' };
    this.pending.set(checkpointId, null);
    this.extending.set(checkpointId, -1);
    if (!this.tracking) {
      this.tracking = true;
      this.marks = this.newMarks();
      this.added = 0;
      this.overflow = false;
      return { mode: 'base' };
    }
    this.segments.push({ checkpointId, marks: this.marks ?? this.newMarks(), overflow: this.overflow, added: this.added });
    this.frozenAddedTotal += this.added;
    this.marks = this.newMarks();
    this.added = 0;
    this.overflow = false;
    const base = this.completed;
    if (
      base === undefined ||
      this.segments.some((s) => s.overflow) ||
      base.deltaCount >= this.opts.maxDeltas ||
      base.deltaBytes >= base.baseBytes ||
      this.pendingElsewhere(base.checkpointId, checkpointId)
    ) {
      return { mode: 'base' };
    }
    this.extending.set(checkpointId, base.checkpointId);
    return { mode: 'delta', base, segments: this.segments.slice() };
  }

  /** Whether a pending snapshot other than `checkpointId` does not extend completed checkpoint `base`. */
  private pendingElsewhere(base: number, checkpointId: number): boolean {
    for (const [id, on] of this.extending) if (id !== checkpointId && id > base && on !== base) return true;
    return false;
  }

  /** Records the chain snapshot `checkpointId` produced. */
  materialized(checkpointId: number, chain: ChainFiles<F>): void {
    if (this.pending.has(checkpointId)) this.pending.set(checkpointId, chain);
  }

  /** Snapshot `checkpointId` completed: it becomes the base of later deltas. */
  complete(checkpointId: number): void {
    const chain = this.pending.get(checkpointId);
    if (!chain) return;
    if (this.completed && this.completed.checkpointId >= checkpointId) return;
    this.completed = chain;
    this.segments = this.segments.filter((s) => s.checkpointId > checkpointId);
    this.frozenAddedTotal = this.segments.reduce((n, s) => n + s.added, 0);
    for (const id of [...this.pending.keys()]) if (id <= checkpointId) this.pending.delete(id);
    for (const id of [...this.extending.keys()]) if (id <= checkpointId) this.extending.delete(id);
  }

  /** Snapshot `checkpointId` was aborted. */
  abort(checkpointId: number): void {
    this.pending.delete(checkpointId);
    this.extending.delete(checkpointId);
  }

  /** Forget everything (after a restore the first incremental snapshot is a full base). */
  reset(): void {
    this.tracking = false;
    this.marks = undefined;
    this.added = 0;
    this.overflow = false;
    this.segments = [];
    this.frozenAddedTotal = 0;
    this.completed = undefined;
    this.pending.clear();
    this.extending.clear();
  }
}
