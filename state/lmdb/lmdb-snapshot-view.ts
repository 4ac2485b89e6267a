/**
 * An LMDB snapshot in progress: a read transaction opened at the sync point keeps LMDB's MVCC
 * view of that moment while `batch()` write transactions continue. `write()` reads only through
 * that transaction (never inside a write transaction: it runs between batches) and converts
 * stored records into canonical records (snapshot-records.ts), one key group per synchronous chunk:
 *   full/base: a range scan of each key group (lists regrouped from their element records);
 *   delta:     the frozen change marks, sorted (= grouped by key group): DEL records first,
 *              then the puts of whatever the marked keys hold in the snapshot.
 * Values expired at the sync time are left out. `release()` ends the read transaction.
 */
import { WeirError } from '../../common/weir-error.ts';
import type { KeyGroupRange } from '../key-groups.ts';
import { skipKey } from '../key-codec.ts';
import type { ChainFile, SnapshotView } from '../keyed/abstract-keyed-state-backend.ts';
import type { StateKind } from '../descriptors.ts';
import type { SnapshotPlan } from '../snapshot/incremental-chain.ts';
import type { ListItemBytes, RecordBuffer } from '../snapshot/snapshot-records.ts';
import type { SnapshotFileWriter } from '../snapshot/snapshot-file.ts';
import { groupStart, payloadStart, rangeEnd, storedPayload, storedTs, timerDomain } from './lmdb-layout.ts';
import { readOrderedFloat64 } from '../ordered-float64.ts';
import { fastGet, type BinaryDb } from './lmdb-db.ts';

interface Txn {
  done(): void;
}

/** Per-state info frozen at the sync point. */
export interface FrozenState {
  kind: StateKind;
  ttlMs: number | undefined;
}

/** Snapshot view over an LMDB read transaction. */
export class LmdbSnapshotView implements SnapshotView {
  private txn: Txn | undefined;

  constructor(
    private readonly db: BinaryDb,
    readonly entries: number,
    private readonly plan: SnapshotPlan<Set<string>, ChainFile>,
    private readonly range: KeyGroupRange,
    private readonly states: Map<number, FrozenState>,
    private readonly now: number,
  ) {
    this.txn = db.useReadTransaction() as unknown as Txn;
  }

  private alive(sid: number, t: number): boolean {
    const ttl = this.states.get(sid)?.ttlMs;
    return ttl === undefined || !(t + ttl <= this.now);
  }

  private kind(sid: number): StateKind {
    return this.states.get(sid)?.kind ?? 'value';
  }

  async write(writer: SnapshotFileWriter, yieldNow: () => Promise<void>): Promise<void> {
    if (this.plan.mode === 'delta') await this.writeDelta(writer, this.plan.segments.map((s) => s.marks), yieldNow);
    else await this.writeFull(writer, yieldNow);
  }

  private liveTxn(): Txn {
    if (!this.txn) throw new WeirError('WEIR_SNAPSHOT_ABORTED', 'The LMDB snapshot view was released');
    return this.txn;
  }

  private range_(start: Buffer, end: Buffer): Iterable<{ key: Buffer; value: Buffer }> {
    return this.db.getRange({ start, end, transaction: this.liveTxn() as never }) as Iterable<{ key: Buffer; value: Buffer }>;
  }

  private async writeFull(writer: SnapshotFileWriter, yieldNow: () => Promise<void>): Promise<void> {
    for (let kg = this.range.start; kg <= this.range.end; kg++) {
      writer.beginGroup(kg);
      const rb = writer.records;
      let listPrefix: Buffer | undefined;
      let listSid = 0;
      let listItems: ListItemBytes[] = [];
      const flushList = (): void => {
        if (listPrefix && listItems.length > 0) rb.putList(listSid, listPrefix.subarray(4), listItems);
        listPrefix = undefined;
        listItems = [];
      };
      for (const { key, value } of this.range_(groupStart(kg), groupStart(kg + 1))) {
        const sid = key.readUInt16BE(2);
        const domain = timerDomain(sid);
        if (domain >= 0) {
          flushList();
          rb.putTimer(domain, readOrderedFloat64(key, 4), key.subarray(12));
          continue;
        }
        const kind = this.kind(sid);
        if (kind === 'list') {
          const prefix = key.subarray(0, key.length - 4);
          if (!listPrefix || listSid !== sid || !listPrefix.equals(prefix)) {
            flushList();
            listPrefix = prefix;
            listSid = sid;
          }
          const t = storedTs(value);
          if (this.alive(sid, t)) listItems.push({ t, v: storedPayload(value) });
          continue;
        }
        flushList();
        const t = storedTs(value);
        if (!this.alive(sid, t)) continue;
        if (kind === 'map') {
          rb.putMapEntryFrom(sid, key, 4, skipKey(key, 4), key.length, t, value, payloadStart(value), value.length);
        } else {
          rb.putValueFrom(sid, key, 4, key.length, t, value, payloadStart(value), value.length);
        }
      }
      flushList();
      writer.endGroup();
      await writer.maybeFlush();
      await yieldNow();
    }
  }

  private async writeDelta(writer: SnapshotFileWriter, segments: Array<Set<string>>, yieldNow: () => Promise<void>): Promise<void> {
    const union = new Set<string>();
    for (const seg of segments) for (const m of seg) union.add(m);
    const marks = [...union].sort();
    let i = 0;
    while (i < marks.length) {
      const kg = (marks[i]!.charCodeAt(0) << 8) | marks[i]!.charCodeAt(1);
      let j = i;
      while (j < marks.length && ((marks[j]!.charCodeAt(0) << 8) | marks[j]!.charCodeAt(1)) === kg) j++;
      const group = marks.slice(i, j).map((m) => Buffer.from(m, 'latin1'));
      i = j;
      if (kg < this.range.start || kg > this.range.end) continue;
      writer.beginGroup(kg);
      const rb = writer.records;
      for (const k of group) this.writeDelete(rb, k);
      for (const k of group) this.writePut(rb, k);
      writer.endGroup();
      await writer.maybeFlush();
      await yieldNow();
    }
  }

  private writeDelete(rb: RecordBuffer, k: Buffer): void {
    const sid = k.readUInt16BE(2);
    const domain = timerDomain(sid);
    if (domain >= 0) {
      rb.deleteTimer(domain, readOrderedFloat64(k, 4), k.subarray(12));
      return;
    }
    const keyEnd = skipKey(k, 4);
    if (this.kind(sid) === 'map' && keyEnd < k.length) rb.deleteMapEntry(sid, k.subarray(4, keyEnd), k.subarray(keyEnd));
    else rb.deleteKey(sid, k.subarray(4, keyEnd));
  }

  private writePut(rb: RecordBuffer, k: Buffer): void {
    const sid = k.readUInt16BE(2);
    const domain = timerDomain(sid);
    if (domain >= 0) {
      if (fastGet(this.db, k, this.liveTxn()) !== undefined) rb.putTimer(domain, readOrderedFloat64(k, 4), k.subarray(12));
      return;
    }
    const kind = this.kind(sid);
    const keyEnd = skipKey(k, 4);
    const keyBytes = k.subarray(4, keyEnd);
    if (kind === 'list') {
      const items: ListItemBytes[] = [];
      for (const { value } of this.range_(k, rangeEnd(k))) {
        const t = storedTs(value);
        if (this.alive(sid, t)) items.push({ t, v: storedPayload(value) });
      }
      if (items.length > 0) rb.putList(sid, keyBytes, items);
    } else if (kind === 'map' && keyEnd === k.length) {
      for (const { key, value } of this.range_(k, rangeEnd(k))) {
        const t = storedTs(value);
        if (this.alive(sid, t)) rb.putMapEntry(sid, keyBytes, key.subarray(keyEnd), t, storedPayload(value));
      }
    } else {
      const b = fastGet(this.db, k, this.liveTxn());
      if (b === undefined) return;
      const t = storedTs(b);
      if (!this.alive(sid, t)) return;
      if (kind === 'map') rb.putMapEntry(sid, keyBytes, k.subarray(keyEnd), t, storedPayload(b));
      else rb.putValue(sid, keyBytes, t, storedPayload(b));
    }
  }

  release(): void {
    const txn = this.txn;
    this.txn = undefined;
    try {
      txn?.done();
    } catch {
      /* environment already closed */
    }
  }
}
