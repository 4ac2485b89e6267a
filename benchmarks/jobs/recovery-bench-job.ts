/**
 * The recovery workload: an unbounded generator cycling over `keys` keys → a map that
 * throws once when a marker file exists → keyBy → 100 B of ValueState per key → an optionally
 * slow sink (to build in-flight data for unaligned checkpoints).
 */
import fs from 'node:fs';
import { defineJob, ValueStateDescriptor, type ValueState } from '../../index.ts';

export interface RecoveryBenchParams { keys: number; marker: string; sinkMicros: number }

const PAD = 'x'.repeat(92);

export const recoveryBenchJob = defineJob('bench-recovery', (env, p: RecoveryBenchParams) => {
  env.fromGenerator((i) => i % p.keys, {}).setParallelism(2)
    .map((k) => {
      if (fs.existsSync(p.marker)) {
        try {
          fs.unlinkSync(p.marker);
        } catch {
          return k;
        }
        throw new Error('injected failure');
      }
      return k;
    }).setParallelism(2)
    .keyBy((k) => k)
    .process<number>({
      open(ctx) {
        (this as unknown as { s: ValueState<string> }).s = ctx.getState(new ValueStateDescriptor<string>('v'));
      },
      processElement(k, _ctx, out) {
        (this as unknown as { s: ValueState<string> }).s.update(`${PAD}${String(k).padStart(8, '0')}`);
        out.collect(k);
      },
    }).setParallelism(2).uid('state')
    .addSink(() => {
      if (p.sinkMicros > 0) {
        const end = performance.now() + p.sinkMicros / 1000;
        while (performance.now() < end) { /* spin */ }
      }
    });
});
