/**
 * A heap snapshot in progress: copy-on-access over live cells and timers.
 *
 * Sync point (constructor): remember `ver` (the heap version) and the sync time; the backend then
 * bumps the version, so cells/timers created later have `ver > this.ver` and are ignored.
 * Until key group g is written (`doneKg < g`), the first access to a cell of g that existed at
 * the sync point — and, for a delta, is in the frozen change segments — serializes it into
 * `captured`; deleting such a timer keeps it in `deadTimers`. `write()` then emits, per key
 * group in ascending order:
 *   full/base: live cells with ver <= this.ver that were not captured, then the captured cells;
 *              live timers with ver <= this.ver, then the captured dead ones;
 *   delta:     DEL_KEY / DEL_TIMER for every changed cell / timer, then the puts of those that
 *              existed at the sync point (captured bytes, or the untouched live cell).
 * Expired TTL values (at the sync time) are left out.
 */
import type { KeyGroupRange } from '../key-groups.ts';
import type { ChainFile, SnapshotView } from '../keyed/abstract-keyed-state-backend.ts';
import type { StoredMapEntry, StoredValue } from '../keyed/keyed-state-store.ts';
import type { StateRegistry } from '../keyed/state-registry.ts';
import type { SnapshotPlan } from '../snapshot/incremental-chain.ts';
import { RecordBuffer, type ListItemBytes } from '../snapshot/snapshot-records.ts';
import type { SnapshotFileWriter } from '../snapshot/snapshot-file.ts';
import { packValue, packValueCopy } from '../value-codec.ts';
import type { HeapTimerStore } from './heap-timer-store.ts';
import type { HeapStateTable } from './heap-state-table.ts';
import type { HeapCell, HeapMarks, HeapSnapshotHook } from './heap-types.ts';
import type { TimerNode } from './timer-queue.ts';

const scratch = new RecordBuffer();

/** Appends the put records of a cell as of `now` (TTL-filtered: `t + ttl <= now` is expired). */
export function writeCellRecords(rb: RecordBuffer, cell: HeapCell, registry: StateRegistry, now: number): void {
  const meta = registry.get(cell.sid)!;
  const ttl = meta.ttl === undefined ? Number.POSITIVE_INFINITY : meta.ttl.ttlMs;
  if (meta.kind === 'list') {
    const items: ListItemBytes[] = [];
    for (const e of cell.v as StoredValue[]) if (!(e.t + ttl <= now)) items.push({ t: e.t, v: packValueCopy(e.v) });
    if (items.length > 0) rb.putListOf(cell.sid, cell.key, items);
  } else if (meta.kind === 'map') {
    for (const e of (cell.v as Map<unknown, StoredMapEntry>).values()) {
      if (!(e.t + ttl <= now)) rb.putMapEntryOf(cell.sid, cell.key, e.k, e.t, packValue(e.v));
    }
  } else if (!(cell.t + ttl <= now)) {
    rb.putValueOf(cell.sid, cell.key, cell.t, packValue(cell.v));
  }
}

interface Captured {
  bytes: Buffer;
  records: number;
}

/** Copy-on-access snapshot view of the heap backend. */
export class HeapSnapshotView implements SnapshotView, HeapSnapshotHook {
  private doneKg: number;
  private readonly captured = new Map<HeapCell, Captured>();
  private readonly capturedByKg = new Map<number, HeapCell[]>();
  private readonly deadTimers = new Set<TimerNode>();
  private readonly deadTimersByKg = new Map<number, TimerNode[]>();
  private readonly segments: HeapMarks[];
  private released = false;

  constructor(
    private readonly ver: number,
    private readonly now: number,
    readonly entries: number,
    private readonly plan: SnapshotPlan<HeapMarks, ChainFile>,
    private readonly range: KeyGroupRange,
    private readonly table: HeapStateTable,
    private readonly timers: HeapTimerStore,
    private readonly registry: StateRegistry,
    private readonly onRelease: (view: HeapSnapshotView) => void,
  ) {
    this.doneKg = range.start - 1;
    this.segments = plan.mode === 'delta' ? plan.segments.map((s) => s.marks) : [];
  }

  private inSegments(cell: HeapCell): boolean {
    for (const s of this.segments) if (s.cells.has(cell)) return true;
    return false;
  }

  private timerInSegments(node: TimerNode): boolean {
    for (const s of this.segments) if (s.timers.has(node)) return true;
    return false;
  }

  beforeAccess(cell: HeapCell): void {
    if (cell.ver > this.ver || cell.kg <= this.doneKg || this.captured.has(cell)) return;
    if (this.plan.mode === 'delta' && !this.inSegments(cell)) return;
    scratch.clear();
    writeCellRecords(scratch, cell, this.registry, this.now);
    const records = scratch.count;
    this.captured.set(cell, { bytes: scratch.take(), records });
    let list = this.capturedByKg.get(cell.kg);
    if (!list) this.capturedByKg.set(cell.kg, (list = []));
    list.push(cell);
  }

  beforeTimerDelete(node: TimerNode): void {
    if (node.ver > this.ver || node.kg <= this.doneKg || this.deadTimers.has(node)) return;
    if (this.plan.mode === 'delta' && !this.timerInSegments(node)) return;
    this.deadTimers.add(node);
    let list = this.deadTimersByKg.get(node.kg);
    if (!list) this.deadTimersByKg.set(node.kg, (list = []));
    list.push(node);
  }

  async write(writer: SnapshotFileWriter, yieldNow: () => Promise<void>): Promise<void> {
    if (this.plan.mode === 'delta') await this.writeDelta(writer, yieldNow);
    else await this.writeFull(writer, yieldNow);
  }

  private async writeFull(writer: SnapshotFileWriter, yieldNow: () => Promise<void>): Promise<void> {
    const rb = writer.records;
    for (let kg = this.range.start; kg <= this.range.end; kg++) {
      writer.beginGroup(kg);
      for (let sid = 0; sid < this.table.tables.length; sid++) {
        const g = this.table.group(sid, kg, false);
        if (!g) continue;
        for (const cell of g.values()) {
          if (cell.ver <= this.ver && !this.captured.has(cell)) writeCellRecords(rb, cell, this.registry, this.now);
        }
      }
      for (const cell of this.capturedByKg.get(kg) ?? []) {
        const c = this.captured.get(cell)!;
        rb.append(c.bytes, c.records);
      }
      for (let domain = 0; domain < 2; domain++) {
        const byKey = this.timers.index[domain]![kg - this.range.start];
        if (byKey) {
          for (const byTs of byKey.values()) {
            for (const node of byTs.values()) if (node.ver <= this.ver) rb.timerOf(true, domain, node.ts, node.key);
          }
        }
      }
      for (const node of this.deadTimersByKg.get(kg) ?? []) rb.timerOf(true, node.domain, node.ts, node.key);
      writer.endGroup();
      this.doneKg = kg;
      this.capturedByKg.delete(kg);
      this.deadTimersByKg.delete(kg);
      await writer.maybeFlush();
      await yieldNow();
    }
  }

  private async writeDelta(writer: SnapshotFileWriter, yieldNow: () => Promise<void>): Promise<void> {
    const cellsByKg = new Map<number, Set<HeapCell>>();
    const timersByKg = new Map<number, Set<TimerNode>>();
    for (const seg of this.segments) {
      for (const cell of seg.cells) {
        let s = cellsByKg.get(cell.kg);
        if (!s) cellsByKg.set(cell.kg, (s = new Set()));
        s.add(cell);
      }
      for (const node of seg.timers) {
        let s = timersByKg.get(node.kg);
        if (!s) timersByKg.set(node.kg, (s = new Set()));
        s.add(node);
      }
    }
    const kgs = [...new Set([...cellsByKg.keys(), ...timersByKg.keys()])].sort((a, b) => a - b);
    const rb = writer.records;
    for (const kg of kgs) {
      const cells = cellsByKg.get(kg) ?? new Set<HeapCell>();
      const nodes = timersByKg.get(kg) ?? new Set<TimerNode>();
      writer.beginGroup(kg);
      for (const cell of cells) rb.deleteKeyOf(cell.sid, cell.key);
      for (const node of nodes) rb.timerOf(false, node.domain, node.ts, node.key);
      for (const cell of cells) {
        const c = this.captured.get(cell);
        if (c) rb.append(c.bytes, c.records);
        else if (!cell.dead) writeCellRecords(rb, cell, this.registry, this.now);
      }
      for (const node of nodes) {
        if (this.deadTimers.has(node) || !node.dead) rb.timerOf(true, node.domain, node.ts, node.key);
      }
      writer.endGroup();
      this.doneKg = kg;
      await writer.maybeFlush();
      await yieldNow();
    }
    this.doneKg = this.range.end;
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.doneKg = this.range.end; // stop capturing
    this.captured.clear();
    this.capturedByKg.clear();
    this.deadTimers.clear();
    this.deadTimersByKg.clear();
    this.onRelease(this);
  }
}
