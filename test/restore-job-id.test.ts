/**
 * A restore from a checkpoint continues the restored run's job id (docs/checkpointing.md): once it
 * is resolved, every log line and every Prometheus series carries that id — before, the log lines
 * and the job-level series kept the run's provisional id, which nothing else used (found by an
 * operator-style review: an alert on weir_job_running{job_id="<id>"} found nothing).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createMetricsRegistry } from '../index.ts';
import { unboundedJob } from './support/jobs.ts';

test("restore: 'latest' without a job id: log lines and every metrics series carry the restored run's id", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-restore-id-'));
  try {
    const checkpointing = { directory: dir, retention: 'retain-on-cancel' as const };
    const first = unboundedJob.execute({ stateBackend: 'heap', parallelism: 1, retainCollected: false, checkpointing });
    await first.running;
    await first.triggerCheckpoint();
    await first.cancel();
    await first.done;

    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'info' }, new Writable({ write(chunk, _e, done) { lines.push(JSON.parse(String(chunk)) as Record<string, unknown>); done(); } }));
    const second = unboundedJob.execute({ stateBackend: 'heap', parallelism: 1, retainCollected: false, checkpointing, restore: 'latest', logger });
    const registry = createMetricsRegistry(second);
    await second.running;
    assert.equal(second.jobId, first.jobId, 'the restore continues the first run\'s id');
    await second.triggerCheckpoint();
    const exposition = await registry.metrics();
    await second.cancel();
    await second.done;

    const after = lines.slice(lines.findIndex((l) => l.continuesJob === first.jobId) + 1);
    assert.ok(after.length >= 3, `lines after the id was resolved: ${JSON.stringify(lines.map((l) => l.msg))}`);
    for (const l of after) assert.equal(l.job, first.jobId, `line '${String(l.msg)}'`);
    assert.ok(after.some((l) => /job running/.test(String(l.msg))), 'the running line');
    const ids = new Set([...exposition.matchAll(/job_id="([^"]+)"/g)].map((m) => m[1]));
    assert.deepEqual([...ids], [first.jobId], 'one job id across every series');
    assert.match(exposition, new RegExp(`weir_job_running\\{[^}]*job_id="${first.jobId}"`));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
