/**
 * Processing-time windows and triggers, deterministically: the window subtask runs in this
 * thread (StreamTaskTestHarness) with a manual clock, so windows fire exactly when the test
 * moves processing time (`h.scheduler.advance`) past their max timestamp (from max + 1 ms on, as
 * Flink) — never by a sleep.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamTaskTestHarness } from '../../task/test-support/stream-task-test-harness.ts';
import {
  defineJob, TumblingProcessingTimeWindows, SlidingProcessingTimeWindows, ProcessingTimeSessionWindows, CountTrigger, PurgingTrigger,
  type ProcessWindowFunction, type TimeWindow,
} from '../../../index.ts';

type Kind = 'tumbling' | 'sliding' | 'session' | 'purging-count';

const describeWindow: ProcessWindowFunction<string, string, string, TimeWindow> = {
  process(key, ctx, elements, out) {
    out.collect(`${key}[${ctx.window.start},${ctx.window.end})=${elements.length}@${ctx.currentProcessingTime()}`);
  },
};

/** vertex 0: array source → keyBy → vertex 1: processing-time window → stamp (value@timestamp) → collect. */
const processingTimeWindowJob = defineJob('t-processing-time-windows', (env, p: { kind: Kind }) => {
  const keyed = env.fromArray(['unused']).keyBy((s: string) => s);
  const windowed = p.kind === 'tumbling' ? keyed.window(TumblingProcessingTimeWindows.of(100))
    : p.kind === 'sliding' ? keyed.window(SlidingProcessingTimeWindows.of(100, 50))
      : p.kind === 'session' ? keyed.window(ProcessingTimeSessionWindows.withGap(30))
        : keyed.window(TumblingProcessingTimeWindows.of(100)).trigger(PurgingTrigger.of(CountTrigger.of(2)));
  windowed.process(describeWindow).setParallelism(1)
    .process<string>({ processElement(v, ctx, out) { out.collect(`${v} ts=${ctx.timestamp()}`); } })
    .collect('out');
});

async function open(kind: Kind, backend: 'heap' | 'lmdb' = 'heap'): Promise<StreamTaskTestHarness> {
  const h = await StreamTaskTestHarness.open({ job: processingTimeWindowJob, params: { kind }, vertex: 1, stateBackend: backend, batching: { maxBatchRecords: 1 } });
  h.start();
  return h;
}

/** Send records and wait until the task has taken them in (their windows and timers exist). */
async function send(h: StreamTaskTestHarness, records: string[]): Promise<void> {
  const before = h.task.recordsIn;
  await h.records(0, records);
  await h.waitUntil(() => h.task.recordsIn === before + records.length, `${records.length} records in`);
}

for (const backend of ['heap', 'lmdb'] as const) {
  test(`tumbling processing-time windows fire once the clock has passed their max timestamp (${backend})`, async () => {
    const h = await open('tumbling', backend);
    try {
      await send(h, ['a', 'b', 'a']);
      assert.equal(h.task.timers.nextAt, 99, 'the window [0,100) asked the task for a timer at 99');
      h.scheduler.advance(99);
      await send(h, ['a']); // the window's last millisecond: still in [0,100), and the window has not fired
      assert.deepEqual(h.collected(), [], 'nothing fires before the clock passed the max timestamp (Flink\'s +1 ms)');
      h.scheduler.advance(1); // 100
      await h.waitUntil(() => h.collected().length === 2, 'both windows of [0,100)');
      assert.deepEqual([...h.collected()].sort(), ['a[0,100)=3@100 ts=99', 'b[0,100)=1@100 ts=99']);
      h.scheduler.advance(50); // 150
      await send(h, ['b']);
      h.scheduler.advance(49); // 199
      assert.equal(h.collected().length, 2);
      h.scheduler.advance(1); // 200
      await h.waitUntil(() => h.collected().length === 3, 'the window [100,200)');
      assert.equal(h.collected()[2], 'b[100,200)=1@200 ts=199');
    } finally {
      await h.close();
    }
  });
}

test('sliding processing-time windows: each record in size/slide windows, each fires once its end passed', async () => {
  const h = await open('sliding');
  try {
    h.scheduler.advance(60);
    await send(h, ['x']); // in [0,100) and [50,150)
    h.scheduler.advance(40); // 100
    await h.waitUntil(() => h.collected().length === 1, 'the window [0,100)');
    h.scheduler.advance(19); // 119
    await send(h, ['x']); // in [50,150) and [100,200)
    h.scheduler.advance(31); // 150
    await h.waitUntil(() => h.collected().length === 2, 'the window [50,150)');
    h.scheduler.advance(50); // 200
    await h.waitUntil(() => h.collected().length === 3, 'the window [100,200)');
    assert.deepEqual(h.collected(), ['x[0,100)=1@100 ts=99', 'x[50,150)=2@150 ts=149', 'x[100,200)=1@200 ts=199']);
  } finally {
    await h.close();
  }
});

test('processing-time sessions merge while records keep coming within the gap, and fire once the gap after the last passed', async () => {
  const h = await open('session');
  try {
    await send(h, ['s']); // [0,30)
    h.scheduler.advance(20);
    await send(h, ['s']); // [20,50) merges into [0,50)
    h.scheduler.advance(20); // 40: past the first window's end, but it was merged away
    await send(h, ['t']); // [40,70)
    assert.deepEqual(h.collected(), [], 'the merged session has not ended');
    h.scheduler.advance(10); // 50
    await h.waitUntil(() => h.collected().length === 1, 'the merged session [0,50)');
    h.scheduler.advance(20); // 70
    await h.waitUntil(() => h.collected().length === 2, 'the session [40,70)');
    assert.deepEqual(h.collected(), ['s[0,50)=2@50 ts=49', 't[40,70)=1@70 ts=69']);
  } finally {
    await h.close();
  }
});

test('PurgingTrigger(CountTrigger) on processing-time windows fires every 2 records; the rest is dropped at the window end', async () => {
  const h = await open('purging-count');
  try {
    await send(h, ['c', 'c', 'c']);
    await h.waitUntil(() => h.collected().length === 1, 'the count firing');
    h.scheduler.advance(100); // past the window end: cleanup, no firing (the trigger never fires by time)
    await h.waitUntil(() => h.task.timers.nextAt === undefined, 'the cleanup timer to run');
    await send(h, ['c', 'c']); // [100,200)
    await h.waitUntil(() => h.collected().length === 2, 'the second count firing');
    assert.deepEqual(h.collected(), ['c[0,100)=2@0 ts=99', 'c[100,200)=2@100 ts=199']);
  } finally {
    await h.close();
  }
});
