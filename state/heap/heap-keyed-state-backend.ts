/**
 * The heap keyed-state backend: state in JS Maps per key group (see heap-types.ts for the layout
 * and the copy-on-access snapshot scheme). Fast, bounded by the JS heap. Values are held by
 * reference, like Flink's heap backend: do not mutate an object after writing it to state unless
 * you write it back. Snapshots are still exact: a cell is serialized for a pending snapshot
 * before anyone can read or change it after the sync point.
 */
import { WeirError } from '../../common/weir-error.ts';
import { decodeKey } from '../key-codec.ts';
import { keyIdentity as keyIdOf } from '../key-identity.ts';
import type { KeyedStateBackend, KeyedStateBackendOptions, KeyedStateStats } from '../keyed-state-backend.ts';
import { AbstractKeyedStateBackend, type ChainFile, type SnapshotView } from '../keyed/abstract-keyed-state-backend.ts';
import type { KeyedStateStore, StoredMapEntry, StoredValue } from '../keyed/keyed-state-store.ts';
import type { TimerStore } from '../keyed/keyed-timer-service.ts';
import type { StateMeta } from '../keyed/state-registry.ts';
import type { SnapshotPlan } from '../snapshot/incremental-chain.ts';
import type { RestoreSink } from '../snapshot/keyed-restore.ts';
import { unpackValue } from '../value-codec.ts';
import { RecordBuffer } from '../snapshot/snapshot-records.ts';
import { HeapSnapshotView, writeCellRecords } from './heap-snapshot-view.ts';
import { HeapStateTable } from './heap-state-table.ts';
import { HeapTimerStore } from './heap-timer-store.ts';
import { newHeapMarks, type HeapCow, type HeapMarks } from './heap-types.ts';

class HeapKeyedStateBackend extends AbstractKeyedStateBackend<HeapMarks> {
  readonly kind = 'heap' as const;
  private readonly cow: HeapCow = { version: 0, pending: [] };
  private readonly table: HeapStateTable;
  private readonly timerStoreImpl: HeapTimerStore;
  private batchDepth = 0;

  constructor(opts: KeyedStateBackendOptions) {
    super(opts, newHeapMarks);
    this.table = new HeapStateTable(this.ctx, this.keyGroupRange, this.cow, this.chain, (sid) => {
      const kind = this.registry.get(sid)?.kind;
      return kind === 'list' || kind === 'map' ? kind : 'value';
    });
    this.timerStoreImpl = new HeapTimerStore(this.ctx, this.keyGroupRange, this.cow, this.chain);
  }

  protected get store(): KeyedStateStore {
    return this.table;
  }

  protected timerStore(): TimerStore {
    return this.timerStoreImpl;
  }

  protected onStateCreated(_meta: StateMeta): void {}

  protected get inBatch(): boolean {
    return this.batchDepth > 0;
  }

  batch<T>(fn: () => T): T {
    this.batchDepth++;
    try {
      return fn();
    } finally {
      this.batchDepth--;
    }
  }

  protected openSnapshotView(plan: SnapshotPlan<HeapMarks, ChainFile>, syncTime: number): SnapshotView {
    const view = new HeapSnapshotView(
      this.cow.version,
      syncTime,
      this.table.entryCount + this.timerStoreImpl.size(),
      plan,
      this.keyGroupRange,
      this.table,
      this.timerStoreImpl,
      this.registry,
      (v) => {
        const i = this.cow.pending.indexOf(v);
        if (i >= 0) this.cow.pending.splice(i, 1);
      },
    );
    this.cow.version++;
    this.cow.pending.push(view);
    return view;
  }

  protected restoreSink(): RestoreSink {
    const table = this.table;
    const timers = this.timerStoreImpl;
    const setValue = (kg: number, sid: number, keyBytes: Uint8Array, v: unknown, t: number): void => {
      const key = decodeKey(keyBytes);
      let fresh = false;
      const cell = table.restoreCell(sid, kg, key, () => {
        fresh = true;
        return v;
      });
      if (fresh) table.addEntries(1);
      cell.v = v;
      cell.t = t;
    };
    return {
      putValue: (kg, sid, key, t, v) => setValue(kg, sid, key, unpackValue(v), t),
      putList: (kg, sid, key, items) => {
        table.restoreDelete(sid, kg, decodeKey(key));
        const list: StoredValue[] = items.map((it) => ({ v: unpackValue(it.v), t: it.t }));
        table.restoreCell(sid, kg, decodeKey(key), () => list);
        table.addEntries(list.length);
      },
      putMapEntry: (kg, sid, key, uk, t, v) => {
        const cell = table.restoreCell(sid, kg, decodeKey(key), () => new Map());
        const map = cell.v as Map<unknown, StoredMapEntry>;
        const k = decodeKey(uk);
        const id = keyIdOf(k);
        if (!map.has(id)) table.addEntries(1);
        map.set(id, { k, v: unpackValue(v), t });
      },
      deleteKey: (kg, sid, key) => table.restoreDelete(sid, kg, decodeKey(key)),
      deleteMapEntry: (kg, sid, key, uk) => {
        const k = decodeKey(key);
        const g = table.group(sid, kg, false);
        const cell = g?.get(keyIdOf(k));
        if (!cell) return;
        const map = cell.v as Map<unknown, StoredMapEntry>;
        if (map.delete(keyIdOf(decodeKey(uk)))) table.addEntries(-1);
        if (map.size === 0) table.kill(cell);
      },
      putTimer: (kg, domain, ts, key) => timers.restorePut(domain, ts, kg, decodeKey(key)),
      deleteTimer: (kg, domain, ts, key) => timers.restoreDelete(domain, ts, kg, decodeKey(key)),
    };
  }

  protected runRestoreGroup(fn: () => void): void {
    fn();
  }

  stats(): KeyedStateStats {
    const entries = this.table.entryCount + this.timerStoreImpl.size();
    // Approximate: the snapshot encoding of up to 256 cells gives bytes per record.
    const rb = new RecordBuffer(4096);
    let sampled = 0;
    outer: for (const groups of this.table.tables) {
      for (const g of groups ?? []) {
        for (const cell of g?.values() ?? []) {
          writeCellRecords(rb, cell, this.registry, Number.NEGATIVE_INFINITY);
          if (++sampled >= 256) break outer;
        }
      }
    }
    const perRecord = rb.count > 0 ? rb.pos / rb.count : 0;
    return { entries, bytes: Math.round(entries * (perRecord + 48)) };
  }

  protected async close(): Promise<void> {
    this.table.clearAll();
  }
}

/** Creates a heap keyed-state backend for one subtask. */
export function createHeapKeyedStateBackend(opts: KeyedStateBackendOptions): KeyedStateBackend {
  if (!opts || !opts.keyGroupRange) throw new WeirError('WEIR_INVALID_ARGUMENT', 'createHeapKeyedStateBackend needs { keyGroupRange, maxParallelism }');
  return new HeapKeyedStateBackend(opts);
}
