/**
 * Event time through the runtime: watermarks over several input channels are
 * the minimum of the channels (no record of the slow input looks late),
 * event-time timers fire once each, in order, only when the watermark passed
 * them; processing-time timers fire while the job runs, deduplicated.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { watermarkJob, processingTimerJob, type ProcessingTimerOut, type TimerObs } from './support/jobs.ts';

for (const backend of ['heap', 'lmdb'] as const) {
  test(`watermark = min over input channels; event-time timers fire in order (${backend})`, async () => {
    const n = 3000;
    const stateDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-wm-state-'));
    const result = await watermarkJob.execute({ params: { n }, parallelism: 2, stateBackend: backend, stateDirectory }).done.finally(() => fs.rmSync(stateDirectory, { recursive: true, force: true }));
    const out = result.collected.out as TimerObs[];
    const elements = out.filter((o) => o.kind === 'element');
    const timers = out.filter((o): o is Extract<TimerObs, { kind: 'timer' }> => o.kind === 'timer');
    assert.equal(elements.length, 2 * n);
    // With a max (or per-channel) watermark the slow source's records would arrive behind it.
    for (const e of elements) assert.ok(e.wm < e.ts, `${e.src} record ts=${e.ts} arrived with watermark ${e.wm}`);
    // One timer per distinct (key, ts), each fired once, with the watermark past it, in order per key.
    const distinct = new Set(elements.map((e) => `${(e as { key: number }).key}:${e.ts}`));
    assert.equal(timers.length, distinct.size);
    for (const t of timers) {
      assert.equal(t.domain, 'event-time');
      assert.ok(t.wm >= t.ts);
    }
    for (const key of [0, 1, 2]) {
      const ts = timers.filter((t) => t.key === key).map((t) => t.ts);
      assert.deepEqual(ts, [...ts].sort((a, b) => a - b), `timers of key ${key} in timestamp order`);
    }
  });
}

test('processing-time timers fire while the job runs, deduplicated per key and timestamp', async () => {
  const keys = 20;
  const result = await processingTimerJob.execute({ params: { keys, delayMs: 30 }, parallelism: 2, stateBackend: 'heap' }).done;
  const out = result.collected.out as ProcessingTimerOut[];
  assert.deepEqual(out.map((o) => o.key).sort((a, b) => a - b), Array.from({ length: keys }, (_, i) => i));
  for (const o of out) {
    assert.equal(o.domain, 'processing-time');
    assert.ok(o.late >= 0, 'never fired early');
    assert.equal(o.contextTs, o.timer, "ctx.timestamp() in onTimer is the timer's time (Flink's OnTimerContext), processing time too");
    assert.equal(o.outputTs, null, 'what a processing-time timer collects carries no timestamp');
  }
});
