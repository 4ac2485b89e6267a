/**
 * Jobs of test/watermark-idleness.test.ts: an unbounded source of one split at parallelism 2 —
 * subtask 1 never has a record — whose split emits records 0 … n−1 (timestamp = index), then
 * waits for a flag file and emits n … 2n−1, then waits forever. Keyed tumbling event-time
 * windows count the records per key and window.
 */
import fs from 'node:fs';
import { defineJob, TumblingEventTimeWindows, type Source, type SourceSplitReader, type SourcePoll } from '../../index.ts';

export interface Tick { i: number; key: number }
export interface WindowCount { key: number; start: number; count: number }
interface Split { next: number }

export const IDLE_KEYS = 3;
export const IDLE_WINDOW_MS = 10;

class GatedReader implements SourceSplitReader<Tick, Split> {
  private split: Split | undefined;
  constructor(private readonly n: number, private readonly flag: string, private readonly sleep: (ms: number) => Promise<void>) {}
  addSplits(splits: Split[]): void {
    this.split = splits[0];
  }
  poll(max: number): SourcePoll<Tick> | Promise<SourcePoll<Tick>> {
    const s = this.split;
    const end = s === undefined ? 0 : s.next < this.n || !fs.existsSync(this.flag) ? this.n : 2 * this.n;
    if (s === undefined || s.next >= end) return this.sleep(10).then(() => ({ records: [], done: false }));
    const records: Tick[] = [];
    while (s.next < end && records.length < max) records.push({ i: s.next, key: s.next++ % IDLE_KEYS });
    return { records, done: false };
  }
  snapshotSplits(): Split[] {
    return this.split ? [{ ...this.split }] : [];
  }
  close(): void {}
}

function gatedSource(n: number, flag: string): Source<Tick, Split> {
  return {
    boundedness: 'unbounded',
    createSplits: () => [{ next: 0 }],
    createReader: (ctx) => new GatedReader(n, flag, (ms) => ctx.sleep(ms)),
  };
}

export const idleSourceJob = defineJob('t-idle-source', (env, p: { n: number; flag: string; idleTimeoutMs?: number }) => {
  env.fromSource(gatedSource(p.n, p.flag), { timestamp: (t) => t.i, intervalMs: 0, ...(p.idleTimeoutMs ? { idleTimeoutMs: p.idleTimeoutMs } : {}) }, 'Gated')
    .keyBy((t) => t.key)
    .window(TumblingEventTimeWindows.of(IDLE_WINDOW_MS))
    .process<WindowCount>({
      process(key, ctx, elements, out) {
        out.collect({ key: key as number, start: ctx.window.start, count: elements.length });
      },
    })
    .collect('out');
});
