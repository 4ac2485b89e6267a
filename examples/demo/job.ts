/**
 * The demo's job: a rate-limited source → a map that can fail once → keyBy → a keyed
 * verifier that checks each key's sequence numbers with its own checkpointed state →
 * a sink slowed down to create backpressure → collect.
 */
import fs from 'node:fs';
import { defineJob, ValueStateDescriptor, type ValueState } from '../../index.ts';

export interface DemoParams {
  keys: number;
  ratePerSecond: number;
  /** Records in total (undefined: unbounded, run until cancelled). */
  count?: number;
  /** Microseconds the sink spends per record: 10× the source's per-record budget = 10× backpressure. */
  sinkMicros: number;
  /** While this file exists, the next record through the map deletes it and throws (one injected failure). */
  failureMarker: string | null;
}

export interface Checked { key: number; seq: number; ok: boolean }

export const demoJob = defineJob('demo', (env, p: DemoParams) => {
  env.fromGenerator((i) => ({ key: i % p.keys, seq: Math.floor(i / p.keys) }), { ratePerSecond: p.ratePerSecond, ...(p.count !== undefined ? { count: p.count } : {}) })
    .setParallelism(2).uid('events')
    .map((r) => {
      if (p.failureMarker && fs.existsSync(p.failureMarker)) {
        try {
          fs.unlinkSync(p.failureMarker);
        } catch {
          return r;
        }
        throw new Error('injected failure (the demo pulls the plug here)');
      }
      return r;
    }).setParallelism(2).uid('maybe-fail')
    .keyBy((r) => r.key)
    .process<Checked>({
      open(ctx) {
        (this as unknown as { last: ValueState<number> }).last = ctx.getState(new ValueStateDescriptor<number>('last-seq'));
      },
      processElement(r, _ctx, out) {
        const last = (this as unknown as { last: ValueState<number> }).last;
        const ok = r.seq === (last.value() ?? -1) + 1;
        last.update(Math.max(r.seq, last.value() ?? -1));
        out.collect({ key: r.key, seq: r.seq, ok });
      },
    }).setParallelism(2).uid('verifier')
    .map((c) => {
      const end = performance.now() + p.sinkMicros / 1000;
      while (performance.now() < end) { /* a slow sink */ }
      return c;
    }).setParallelism(2).uid('slow-sink')
    .collect('out');
});
