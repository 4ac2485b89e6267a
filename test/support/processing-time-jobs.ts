/**
 * Processing-time jobs (test/processing-time.test.ts). Defined at top level: every worker imports
 * this module.
 */
import { defineJob, TumblingProcessingTimeWindows, type KeyedProcessFunction } from '../../index.ts';

/** Records pushed by the test → keyBy → a processing-time timer `delayMs` after each record → 'fired:<key>' from onTimer. */
export const pushedTimerJob = defineJob('t-pt-timer-idle', (env, p: { delayMs: number }) => {
  const fn: KeyedProcessFunction<string, string, string> = {
    processElement(k, ctx, out) {
      out.collect(`got:${k}`);
      ctx.timerService().registerProcessingTimeTimer(ctx.timerService().currentProcessingTime() + p.delayMs);
    },
    onTimer(_ts, ctx, out) {
      out.collect(`fired:${ctx.getCurrentKey()}`);
    },
  };
  env.fromPushSource<string>('keys').uid('keys')
    .keyBy((k) => k)
    .process(fn).uid('timers')
    .collect('out');
});

/** A generator at `ratePerSecond` for `count` records → windowAll 20 ms processing-time tumbling counts → `{ start, n }` per window. */
export const processingWindowsJob = defineJob('t-pt-windows', (env, p: { count: number; ratePerSecond: number; sizeMs: number }) => {
  env.fromGenerator((i) => i, { count: p.count, ratePerSecond: p.ratePerSecond }).setParallelism(1).uid('numbers')
    .windowAll(TumblingProcessingTimeWindows.of(p.sizeMs))
    .process({ process(ctx, elements, out) { out.collect({ start: ctx.window.start, n: [...elements].length }); } })
    .uid('windows')
    .collect('windows');
});
