/**
 * Binary min-heap of timers ordered by (ts, seq). Array layout: node i has children 2i+1, 2i+2.
 * Deleted timers stay in the heap flagged `dead` and are skipped when they reach the top
 * (lazy deletion); the owner rebuilds the heap when dead entries dominate.
 */

/** A heap-backend timer; immutable except `dead`. */
export interface TimerNode {
  readonly domain: number;
  readonly ts: number;
  readonly kg: number;
  readonly keyId: unknown;
  readonly key: unknown;
  /** Registration order (tie-break for equal timestamps). */
  readonly seq: number;
  /** Heap snapshot version at registration (copy-on-access bookkeeping). */
  readonly ver: number;
  dead: boolean;
}

function less(a: TimerNode, b: TimerNode): boolean {
  return a.ts < b.ts || (a.ts === b.ts && a.seq < b.seq);
}

/** Min-heap of {@link TimerNode}s. */
export class TimerQueue {
  private items: TimerNode[] = [];

  get length(): number {
    return this.items.length;
  }

  top(): TimerNode | undefined {
    return this.items[0];
  }

  push(node: TimerNode): void {
    const a = this.items;
    a.push(node);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(a[i]!, a[parent]!)) break;
      [a[i], a[parent]] = [a[parent]!, a[i]!];
      i = parent;
    }
  }

  pop(): TimerNode | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && less(a[l]!, a[m]!)) m = l;
        if (r < a.length && less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }

  /** Drops dead nodes and re-heapifies. */
  compact(): void {
    const live = this.items.filter((n) => !n.dead);
    this.items = [];
    for (const n of live) this.push(n);
  }
}
