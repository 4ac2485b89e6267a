/**
 * The job's life at info (issue #16): submitted, REST endpoint, deployed, running, checkpoint
 * completed, failover with its cause and restart delay, running again restored from a
 * checkpoint, stopped with a savepoint; and a restored run says where it restored from. Lines are
 * captured through the application's pino logger (a destination stream).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { pushJob } from './support/push-jobs.ts';

interface Line { level: number; msg: string; [k: string]: unknown }

function capture(): { logger: pino.Logger; lines: Line[]; next: (re: RegExp) => Promise<Line> } {
  const lines: Line[] = [];
  const waiters: Array<{ re: RegExp; resolve: (l: Line) => void }> = [];
  const logger = pino({ level: 'info' }, {
    write(s: string) {
      const l = JSON.parse(s) as Line;
      lines.push(l);
      for (const w of [...waiters]) if (w.re.test(l.msg)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(l);
      }
    },
  });
  const next = (re: RegExp) => {
    const seen = lines.find((l) => re.test(l.msg));
    return seen ? Promise.resolve(seen) : new Promise<Line>((resolve) => waiters.push({ re, resolve }));
  };
  return { logger, lines, next };
}

test('the job master logs the job\'s life at info: submitted … checkpoint … failover with cause and delay … stopped with a savepoint; a restore says from where', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-life-'));
  try {
    const failMarker = path.join(dir, 'fail');
    const { logger, lines, next } = capture();
    const client = pushJob.execute({
      params: { maxBufferedRecords: 1000, spinMicros: 0, failMarker }, parallelism: 1, stateBackend: 'heap', retainCollected: false, logger,
      checkpointing: { directory: path.join(dir, 'chk') }, restartStrategy: { type: 'fixed-delay', attempts: 3, delayMs: 5 }, rest: { port: 0, discoveryDirectory: false },
    });
    await client.running;
    for (let i = 0; i < 10; i++) await client.push('numbers', i);
    const cp = await client.triggerCheckpoint();
    await next(new RegExp(`^checkpoint ${cp.checkpointId} completed in \\d+ ms$`));
    fs.writeFileSync(failMarker, ''); // the next record throws once
    void client.push('numbers', 10);
    await next(/^job running \(attempt 1, restored from checkpoint \d+ at \S+chk-\d+\)$/);
    const sp = await client.stopWithSavepoint(path.join(dir, 'sp'));
    await client.done;

    const msgs = lines.map((l) => l.msg);
    const at = (re: RegExp) => {
      const i = msgs.findIndex((m) => re.test(m));
      assert.ok(i >= 0, `a line matching ${re} in:\n${msgs.join('\n')}`);
      return i;
    };
    const order = [
      at(/^job 't-push-source' submitted$/),
      at(/^REST endpoint and dashboard at http:\/\/127\.0\.0\.1:\d+$/),
      at(/^attempt 0 deployed: 1 subtasks?$/),
      at(/^job running \(attempt 0\)$/),
      at(new RegExp(`^checkpoint ${cp.checkpointId} completed in \\d+ ms$`)),
      at(/^failover: WEIR_USER_FUNCTION_FAILED: .*injected failure at 10.*; restarting in 5 ms from checkpoint \d+$/),
      at(/^attempt 1 deployed: 1 subtasks?$/),
      at(/^job running \(attempt 1, restored from checkpoint \d+ at \S+chk-\d+\)$/),
      at(new RegExp(`^savepoint \\d+ completed in \\d+ ms$`)),
      at(/^job finished \(stopped with savepoint .*\) in \d+ ms$/),
    ];
    assert.deepEqual(order, [...order].sort((a, b) => a - b), 'in the order they happened');
    const failover = lines.find((l) => l.msg.startsWith('failover:'))!;
    assert.equal(failover.level, 40);
    assert.equal(failover.delayMs, 5);
    assert.equal((failover.cause as { code: string }).code, 'WEIR_USER_FUNCTION_FAILED');
    const done = lines.find((l) => l.msg.startsWith('job finished'))!;
    assert.equal(done.level, 30);
    assert.equal(done.savepointPath, sp.directory);
    for (const l of lines) assert.equal(l.job, client.jobId, 'every line names the job');

    // A run restored from the savepoint says so.
    const second = capture();
    const restored = pushJob.execute({ params: { maxBufferedRecords: 1000, spinMicros: 0 }, parallelism: 1, stateBackend: 'heap', retainCollected: false, logger: second.logger, restore: sp.directory, checkpointing: { directory: path.join(dir, 'chk') } });
    await restored.running;
    await restored.cancel();
    await second.next(new RegExp(`^restoring from savepoint ${sp.checkpointId} at ${sp.directory.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    await second.next(/^job cancelled in \d+ ms$/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
