/**
 * The heap backend's cells: `tables[sid][kg - start]: Map<keyId, HeapCell>` (see heap-types.ts).
 *
 * Every operation on an existing cell first calls `touch` (copy-on-access for pending snapshots),
 * every write then calls `mark` (incremental change tracking). Values are stored by reference.
 */
import { decodeKey, encodeKey } from '../key-codec.ts';
import { keyIdentity } from '../key-identity.ts';
import type { KeyGroupRange } from '../key-groups.ts';
import type { KeyContext } from '../keyed/key-context.ts';
import type { KeyedStateStore, StateKeyRef, StoredMapEntry, StoredValue } from '../keyed/keyed-state-store.ts';
import type { ChangeTracker } from '../snapshot/incremental-chain.ts';
import type { HeapCell, HeapCow, HeapMarks } from './heap-types.ts';
import { checkStateValue } from '../value-codec.ts';

/** Canonical copy of a key for storage (primitives as is, composites decoded from their bytes). */
export function canonicalKey(key: unknown, bytes?: Uint8Array): unknown {
  if (key === null || typeof key !== 'object') return key;
  return decodeKey(bytes ?? encodeKey(key));
}

function cellSize(cell: HeapCell, kind: 'value' | 'list' | 'map'): number {
  if (kind === 'list') return (cell.v as StoredValue[]).length;
  if (kind === 'map') return (cell.v as Map<unknown, StoredMapEntry>).size;
  return 1;
}

/** Cell storage of the heap backend; implements the store contract for the current key. */
export class HeapStateTable implements KeyedStateStore {
  /** tables[sid][kg - start] */
  readonly tables: Array<Array<Map<unknown, HeapCell> | undefined>> = [];
  /** Stored records: value keys + list elements + map entries. */
  entryCount = 0;
  private readonly size: number;

  constructor(
    private readonly ctx: KeyContext,
    private readonly range: KeyGroupRange,
    private readonly cow: HeapCow,
    private readonly chain: ChangeTracker<HeapMarks>,
    private readonly kindOf: (sid: number) => 'value' | 'list' | 'map',
  ) {
    this.size = range.end < range.start ? 0 : range.end - range.start + 1;
  }

  /** The key group map of a state (created on demand). */
  group(sid: number, kg: number, create: boolean): Map<unknown, HeapCell> | undefined {
    let groups = this.tables[sid];
    if (!groups) {
      if (!create) return undefined;
      groups = this.tables[sid] = new Array(this.size);
    }
    let m = groups[kg - this.range.start];
    if (!m && create) m = groups[kg - this.range.start] = new Map();
    return m;
  }

  /**
   * The cell the last lookup found, for its state id and key version: a read-modify-write of one
   * key (`value()` then `update()`) looks the key up once. Map lookups were ~27 % of a keyed
   * count's CPU (bench:throughput at parallelism 1, issue #18 profile), two per record.
   */
  private lastCell: HeapCell | undefined;
  private lastSid = -1;
  private lastVersion = -1;

  private lookup(sid: number): HeapCell | undefined {
    const ctx = this.ctx;
    const last = this.lastCell;
    if (last !== undefined && this.lastVersion === ctx.version && this.lastSid === sid && !last.dead) return last;
    const id = ctx.keyId(); // first: throws WEIR_NO_CURRENT_KEY without a key
    const cell = this.group(sid, ctx.kg, false)?.get(id);
    if (cell !== undefined) {
      this.lastCell = cell;
      this.lastSid = sid;
      this.lastVersion = ctx.version;
    }
    return cell;
  }

  /** Drops every cell (the backend closes). */
  clearAll(): void {
    this.tables.length = 0;
    this.lastCell = undefined;
  }

  private touch(cell: HeapCell): void {
    const p = this.cow.pending;
    if (p.length !== 0) for (let i = 0; i < p.length; i++) p[i]!.beforeAccess(cell);
  }

  private mark(cell: HeapCell): void {
    const m = this.chain.marks;
    if (m !== undefined) {
      m.cells.add(cell);
      this.chain.counted();
    }
  }

  private create(sid: number, v: unknown, t: number): HeapCell {
    const ctx = this.ctx;
    const keyId = ctx.keyId();
    const cell: HeapCell = { sid, kg: ctx.kg, keyId, key: canonicalKey(ctx.key, typeof ctx.key === 'object' && ctx.key !== null ? ctx.keyBytes() : undefined), v, t, ver: this.cow.version, dead: false };
    this.group(sid, ctx.kg, true)!.set(keyId, cell);
    return cell;
  }

  /** Removes a cell from its table. */
  kill(cell: HeapCell): void {
    this.group(cell.sid, cell.kg, false)?.delete(cell.keyId);
    this.entryCount -= cellSize(cell, this.kindOf(cell.sid));
    cell.dead = true;
  }

  getValue(sid: number): StoredValue | undefined {
    const cell = this.lookup(sid);
    if (cell === undefined) return undefined;
    this.touch(cell);
    return cell;
  }

  putValue(sid: number, v: unknown, t: number): void {
    checkStateValue(v);
    let cell = this.lookup(sid);
    if (cell !== undefined) {
      this.touch(cell);
      cell.v = v;
      cell.t = t;
    } else {
      cell = this.create(sid, v, t);
      this.entryCount++;
    }
    this.mark(cell);
  }

  clearKey(sid: number): void {
    const cell = this.lookup(sid);
    if (cell === undefined) return;
    this.touch(cell);
    this.kill(cell);
    this.mark(cell);
  }

  getList(sid: number): readonly StoredValue[] | undefined {
    const cell = this.lookup(sid);
    if (cell === undefined) return undefined;
    this.touch(cell);
    return cell.v as StoredValue[];
  }

  appendList(sid: number, items: StoredValue[]): void {
    for (const it of items) checkStateValue(it.v);
    let cell = this.lookup(sid);
    if (cell !== undefined) {
      this.touch(cell);
      const list = cell.v as StoredValue[];
      for (const it of items) list.push(it);
    } else {
      cell = this.create(sid, items.slice(), Number.NaN);
    }
    this.entryCount += items.length;
    this.mark(cell);
  }

  putList(sid: number, items: StoredValue[]): void {
    for (const it of items) checkStateValue(it.v);
    if (items.length === 0) {
      this.clearKey(sid);
      return;
    }
    let cell = this.lookup(sid);
    if (cell !== undefined) {
      this.touch(cell);
      this.entryCount += items.length - (cell.v as StoredValue[]).length;
      cell.v = items;
    } else {
      cell = this.create(sid, items, Number.NaN);
      this.entryCount += items.length;
    }
    this.mark(cell);
  }

  getMapEntry(sid: number, uk: unknown): StoredValue | undefined {
    const ukId = keyIdentity(uk);
    const cell = this.lookup(sid);
    if (cell === undefined) return undefined;
    this.touch(cell);
    return (cell.v as Map<unknown, StoredMapEntry>).get(ukId);
  }

  putMapEntry(sid: number, uk: unknown, v: unknown, t: number): void {
    checkStateValue(v);
    const ukId = keyIdentity(uk);
    let cell = this.lookup(sid);
    if (cell !== undefined) this.touch(cell);
    else cell = this.create(sid, new Map(), Number.NaN);
    const map = cell.v as Map<unknown, StoredMapEntry>;
    const e = map.get(ukId);
    if (e !== undefined) {
      e.v = v;
      e.t = t;
    } else {
      map.set(ukId, { k: canonicalKey(uk), v, t });
      this.entryCount++;
    }
    this.mark(cell);
  }

  removeMapEntry(sid: number, uk: unknown): void {
    const ukId = keyIdentity(uk);
    const cell = this.lookup(sid);
    if (cell === undefined) return;
    this.touch(cell);
    const map = cell.v as Map<unknown, StoredMapEntry>;
    if (!map.delete(ukId)) return;
    this.entryCount--;
    if (map.size === 0) this.kill(cell);
    this.mark(cell);
  }

  mapEntries(sid: number): Iterable<StoredMapEntry> {
    const cell = this.lookup(sid);
    if (cell === undefined) return [];
    this.touch(cell);
    return (cell.v as Map<unknown, StoredMapEntry>).values();
  }

  keysWithState(sid: number): StateKeyRef[] {
    const out: StateKeyRef[] = [];
    const groups = this.tables[sid];
    if (!groups) return out;
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i];
      if (g === undefined || g.size === 0) continue;
      const kg = this.range.start + i;
      for (const cell of g.values()) {
        const k = cell.key;
        // Cells keep their canonical key; hand out copies of composites so callers cannot alter it.
        out.push({ kg, key: k === 0 ? 0 : k !== null && typeof k === 'object' ? canonicalKey(k) : k });
      }
    }
    return out;
  }

  // ---- restore (explicit key group and key; no snapshot is pending during restore) ----

  /** The cell of (sid, kg, key) for restore, created when missing. */
  restoreCell(sid: number, kg: number, key: unknown, init: () => unknown): HeapCell {
    const keyId = keyIdentity(key);
    const g = this.group(sid, kg, true)!;
    let cell = g.get(keyId);
    if (!cell) {
      cell = { sid, kg, keyId, key, v: init(), t: Number.NaN, ver: this.cow.version, dead: false };
      g.set(keyId, cell);
    }
    return cell;
  }

  /** Removes (sid, kg, key) during restore. */
  restoreDelete(sid: number, kg: number, key: unknown): void {
    const cell = this.group(sid, kg, false)?.get(keyIdentity(key));
    if (cell) this.kill(cell);
  }

  /** Adjusts the record count after a restore write. */
  addEntries(n: number): void {
    this.entryCount += n;
  }
}
