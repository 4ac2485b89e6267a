/**
 * Watermark idleness (Flink's `WatermarkStrategy.withIdleness`) through real subtasks: a source
 * subtask that never has a record would hold every downstream watermark at -Infinity (no window
 * ever fires); with `idleTimeoutMs` it marks its output idle and the windows fire on the other
 * subtask's watermark. When that one pauses too, every input is idle and the valve flushes the
 * largest watermark; its next records make it active again and windows fire on.
 * Event-driven: the test waits for window results, and releases the second half of the input
 * (a flag file the source polls) only after the first half's windows arrived.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { idleSourceJob, IDLE_KEYS, IDLE_WINDOW_MS, type WindowCount } from './support/idle-jobs.ts';

/** The windows a sequential run fires once the watermark reached `watermark` (records 0 … upTo−1, timestamp = index). */
function expectedWindows(upTo: number, watermark: number): WindowCount[] {
  const out: WindowCount[] = [];
  for (let start = 0; start + IDLE_WINDOW_MS - 1 <= watermark; start += IDLE_WINDOW_MS) {
    for (let key = 0; key < IDLE_KEYS; key++) {
      let count = 0;
      for (let i = start; i < Math.min(start + IDLE_WINDOW_MS, upTo); i++) if (i % IDLE_KEYS === key) count++;
      out.push({ key, start, count });
    }
  }
  return out;
}

const order = (a: WindowCount, b: WindowCount) => a.start - b.start || a.key - b.key;

test('an idle source subtask does not hold back the windows; all idle flushes the watermark; records make it active again', { timeout: 120_000 }, async (t) => {
  const n = 100;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-idle-'));
  const flag = path.join(dir, 'second-half');
  try {
    const client = idleSourceJob.execute({ params: { n, flag, idleTimeoutMs: 30 }, parallelism: 2, stateBackend: 'heap', signal: t.signal });
    // (t.signal: a timeout — windows that never fire — cancels the job instead of leaving it running.)
    // First half: records 0 … 99 from subtask 0, nothing ever from subtask 1. Both go idle; the
    // flushed watermark is 98 (max timestamp 99 − 1): windows up to [80, 90) fire.
    const firstHalf = expectedWindows(n, n - 2);
    const bothHalves = expectedWindows(2 * n, 2 * n - 2);
    const got: WindowCount[] = [];
    for await (const w of client.results<WindowCount>('out')) {
      got.push(w);
      if (got.length === firstHalf.length) {
        assert.deepEqual([...got].sort(order), firstHalf, 'the first half: windows up to the flushed watermark, each once, exact');
        fs.writeFileSync(flag, ''); // release the second half
      }
      if (got.length === bothHalves.length) break;
    }
    await client.cancel();
    await client.done;
    assert.deepEqual([...got].sort(order), bothHalves, 'both halves: subtask 0 active again, subtask 1 still idle');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
