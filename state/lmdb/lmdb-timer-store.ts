/**
 * Timers in LMDB: key `kg | space | ts | key` (lmdb-layout.ts), so timers of one key group sort
 * by timestamp and move with their key group on rescale.
 *
 * "Earliest timer" without scanning: `heads[domain][kg - start]` holds the earliest timestamp
 * of each key group (NaN when none), computed by one `limit: 1` range read per key group
 * at open/restore and kept up to date on register / delete / fire. The earliest timer overall is
 * the minimum over the (≤ maxParallelism) heads. Heads are treated as hints: firing always reads
 * the key group's first real entry, and repairs the head if it was stale (e.g. after an aborted
 * write transaction).
 *
 * Registrations and deletions are written back, like single values (lmdb-value-cache.ts): kept in
 * `pending` (per domain and key group) and written to LMDB when `pending` is large, before a head
 * is repaired after a delete, and before a snapshot, restore, stats or close (`flush`). A window
 * operator registers a timer per key and window: with a `putSync` each, LMDB writes and the commit
 * of every slice's transaction were ~22 % of Nexmark q12's window subtask (issue #18 profile).
 * Firing reads LMDB merged with the key group's pending registrations (see `readAhead`), so a
 * timer registered and fired between two flushes never reaches LMDB: at the end of the click job
 * every key's timer used to be written (the flush before firing) and then deleted again, ~10 µs a
 * timer (issue #18 profile).
 */
import { decodeKey } from '../key-codec.ts';
import type { KeyGroupRange } from '../key-groups.ts';
import type { KeyContext } from '../keyed/key-context.ts';
import type { TimerStore } from '../keyed/keyed-timer-service.ts';
import type { ChangeTracker } from '../snapshot/incremental-chain.ts';
import { EMPTY, groupSidPrefix, timerKey, timerSid } from './lmdb-layout.ts';
import { readOrderedFloat64 } from '../ordered-float64.ts';
import type { BinaryDb } from './lmdb-db.ts';

/** Timers registered (`put`) or deleted (`!put`) but not yet written to LMDB, by their key's latin1 string. */
interface PendingTimer {
  readonly key: Buffer;
  put: boolean;
}

/** Pending timer writes kept before they are written out. */
const MAX_PENDING = 65_536;

/** Pending registrations of one key group merged into a read-ahead at most; with more, they are written out first. */
const MAX_MERGED = 256;

/** Timers `pollDue` reads ahead per range read of a key group. */
const READ_AHEAD = 256;

/**
 * The next timers of one key group and domain in LMDB, in order, read by one range read. Kept per
 * key group and domain, and dropped by any registration or deletion in that key group and domain:
 * firing removes `keys[next]`, so what follows it is still LMDB's next. At the end of input every
 * key's timer fires: with a range read and a head refresh per timer (two cursors each), 10 000
 * timers cost ~12 % of the click job's keyed subtask (issue #18 profile). One read-ahead for the
 * whole store was not enough: windows of many keys end at the same time, so firing alternates
 * between key groups, and every switch read 256 timers again (68 % of a sliding-window subtask on
 * LMDB, bench:windows). Memory: at most READ_AHEAD keys per key group and domain with due timers.
 */
interface ReadAhead {
  readonly keys: Buffer[];
  /** Per key: LMDB holds it (else it is only a pending registration). */
  readonly stored: boolean[];
  next: number;
  /** The read reached the end of the key group's range (nothing after `keys`). */
  readonly complete: boolean;
}

/** Timer storage of the LMDB backend. */
export class LmdbTimerStore implements TimerStore {
  private readonly heads: Float64Array[];
  private readonly size0: number;
  /** `pending[domain][kg - start]`: latin1 key → registration or deletion not yet in LMDB. */
  private readonly pending: Array<Array<Map<string, PendingTimer> | undefined>> = [[], []];
  private pendingCount = 0;
  /** `aheads[domain][kg - start]`: the key group's read-ahead, if one is valid. */
  private readonly aheads: Array<Array<ReadAhead | undefined>> = [[], []];

  constructor(
    private readonly db: BinaryDb,
    private readonly ctx: KeyContext,
    private readonly range: KeyGroupRange,
    private readonly chain: ChangeTracker<Set<string>>,
    /** Runs `fn` inside a write transaction (joins the running `batch()`, if any). */
    private readonly inTransaction: (fn: () => void) => void,
  ) {
    this.size0 = range.end < range.start ? 0 : range.end - range.start + 1;
    this.heads = [new Float64Array(this.size0).fill(Number.NaN), new Float64Array(this.size0).fill(Number.NaN)];
  }

  /** Writes the pending registrations and deletions to LMDB (in a write transaction). */
  flush(): void {
    if (this.pendingCount === 0) return;
    this.inTransaction(() => {
      for (const byGroup of this.pending) for (const m of byGroup) if (m !== undefined) this.write(m);
    });
    this.pending[0]!.length = 0;
    this.pending[1]!.length = 0;
    this.pendingCount = 0;
    this.forgetReadAheads(); // their pending-only entries are in LMDB now
  }

  /** Writes one key group's pending entries to LMDB and forgets them. */
  private flushGroup(domain: number, kg: number): void {
    const m = this.pending[domain]![kg - this.range.start];
    if (m === undefined || m.size === 0) return;
    this.inTransaction(() => this.write(m));
    this.pendingCount -= m.size;
    this.pending[domain]![kg - this.range.start] = undefined;
    this.aheads[domain]![kg - this.range.start] = undefined; // its pending-only entries are in LMDB now
  }

  private write(m: Map<string, PendingTimer>): void {
    for (const p of m.values()) {
      if (p.put) this.db.putSync(p.key, EMPTY);
      else this.db.removeSync(p.key);
    }
  }

  private first(domain: number, kg: number): { ts: number; key: Buffer } | undefined {
    this.flush();
    const start = groupSidPrefix(kg, timerSid(domain));
    const end = groupSidPrefix(kg, timerSid(domain) + 1);
    for (const k of this.db.getKeys({ start, end, limit: 1 })) {
      const key = k as Buffer;
      return { ts: readOrderedFloat64(key, 4), key };
    }
    return undefined;
  }

  private refreshHead(domain: number, kg: number): void {
    this.heads[domain]![kg - this.range.start] = this.first(domain, kg)?.ts ?? Number.NaN;
  }

  /** Recomputes every head (after open or restore) and forgets what was read ahead. */
  recomputeHeads(): void {
    this.forgetReadAheads();
    for (let d = 0; d < 2; d++) for (let kg = this.range.start; kg <= this.range.end; kg++) this.refreshHead(d, kg);
  }

  private mark(key: Buffer): void {
    const m = this.chain.marks;
    if (m !== undefined) {
      m.add(key.toString('latin1'));
      this.chain.counted();
    }
  }

  register(domain: number, ts: number): void {
    const kg = this.ctx.kg;
    const key = timerKey(kg, domain, ts, this.ctx.keyBytes());
    this.pend(domain, kg, key, true);
    const i = kg - this.range.start;
    this.aheads[domain]![i] = undefined;
    if (!(ts >= this.heads[domain]![i]!)) this.heads[domain]![i] = ts; // NaN head: none yet
    this.mark(key);
  }

  remove(domain: number, ts: number): void {
    const kg = this.ctx.kg;
    const key = timerKey(kg, domain, ts, this.ctx.keyBytes());
    const p = this.pending[domain]![kg - this.range.start]?.get(key.toString('latin1'));
    const existed = p !== undefined ? p.put : this.db.getBinaryFast(key) !== undefined;
    if (!existed) return;
    this.pend(domain, kg, key, false);
    this.aheads[domain]![kg - this.range.start] = undefined;
    if (ts <= this.heads[domain]![kg - this.range.start]!) this.refreshHead(domain, kg);
    this.mark(key);
  }

  private pend(domain: number, kg: number, key: Buffer, put: boolean): void {
    const byGroup = this.pending[domain]!;
    const m = (byGroup[kg - this.range.start] ??= new Map());
    const id = key.toString('latin1');
    const p = m.get(id);
    if (p !== undefined) p.put = put;
    else {
      m.set(id, { key, put });
      if (++this.pendingCount > MAX_PENDING) this.flush();
    }
  }

  private minIndex(domain: number): number {
    const h = this.heads[domain]!;
    let best = -1;
    for (let i = 0; i < h.length; i++) {
      const x = h[i]!;
      if (x === x && (best === -1 || x < h[best]!)) best = i; // x === x skips NaN (no timers)
    }
    return best;
  }

  peek(domain: number): number | undefined {
    const i = this.minIndex(domain);
    return i < 0 ? undefined : this.heads[domain]![i];
  }

  pollDue(domain: number, limit: number): number | undefined {
    const heads = this.heads[domain]!;
    for (;;) {
      const i = this.minIndex(domain);
      if (i < 0 || heads[i]! > limit) return undefined;
      const kg = this.range.start + i;
      const a = this.readAhead(domain, kg);
      const key = a.keys[a.next];
      const ts = key === undefined ? Number.NaN : readOrderedFloat64(key, 4);
      if (ts !== heads[i]) {
        heads[i] = ts; // stale hint: repair and retry
        continue;
      }
      // A timer LMDB holds is deleted there; a pending registration (or re-registration) is dropped,
      // or its flush would bring the timer back.
      const m = this.pending[domain]![i];
      if (m !== undefined && m.delete(key!.toString('latin1'))) this.pendingCount--;
      if (a.stored[a.next]) this.db.removeSync(key!);
      this.mark(key!);
      a.next++;
      const b = this.readAhead(domain, kg); // the same, unless it was used up
      const nextKey = b.keys[b.next];
      heads[i] = nextKey === undefined ? Number.NaN : readOrderedFloat64(nextKey, 4);
      const keyBytes = new Uint8Array(key!.subarray(12));
      this.ctx.setTrusted(decodeKey(keyBytes), kg, keyBytes);
      return ts;
    }
  }

  /**
   * The read-ahead of (domain, kg) positioned at its first timer: the current one while valid, else
   * read anew — LMDB's next timers merged, in key order, with the key group's pending registrations
   * up to the last key read (all of them when the read reached the end of the range). With a
   * pending deletion (it may hide keys LMDB returns) or more than MAX_MERGED pending entries, the key
   * group's pending entries are written out first and LMDB alone is read.
   */
  private readAhead(domain: number, kg: number): ReadAhead {
    const i = kg - this.range.start;
    const a = this.aheads[domain]![i];
    if (a !== undefined && (a.next < a.keys.length || a.complete)) return a;
    let m = this.pending[domain]![i];
    if (m !== undefined && (m.size > MAX_MERGED || [...m.values()].some((p) => !p.put))) {
      this.flushGroup(domain, kg);
      m = undefined;
    }
    const keys: Buffer[] = [];
    const start = groupSidPrefix(kg, timerSid(domain));
    const end = groupSidPrefix(kg, timerSid(domain) + 1);
    for (const k of this.db.getKeys({ start, end, limit: READ_AHEAD })) keys.push(Buffer.from(k as Buffer));
    const complete = keys.length < READ_AHEAD;
    const stored = keys.map(() => true);
    if (m !== undefined && m.size > 0) {
      const last = complete ? undefined : keys[keys.length - 1];
      const inDb = new Set(keys.map((k) => k.toString('latin1')));
      const entries = keys.map((key) => ({ key, stored: true }));
      for (const [id, p] of m) if (!inDb.has(id) && (last === undefined || Buffer.compare(p.key, last) < 0)) entries.push({ key: p.key, stored: false });
      entries.sort((x, y) => Buffer.compare(x.key, y.key));
      return (this.aheads[domain]![i] = { keys: entries.map((e) => e.key), stored: entries.map((e) => e.stored), next: 0, complete });
    }
    return (this.aheads[domain]![i] = { keys, stored, next: 0, complete });
  }

  private forgetReadAheads(): void {
    this.aheads[0]!.length = 0;
    this.aheads[1]!.length = 0;
  }

  size(): number {
    this.flush();
    let n = 0;
    for (let d = 0; d < 2; d++) {
      for (let kg = this.range.start; kg <= this.range.end; kg++) {
        n += this.db.getKeysCount({ start: groupSidPrefix(kg, timerSid(d)), end: groupSidPrefix(kg, timerSid(d) + 1) });
      }
    }
    return n;
  }

  /** Restore: adds / removes a timer of an explicit key group (heads are recomputed afterwards). */
  restorePut(kg: number, domain: number, ts: number, key: Uint8Array): void {
    this.flush();
    this.forgetReadAheads();
    this.db.putSync(timerKey(kg, domain, ts, key), EMPTY);
  }

  restoreDelete(kg: number, domain: number, ts: number, key: Uint8Array): void {
    this.flush();
    this.forgetReadAheads();
    this.db.removeSync(timerKey(kg, domain, ts, key));
  }
}
