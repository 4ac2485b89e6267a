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
 */
import { decodeKey } from '../key-codec.ts';
import type { KeyGroupRange } from '../key-groups.ts';
import type { KeyContext } from '../keyed/key-context.ts';
import type { TimerStore } from '../keyed/keyed-timer-service.ts';
import type { ChangeTracker } from '../snapshot/incremental-chain.ts';
import { EMPTY, groupSidPrefix, readOrderedTs, timerKey, timerSid } from './lmdb-layout.ts';
import type { BinaryDb } from './lmdb-state-store.ts';

/** Timer storage of the LMDB backend. */
export class LmdbTimerStore implements TimerStore {
  private readonly heads: Float64Array[];
  private readonly size0: number;

  constructor(
    private readonly db: BinaryDb,
    private readonly ctx: KeyContext,
    private readonly range: KeyGroupRange,
    private readonly chain: ChangeTracker<Set<string>>,
  ) {
    this.size0 = range.end < range.start ? 0 : range.end - range.start + 1;
    this.heads = [new Float64Array(this.size0).fill(Number.NaN), new Float64Array(this.size0).fill(Number.NaN)];
  }

  private first(domain: number, kg: number): { ts: number; key: Buffer } | undefined {
    const start = groupSidPrefix(kg, timerSid(domain));
    const end = groupSidPrefix(kg, timerSid(domain) + 1);
    for (const k of this.db.getKeys({ start, end, limit: 1 })) {
      const key = k as Buffer;
      return { ts: readOrderedTs(key, 4), key };
    }
    return undefined;
  }

  private refreshHead(domain: number, kg: number): void {
    this.heads[domain]![kg - this.range.start] = this.first(domain, kg)?.ts ?? Number.NaN;
  }

  /** Recomputes every head (after open or restore). */
  recomputeHeads(): void {
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
    this.db.putSync(key, EMPTY);
    const i = kg - this.range.start;
    if (!(ts >= this.heads[domain]![i]!)) this.heads[domain]![i] = ts; // NaN head: none yet
    this.mark(key);
  }

  remove(domain: number, ts: number): void {
    const kg = this.ctx.kg;
    const key = timerKey(kg, domain, ts, this.ctx.keyBytes());
    if (!this.db.removeSync(key)) return;
    if (ts <= this.heads[domain]![kg - this.range.start]!) this.refreshHead(domain, kg);
    this.mark(key);
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
    for (;;) {
      const i = this.minIndex(domain);
      if (i < 0 || this.heads[domain]![i]! > limit) return undefined;
      const kg = this.range.start + i;
      const first = this.first(domain, kg);
      if (!first || first.ts !== this.heads[domain]![i]) {
        this.heads[domain]![i] = first?.ts ?? Number.NaN; // stale hint: repair and retry
        continue;
      }
      this.db.removeSync(first.key);
      this.mark(first.key);
      this.refreshHead(domain, kg);
      const keyBytes = new Uint8Array(first.key.subarray(12));
      this.ctx.setTrusted(decodeKey(keyBytes), kg, keyBytes);
      return first.ts;
    }
  }

  size(): number {
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
    this.db.putSync(timerKey(kg, domain, ts, key), EMPTY);
  }

  restoreDelete(kg: number, domain: number, ts: number, key: Uint8Array): void {
    this.db.removeSync(timerKey(kg, domain, ts, key));
  }
}
