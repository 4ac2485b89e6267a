/**
 * Heap timers: `index[domain][kg - start]: Map<keyId, Map<ts, TimerNode>>` for dedup, delete and
 * per-key-group snapshots, plus one {@link TimerQueue} per domain for "earliest timer".
 * Deleted nodes are flagged dead and skipped lazily in the queue.
 */
import { keyIdentity } from '../key-identity.ts';
import type { KeyGroupRange } from '../key-groups.ts';
import type { KeyContext } from '../keyed/key-context.ts';
import type { TimerStore } from '../keyed/keyed-timer-service.ts';
import type { ChangeTracker } from '../snapshot/incremental-chain.ts';
import { canonicalKey } from './heap-state-table.ts';
import type { HeapCow, HeapMarks } from './heap-types.ts';
import { TimerQueue, type TimerNode } from './timer-queue.ts';

type ByKey = Map<unknown, Map<number, TimerNode>>;

/** Timer storage of the heap backend. */
export class HeapTimerStore implements TimerStore {
  /** index[domain][kg - start] */
  readonly index: Array<Array<ByKey | undefined>> = [[], []];
  private readonly queues = [new TimerQueue(), new TimerQueue()];
  private readonly deadInQueue = [0, 0];
  private count = 0;
  private seq = 0;

  constructor(
    private readonly ctx: KeyContext,
    private readonly range: KeyGroupRange,
    private readonly cow: HeapCow,
    private readonly chain: ChangeTracker<HeapMarks>,
  ) {}

  size(): number {
    return this.count;
  }

  private mark(node: TimerNode): void {
    const m = this.chain.marks;
    if (m !== undefined) {
      m.timers.add(node);
      this.chain.counted();
    }
  }

  private add(domain: number, ts: number, kg: number, keyId: unknown, key: () => unknown): TimerNode | undefined {
    const idx = kg - this.range.start;
    const byKey = (this.index[domain]![idx] ??= new Map());
    let byTs = byKey.get(keyId);
    if (!byTs) {
      byTs = new Map();
      byKey.set(keyId, byTs);
    }
    if (byTs.has(ts)) return undefined;
    const node: TimerNode = { domain, ts, kg, keyId, key: key(), seq: this.seq++, ver: this.cow.version, dead: false };
    byTs.set(ts, node);
    this.queues[domain]!.push(node);
    this.count++;
    return node;
  }

  private find(domain: number, kg: number, keyId: unknown, ts: number): TimerNode | undefined {
    return this.index[domain]![kg - this.range.start]?.get(keyId)?.get(ts);
  }

  private unlink(node: TimerNode): void {
    const p = this.cow.pending;
    if (p.length !== 0) for (let i = 0; i < p.length; i++) p[i]!.beforeTimerDelete(node);
    const byKey = this.index[node.domain]![node.kg - this.range.start]!;
    const byTs = byKey.get(node.keyId)!;
    byTs.delete(node.ts);
    if (byTs.size === 0) byKey.delete(node.keyId);
    node.dead = true;
    this.count--;
  }

  register(domain: number, ts: number): void {
    const ctx = this.ctx;
    const node = this.add(domain, ts, ctx.kg, ctx.keyId(), () => canonicalKey(ctx.key, typeof ctx.key === 'object' && ctx.key !== null ? ctx.keyBytes() : undefined));
    if (node) this.mark(node);
  }

  remove(domain: number, ts: number): void {
    const node = this.find(domain, this.ctx.kg, this.ctx.keyId(), ts);
    if (!node) return;
    this.unlink(node);
    this.mark(node);
    this.noteDead(domain);
  }

  private noteDead(domain: number): void {
    const q = this.queues[domain]!;
    if (++this.deadInQueue[domain]! > 1024 && this.deadInQueue[domain]! > q.length / 2) {
      q.compact();
      this.deadInQueue[domain] = 0;
    }
  }

  peek(domain: number): number | undefined {
    const q = this.queues[domain]!;
    let top = q.top();
    while (top !== undefined && top.dead) {
      q.pop();
      this.deadInQueue[domain]!--;
      top = q.top();
    }
    return top?.ts;
  }

  pollDue(domain: number, limit: number): number | undefined {
    const ts = this.peek(domain);
    if (ts === undefined || ts > limit) return undefined;
    const node = this.queues[domain]!.pop()!;
    this.unlink(node);
    this.mark(node);
    this.ctx.setTrusted(node.key, node.kg);
    return node.ts;
  }

  // ---- restore ----

  restorePut(domain: number, ts: number, kg: number, key: unknown): void {
    this.add(domain, ts, kg, keyIdentity(key), () => key);
  }

  restoreDelete(domain: number, ts: number, kg: number, key: unknown): void {
    const node = this.find(domain, kg, keyIdentity(key), ts);
    if (node) {
      this.unlink(node);
      this.noteDead(domain);
    }
  }
}
