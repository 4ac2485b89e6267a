/**
 * Issue #11, defects 2 and 3, end to end on worker threads:
 * - a user function that throws while a checkpoint's asynchronous part is still running is the
 *   cause of the failover, not a checkpoint failure (with tolerableFailures 0 it used to fail
 *   the job as WEIR_TOO_MANY_CHECKPOINT_FAILURES: the released LMDB snapshot view failed the
 *   snapshot, and the subtask declined with TASK_CHECKPOINT_FAILURE);
 * - every source ends its input with the maximum watermark, so event-time timers fire at the end
 *   of a bounded job that assigns no timestamps and watermarks.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { failDuringSnapshotJob, finalWatermarkJob } from './support/hardening-jobs.ts';

describe('a task failure during a checkpoint is reported as itself', () => {
  for (const backend of ['lmdb', 'heap'] as const) {
    test(`${backend}: tolerableFailures 0, the failover's cause is WEIR_USER_FUNCTION_FAILED`, { timeout: 120_000 }, async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-decline-'));
      try {
        const failMarker = path.join(dir, 'fail');
        fs.writeFileSync(failMarker, '');
        const client = failDuringSnapshotJob.execute({
          params: { keys: 20_000, valueBytes: 1_000, failMarker },
          parallelism: 1,
          stateBackend: backend,
          stateDirectory: path.join(dir, 'state'),
          checkpointing: { intervalMs: 100, directory: path.join(dir, 'checkpoints'), tolerableFailures: 0, incremental: false },
          restartStrategy: { type: 'fixed-delay', attempts: 1, delayMs: 0 },
          retainCollected: false,
        });
        // Wait for the failover to be recorded: a checkpoint completes in the attempt after it.
        await new Promise<void>((resolve, reject) => {
          const off = client.onCheckpoint((c) => {
            if (c.status === 'completed' && client.failovers.length > 0) {
              off();
              resolve();
            }
          });
          client.done.then(() => reject(new Error(`the job ended (${client.status}) first`)), reject);
        });
        const [f, ...more] = client.failovers;
        assert.equal(more.length, 0);
        assert.equal(f!.cause.code, 'WEIR_USER_FUNCTION_FAILED', f!.cause.message);
        assert.match(f!.cause.message, /right after a snapshot/);
        assert.ok(!fs.existsSync(failMarker), 'the injected failure fired');
        const stats = client.checkpointStats()!;
        const failedByTheTask = stats.history.filter((c) => c.status === 'failed');
        for (const c of failedByTheTask) assert.ok(['TASK_FAILURE', 'CHECKPOINT_DECLINED_TASK_CLOSING', 'JOB_FAILOVER', 'CHECKPOINT_COORDINATOR_SHUTDOWN'].includes(c.failureReason!), `checkpoint ${c.checkpointId} failed with ${c.failureReason}`);
        await client.cancel();
        assert.equal((await client.done).status, 'cancelled');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

describe('the end of input is the maximum watermark', () => {
  for (const parallelism of [1, 2]) {
    test(`event-time timers fire at the end of a bounded job without a watermark strategy (parallelism ${parallelism})`, async () => {
      const items = Array.from({ length: 200 }, (_, i) => ({ key: `k${i % 7}`, t: 1_000_000 + (i % 13) * 1000 }));
      const result = await finalWatermarkJob.execute({ params: { items }, parallelism, stateBackend: 'heap' }).done;
      const expected = [...new Set(items.map((r) => `${r.key}@${r.t}`))].sort();
      assert.deepEqual([...(result.collected.fired as string[])].sort(), expected);
    });
  }
});
