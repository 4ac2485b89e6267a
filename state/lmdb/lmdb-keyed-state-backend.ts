/**
 * The LMDB keyed-state backend: state larger than memory, in one LMDB environment per stateful
 * subtask *attempt*. Recommended path: `<stateDir>/<jobId>/<attempt>/<operatorUid>-<subtask>/`.
 *
 * Why one environment per subtask attempt:
 *   - LMDB allows one writer per environment; separate environments mean no writer contention
 *     between subtasks sharing a worker thread or process.
 *   - A worker terminated inside a write transaction wedges that environment for the whole
 *     process (NODE-NOTES "hang trap"). A new attempt never reopens an old attempt's directory,
 *     so a wedged environment cannot block recovery; recovery reads checkpoint files instead.
 * The working copy needs no durability (checkpoints provide it): `noSync`, no lmdb-js value
 * cache.
 * Writes go through `batch()` = one synchronous `transactionSync`; nothing awaits inside it.
 * Layout of keys and values: lmdb-layout.ts.
 */
import { promises as fsp } from 'node:fs';
import type { open as openLmdb } from 'lmdb';
import { WeirError } from '../../common/weir-error.ts';
import type { StateKind } from '../descriptors.ts';
import type { KeyedStateBackend, KeyedStateBackendOptions, KeyedStateStats } from '../keyed-state-backend.ts';
import { AbstractKeyedStateBackend, type ChainFile, type SnapshotView } from '../keyed/abstract-keyed-state-backend.ts';
import type { KeyedStateStore } from '../keyed/keyed-state-store.ts';
import type { TimerStore } from '../keyed/keyed-timer-service.ts';
import type { StateMeta } from '../keyed/state-registry.ts';
import type { SnapshotPlan } from '../snapshot/incremental-chain.ts';
import type { RestoreSink } from '../snapshot/keyed-restore.ts';
import { packValue, unpackValue } from '../value-codec.ts';
import { META_END, META_PREFIX, checkKeySize, encodeStored, rangeEnd } from './lmdb-layout.ts';
import { LmdbSnapshotView, type FrozenState } from './lmdb-snapshot-view.ts';
import { deleteRange, type BinaryDb } from './lmdb-db.ts';
import { LmdbStateStore } from './lmdb-state-store.ts';
import { LmdbTimerStore } from './lmdb-timer-store.ts';

/** Options of {@link createLmdbKeyedStateBackend}. */
export interface LmdbKeyedStateBackendOptions extends KeyedStateBackendOptions {
  /** Directory of this subtask attempt's environment (created if missing). */
  path: string;
  /**
   * Delete whatever is at `path` before opening. The runtime's working copies are scratch (their
   * contents come from a restore): an environment a killed process left there (same job id,
   * attempt and subtask) must not leak its newer keys into the restored state.
   */
  discardExisting?: boolean;
  /** Initial LMDB map size; lmdb-js grows it when full. */
  mapSizeBytes?: number;
}

interface MetaRecord {
  sid: number;
  kind: StateKind;
  ttlMs?: number;
  updateType?: 'on-create-and-write' | 'on-read-and-write';
}

class LmdbKeyedStateBackend extends AbstractKeyedStateBackend<Set<string>> {
  readonly kind = 'lmdb' as const;
  private readonly stateStore: LmdbStateStore;
  private readonly timerStoreImpl: LmdbTimerStore;
  private batchDepth = 0;
  private readonly valScratch = { buf: Buffer.allocUnsafe(1024) };

  constructor(
    opts: LmdbKeyedStateBackendOptions,
    private readonly db: BinaryDb,
    readonly path: string,
  ) {
    super(opts, () => new Set<string>());
    const kindOf = (sid: number): 'value' | 'list' | 'map' => {
      const kind = this.registry.get(sid)?.kind;
      return kind === 'list' || kind === 'map' ? kind : 'value';
    };
    const inTransaction = (fn: () => void): void => {
      if (this.batchDepth > 0) fn();
      else this.db.transactionSync(fn);
    };
    this.stateStore = new LmdbStateStore(db, this.ctx, this.chain, kindOf, inTransaction);
    this.timerStoreImpl = new LmdbTimerStore(db, this.ctx, this.keyGroupRange, this.chain, inTransaction);
    this.loadMeta();
    this.timerStoreImpl.recomputeHeads();
  }

  private loadMeta(): void {
    for (const { key, value } of this.db.getRange({ start: META_PREFIX, end: META_END })) {
      const name = (key as Buffer).subarray(2).toString('utf8');
      const m = unpackValue(value as Buffer) as MetaRecord;
      this.registry.load(m.sid, name, m.kind, m.ttlMs ? { ttlMs: m.ttlMs, updateType: m.updateType ?? 'on-create-and-write' } : undefined);
    }
  }

  protected get store(): KeyedStateStore {
    return this.stateStore;
  }

  protected timerStore(): TimerStore {
    return this.timerStoreImpl;
  }

  protected onStateCreated(meta: StateMeta): void {
    const rec: MetaRecord = { sid: meta.sid, kind: meta.kind };
    if (meta.ttl) {
      rec.ttlMs = meta.ttl.ttlMs;
      rec.updateType = meta.ttl.updateType;
    }
    const key = Buffer.concat([META_PREFIX, Buffer.from(meta.name, 'utf8')]);
    checkKeySize(key.length);
    this.db.putSync(key, Buffer.from(packValue(rec)));
  }

  protected get inBatch(): boolean {
    return this.batchDepth > 0;
  }

  batch<T>(fn: () => T): T {
    if (this.batchDepth > 0) return fn();
    this.checkOpen();
    this.batchDepth++;
    try {
      return this.db.transactionSync(fn);
    } finally {
      this.batchDepth--;
    }
  }

  protected openSnapshotView(plan: SnapshotPlan<Set<string>, ChainFile>, syncTime: number): SnapshotView {
    // The sync point: cached state and pending timers go to LMDB before its read transaction opens.
    this.stateStore.flush();
    this.timerStoreImpl.flush();
    const states = new Map<number, FrozenState>();
    for (const m of this.registry.all()) states.set(m.sid, { kind: m.kind, ttlMs: m.ttl?.ttlMs });
    return new LmdbSnapshotView(this.db, this.stats().entries, plan, this.keyGroupRange, states, syncTime);
  }

  private composite(kg: number, sid: number, key: Uint8Array, suffix?: Uint8Array): Buffer {
    const b = Buffer.allocUnsafe(4 + key.length + (suffix?.length ?? 0));
    b.writeUInt16BE(kg, 0);
    b.writeUInt16BE(sid, 2);
    b.set(key, 4);
    if (suffix) b.set(suffix, 4 + key.length);
    checkKeySize(b.length);
    return b;
  }

  private putRaw(key: Buffer, t: number, payload: Uint8Array): void {
    this.db.putSync(key, encodeStored(payload, t, this.valScratch));
  }

  protected restoreSink(): RestoreSink {
    return {
      putValue: (kg, sid, key, t, v) => this.putRaw(this.composite(kg, sid, key), t, v),
      putList: (kg, sid, key, items) => {
        const p = this.composite(kg, sid, key);
        deleteRange(this.db, p, rangeEnd(p));
        const k = Buffer.allocUnsafe(p.length + 4);
        p.copy(k);
        items.forEach((it, i) => {
          k.writeUInt32BE(i, p.length);
          this.putRaw(k, it.t, it.v);
        });
      },
      putMapEntry: (kg, sid, key, uk, t, v) => this.putRaw(this.composite(kg, sid, key, uk), t, v),
      deleteKey: (kg, sid, key) => {
        const p = this.composite(kg, sid, key);
        deleteRange(this.db, p, rangeEnd(p));
      },
      deleteMapEntry: (kg, sid, key, uk) => {
        this.db.removeSync(this.composite(kg, sid, key, uk));
      },
      putTimer: (kg, domain, ts, key) => this.timerStoreImpl.restorePut(kg, domain, ts, key),
      deleteTimer: (kg, domain, ts, key) => this.timerStoreImpl.restoreDelete(kg, domain, ts, key),
    };
  }

  protected runRestoreGroup(fn: () => void): void {
    this.stateStore.forgetAll(); // the restore writes LMDB underneath the cache and the list lengths
    this.timerStoreImpl.flush();
    this.batch(fn);
  }

  protected override afterRestore(): void {
    this.timerStoreImpl.recomputeHeads();
  }

  stats(): KeyedStateStats {
    this.checkOpen();
    this.stateStore.flush();
    this.timerStoreImpl.flush();
    const s = this.db.getStats() as { entryCount: number; pageSize: number; treeBranchPageCount: number; treeLeafPageCount: number; overflowPages: number };
    const metaCount = this.registry.all().length;
    return {
      entries: Math.max(0, s.entryCount - metaCount),
      bytes: (s.treeBranchPageCount + s.treeLeafPageCount + s.overflowPages) * s.pageSize,
    };
  }

  protected async close(deleteFiles: boolean): Promise<void> {
    if (!deleteFiles) {
      // A closed environment reopened (not the runtime's working copies) holds every write.
      this.stateStore.flush(true);
      this.timerStoreImpl.flush();
    }
    await this.db.close();
    if (deleteFiles) await fsp.rm(this.path, { recursive: true, force: true });
  }
}

/** Opens (creating if needed) the LMDB environment at `opts.path` and returns its backend. */
export async function createLmdbKeyedStateBackend(opts: LmdbKeyedStateBackendOptions): Promise<KeyedStateBackend> {
  if (!opts || typeof opts.path !== 'string' || opts.path.length === 0) {
    throw new WeirError('WEIR_INVALID_ARGUMENT', 'createLmdbKeyedStateBackend needs { path, keyGroupRange, maxParallelism }');
  }
  if (opts.discardExisting) await fsp.rm(opts.path, { recursive: true, force: true });
  await fsp.mkdir(opts.path, { recursive: true });
  // Loaded on first use: a worker that only runs heap-state or stateless subtasks never loads
  // the native module (tens of ms of every worker's start-up).
  const open: typeof openLmdb = (await import('lmdb')).open;
  let db: BinaryDb;
  try {
    db = open({
      path: opts.path,
      keyEncoding: 'binary',
      encoding: 'binary',
      cache: false,
      compression: false,
      noSync: true,
      noMemInit: true,
      // Not `useWritemap`: ~1.5-2x faster random updates here, but lmdb 3.5.6 then aborted the
      // process (mdb_freelist_save assertion) in the timer tests. See docs/state.md.
      ...(opts.mapSizeBytes ? { mapSize: opts.mapSizeBytes } : {}),
    }) as unknown as BinaryDb;
  } catch (cause) {
    throw new WeirError('WEIR_STATE_OPEN_FAILED', `Cannot open the LMDB environment at ${opts.path}: ${(cause as Error).message}`, { path: opts.path }, { cause });
  }
  try {
    return new LmdbKeyedStateBackend(opts, db, opts.path);
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
}
