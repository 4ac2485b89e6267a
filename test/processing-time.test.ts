/**
 * Processing time, as Flink's: a processing-time window fires once, after its last millisecond
 * passed (Flink's +1 ms on processing-time callbacks); what a timer emits while the input is idle
 * leaves the subtask at once, not with the next record or checkpoint. Both were found by a
 * user-style review: windows fired at end − 1 and again for a record of that same millisecond
 * (20–74 split windows a run), and a timer's output on a quiet stream waited forever without
 * checkpointing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { processingWindowsJob, pushedTimerJob } from './support/processing-time-jobs.ts';

test('a processing-time timer firing on an idle stream delivers its output at once (no checkpointing, no more input)', { timeout: 60_000 }, async () => {
  const client = pushedTimerJob.execute({ params: { delayMs: 30 }, parallelism: 1, stateBackend: 'heap' });
  await client.running;
  const seen: string[] = [];
  const results = client.results<string>('out');
  await client.push('keys', 'a');
  for await (const r of results) { // no more input: only the timer's own output can arrive
    seen.push(r);
    if (r === 'fired:a') break;
  }
  assert.deepEqual(seen, ['got:a', 'fired:a']);
  await client.cancel();
  await client.done;
});

test('processing-time windows fire once each: every record in exactly one window, no window twice', { timeout: 60_000 }, async () => {
  const count = 3_000;
  const result = await processingWindowsJob.execute({ params: { count, ratePerSecond: 6_000, sizeMs: 20 }, parallelism: 1, stateBackend: 'heap' }).done;
  const windows = result.collected.windows as Array<{ start: number; n: number }>;
  const starts = windows.map((w) => w.start);
  assert.deepEqual(starts.filter((s, i) => starts.indexOf(s) !== i), [], 'windows fired more than once');
  // A bounded input ends without firing the windows still open (Flink: processing time did not pass their end).
  assert.ok(windows.reduce((n, w) => n + w.n, 0) <= count);
  assert.ok(windows.length >= 10, `windows fired: ${windows.length}`);
});
