/**
 * What the heap and LMDB backends share: the key context, descriptor registration, applyToAllKeys, the timer
 * service, restore, and the snapshot protocol.
 *
 * Snapshot protocol (numbered as in the code):
 *   1. sync part (`snapshot()`): refuse inside `batch()`; let the incremental chain decide
 *      full / base / delta (freezing the change segment); the subclass opens a consistent view
 *      (LMDB: a read transaction; heap: copy-on-access bookkeeping) — O(1) work;
 *   2. `materialize()`: create the file (exclusive dir for full, shared dir for base/delta),
 *      let the view write its records key group by key group, yielding to the event loop;
 *   3. finish the file (footer, fsync), release the view, record the chain, build the handle
 *      (paths relative to `target.relativeTo`).
 * Abort before/while materializing releases the view (the write then fails harmlessly).
 */
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { WeirError, preview } from '../../common/weir-error.ts';
import { systemClock, type Clock } from '../../common/clock.ts';
import { sharesStoredObjects, type AnyStateDescriptor } from '../descriptors.ts';
import { checkKeyGroupRange, type KeyGroupRange } from '../key-groups.ts';
import type {
  KeyedStateBackend,
  KeyedStateBackendOptions,
  KeyedStateFile,
  KeyedStateHandle,
  KeyedStateStats,
  SnapshotInProgress,
  SnapshotTarget,
} from '../keyed-state-backend.ts';
import { IncrementalChain, type ChainFiles, type SnapshotPlan } from '../snapshot/incremental-chain.ts';
import { restoreKeyedState, type RestoreSink } from '../snapshot/keyed-restore.ts';
import { SnapshotFileWriter } from '../snapshot/snapshot-file.ts';
import type { TimerService } from '../timers.ts';
import { KeyContext } from './key-context.ts';
import type { KeyedStateStore } from './keyed-state-store.ts';
import { KeyedTimerService, type TimerStore } from './keyed-timer-service.ts';
import { createStateHandle } from './state-handles.ts';
import { StateRegistry, type StateMeta } from './state-registry.ts';

/** A chain file with an absolute path (handles get relative ones). */
export interface ChainFile {
  absPath: string;
  bytes: number;
  sha256: string;
  kind: 'full' | 'delta';
}

/** A consistent view of the state at a snapshot's sync point. */
export interface SnapshotView {
  /** Stored records at the sync point. */
  readonly entries: number;
  /** Writes the view's records (all, or the delta of the plan's segments) into `writer`. */
  write(writer: SnapshotFileWriter, yieldNow: () => Promise<void>): Promise<void>;
  /** Releases the view (idempotent). */
  release(): void;
}

/** Base class of the two backends; `D` is the type of incremental change marks. */
export abstract class AbstractKeyedStateBackend<D> implements KeyedStateBackend {
  abstract readonly kind: 'heap' | 'lmdb';
  readonly keyGroupRange: KeyGroupRange;
  readonly maxParallelism: number;
  protected readonly clock: Clock;
  protected readonly ctx: KeyContext;
  protected readonly registry: StateRegistry;
  protected readonly chain: IncrementalChain<D, ChainFile>;
  protected disposed = false;
  private readonly chunkRecords: number;
  private readonly handles = new Map<string, { d: AnyStateDescriptor; handle: unknown }>();
  private readonly views = new Map<number, SnapshotView>();

  protected constructor(opts: KeyedStateBackendOptions, newMarks: () => D) {
    checkKeyGroupRange(opts.keyGroupRange, opts.maxParallelism);
    this.keyGroupRange = Object.freeze({ start: opts.keyGroupRange.start, end: opts.keyGroupRange.end });
    this.maxParallelism = opts.maxParallelism;
    this.clock = opts.clock ?? systemClock;
    this.chunkRecords = opts.snapshotChunkRecords ?? 4096;
    this.ctx = new KeyContext(this.keyGroupRange, this.maxParallelism);
    this.registry = new StateRegistry((meta) => this.onStateCreated(meta));
    this.chain = new IncrementalChain<D, ChainFile>(newMarks, {
      maxDeltas: opts.maxDeltasPerBase ?? 10,
      maxTrackedChanges: opts.maxTrackedChanges ?? 1_000_000,
    });
  }

  private timerService: TimerService | undefined;

  /** Keyed timers stored in this backend (created on first use: subclass fields are ready by then). */
  get timers(): TimerService {
    return (this.timerService ??= new KeyedTimerService(this.timerStore(), this.ctx, this.clock, (fn) => this.batch(fn)));
  }

  protected abstract get store(): KeyedStateStore;
  protected abstract timerStore(): TimerStore;
  /** Persist a new state id (LMDB) — called for registrations and restores. */
  protected abstract onStateCreated(meta: StateMeta): void;
  protected abstract openSnapshotView(plan: SnapshotPlan<D, ChainFile>, syncTime: number): SnapshotView;
  protected abstract restoreSink(): RestoreSink;
  protected abstract runRestoreGroup(fn: () => void): void;
  protected afterRestore(): void {}
  abstract batch<T>(fn: () => T): T;
  abstract stats(): KeyedStateStats;
  protected abstract close(deleteFiles: boolean): Promise<void>;
  /** Whether a `batch()` is running. */
  protected abstract get inBatch(): boolean;

  protected checkOpen(): void {
    if (this.disposed) throw new WeirError('WEIR_BACKEND_DISPOSED', `The ${this.kind} keyed-state backend was disposed`);
  }

  setCurrentKey(key: unknown): void {
    this.ctx.set(key);
  }

  getCurrentKey(): unknown {
    return this.ctx.key;
  }

  getCurrentKeyGroup(): number {
    return this.ctx.kg;
  }

  getState(d: AnyStateDescriptor): any {
    this.checkOpen();
    if (d === null || typeof d !== 'object' || typeof (d as { name?: unknown }).name !== 'string' || typeof (d as { kind?: unknown }).kind !== 'string') {
      throw new WeirError('WEIR_INVALID_STATE_DESCRIPTOR', `getState needs a state descriptor (new ValueStateDescriptor('name'), ListStateDescriptor, …), got ${preview(d)}`, {});
    }
    const cached = this.handles.get(d.name);
    if (cached && cached.d === d) return cached.handle;
    const meta = this.registry.register(d.name, d.kind, d.ttl);
    if (sharesStoredObjects(d)) this.store.shareObjects?.(meta.sid);
    const handle = createStateHandle(this.store, meta.sid, d, this.clock);
    this.handles.set(d.name, { d, handle });
    return handle;
  }

  applyToAllKeys(d: AnyStateDescriptor, fn: (key: unknown, state: any) => void): void {
    const handle = this.getState(d); // checks open, registers, throws on conflicts
    const sid = this.registry.byNameOf(d.name)!.sid;
    const store = this.store;
    const refs = store.keysWithState(sid); // collected first: fn may write while we walk them
    if (refs.length === 0) return;
    const ctx = this.ctx;
    const prevKey = ctx.key;
    const prevKg = ctx.kg;
    const ttlMs = d.ttl?.ttlMs;
    try {
      for (const { kg, key } of refs) {
        ctx.setTrusted(key, kg);
        if (hasLiveState(store, sid, d.kind, ttlMs, ttlMs === undefined ? 0 : this.clock.now())) fn(key, handle);
      }
    } finally {
      ctx.setTrusted(prevKey, prevKg);
    }
  }

  snapshot(checkpointId: number, target: SnapshotTarget): SnapshotInProgress {
    this.checkOpen();
    // 1. sync part
    if (this.inBatch) throw new WeirError('WEIR_SNAPSHOT_IN_BATCH', `snapshot(${checkpointId}) was called inside batch(); take snapshots between batches`, { checkpointId });
    if (this.views.has(checkpointId)) throw new WeirError('WEIR_SNAPSHOT_DUPLICATE', `A snapshot for checkpoint ${checkpointId} is already in progress`, { checkpointId });
    const plan = this.chain.plan(checkpointId, target.incremental && !target.canonical);
    const view = this.openSnapshotView(plan, this.clock.now());
    this.views.set(checkpointId, view);
    let promise: Promise<KeyedStateHandle> | undefined;
    return {
      checkpointId,
      materialize: () => (promise ??= this.materialize(checkpointId, target, plan, view)),
    };
  }

  private async materialize(checkpointId: number, target: SnapshotTarget, plan: SnapshotPlan<D, ChainFile>, view: SnapshotView): Promise<KeyedStateHandle> {
    // 2. write the file
    const shared = plan.mode !== 'full';
    const dir = shared ? target.sharedDir : target.exclusiveDir;
    const label = plan.mode === 'delta' ? 'delta' : 'full';
    const { start, end } = this.keyGroupRange;
    const abs = path.join(dir, `keyed-${checkpointId}-${label}-kg${start}-${end}-${randomUUID()}.wks`);
    let writer: SnapshotFileWriter | undefined;
    try {
      if (!this.views.has(checkpointId)) throw aborted(checkpointId);
      const w = (writer = await SnapshotFileWriter.create(abs));
      let sinceYield = 0;
      await view.write(w, async () => {
        // Called after each key group: give the event loop a turn once enough work was done.
        if (w.recordsWritten - sinceYield >= this.chunkRecords) {
          sinceYield = w.recordsWritten;
          await yieldToLoop();
        }
        if (!this.views.has(checkpointId)) throw aborted(checkpointId);
      });
      const written = await writer.finish({
        kind: label,
        backend: this.kind,
        checkpointId,
        maxParallelism: this.maxParallelism,
        keyGroupRange: this.keyGroupRange,
        states: this.registry.rows(),
      });
      writer = undefined;
      // 3. chain bookkeeping and handle
      const file: ChainFile = { absPath: written.absPath, bytes: written.bytes, sha256: written.sha256, kind: label };
      const chain: ChainFiles<ChainFile> =
        plan.mode === 'delta'
          ? { checkpointId, files: [...plan.base.files, file], baseBytes: plan.base.baseBytes, deltaBytes: plan.base.deltaBytes + file.bytes, deltaCount: plan.base.deltaCount + 1 }
          : { checkpointId, files: [file], baseBytes: file.bytes, deltaBytes: 0, deltaCount: 0 };
      if (shared) this.chain.materialized(checkpointId, chain);
      const files: KeyedStateFile[] = chain.files.map((f) => ({
        path: path.relative(target.relativeTo, f.absPath).split(path.sep).join('/'),
        bytes: f.bytes,
        sha256: f.sha256,
        shared,
        kind: f.kind,
      }));
      const stateBytes = files.reduce((n, f) => n + f.bytes, 0);
      return {
        format: 'weir-keyed-v1',
        backend: this.kind,
        keyGroupRange: { ...this.keyGroupRange },
        checkpointId,
        files,
        stateBytes,
        incrementalBytes: file.bytes,
        entries: view.entries,
      };
    } catch (err) {
      await writer?.discard();
      throw err;
    } finally {
      view.release();
      this.views.delete(checkpointId);
    }
  }

  async restore(handles: readonly KeyedStateHandle[], resolve: (relativePath: string) => string): Promise<void> {
    this.checkOpen();
    await restoreKeyedState(handles, resolve, {
      range: this.keyGroupRange,
      maxParallelism: this.maxParallelism,
      registry: this.registry,
      sink: this.restoreSink(),
      runGroup: (fn) => this.runRestoreGroup(fn),
    });
    this.chain.reset();
    this.afterRestore();
  }

  notifyCheckpointComplete(checkpointId: number): void {
    this.chain.complete(checkpointId);
  }

  notifyCheckpointAborted(checkpointId: number): void {
    this.chain.abort(checkpointId);
    const view = this.views.get(checkpointId);
    if (view) {
      this.views.delete(checkpointId);
      view.release();
    }
  }

  async dispose(opts: { deleteFiles?: boolean } = {}): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const view of this.views.values()) view.release();
    this.views.clear();
    await this.close(opts.deleteFiles ?? false);
  }
}

/**
 * Whether the current key holds unexpired state under `sid`, as the handles' reads would see it,
 * but without their side effects (no TTL refresh, no deletion of expired records).
 */
function hasLiveState(store: KeyedStateStore, sid: number, kind: AnyStateDescriptor['kind'], ttlMs: number | undefined, now: number): boolean {
  const live = (t: number): boolean => ttlMs === undefined || !(t + ttlMs <= now);
  switch (kind) {
    case 'list': {
      const items = store.getList(sid);
      return items !== undefined && items.some((e) => live(e.t));
    }
    case 'map':
      for (const e of store.mapEntries(sid)) if (live(e.t)) return true;
      return false;
    default: {
      const e = store.getValue(sid);
      return e !== undefined && live(e.t);
    }
  }
}

function aborted(checkpointId: number): WeirError {
  return new WeirError('WEIR_SNAPSHOT_ABORTED', `Snapshot of checkpoint ${checkpointId} was aborted or the backend was disposed`, { checkpointId });
}
