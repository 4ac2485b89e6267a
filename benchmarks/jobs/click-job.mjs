// The realistic JSONL click job (issue #18): a JSON Lines file of clicks → parse (readTextFile,
// in byte ranges: one per source subtask) → keyBy user → count per user in ValueState → the
// per-user counts into an exactly-once file sink. One event-time timer per user, registered at
// its first click, fires at the end of input (the maximum watermark) and emits the count: one
// line per user, the same output as the plain loop's (click-workload.mjs).
// JavaScript importing `weir`: runs against the build or the sources (see throughput-job.mjs).
import { defineJob, exactlyOnceFileSink, ValueStateDescriptor } from 'weir';

/** Fires after every click: the end of input's maximum watermark passes it. */
const AT_END = Number.MAX_SAFE_INTEGER;

export const clickJob = defineJob('bench-clicks', (env, p) => {
  let clicks;
  env.readTextFile(p.file, { format: 'jsonl' })
    .uid('clicks')
    .keyBy((c) => c.user)
    .process({
      open(ctx) {
        clicks = ctx.getState(new ValueStateDescriptor('clicks'));
      },
      processElement(_click, ctx) {
        const n = clicks.value();
        if (n === undefined) ctx.timerService().registerEventTimeTimer(AT_END);
        clicks.update((n ?? 0) + 1);
      },
      onTimer(_t, ctx, out) {
        out.collect({ user: ctx.getCurrentKey(), clicks: clicks.value() });
      },
    })
    .uid('count')
    .sinkTo(exactlyOnceFileSink({ directory: p.out, format: 'jsonl' }))
    .uid('out');
});
