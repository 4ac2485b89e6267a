/**
 * Once every source has ended its input, the final checkpoint is the job's last (docs/checkpointing.md):
 * a checkpoint or savepoint requested then — also a stop-with-savepoint — is refused at once with
 * NOT_ALL_REQUIRED_TASKS_RUNNING. It used to wait its turn behind the final checkpoint and be refused
 * (or fail otherwise) only when the job finished, however long the job took to drain.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WeirError } from '../index.ts';
import { gatedJob } from './support/replay-jobs.ts';
import { untilJobState } from './support/checkpoint-events.ts';

test('after the input ended, checkpoint, savepoint and stop-with-savepoint requests are refused at once, while the job still drains', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-after-end-'));
  const gate = path.join(dir, 'gate');
  fs.writeFileSync(gate, '');
  try {
    const client = gatedJob.execute({ params: { n: 50, gate, failMarker: path.join(dir, 'no-failure'), payloadBytes: 0 }, parallelism: 1, stateBackend: 'heap', checkpointing: { intervalMs: 3_600_000, directory: path.join(dir, 'checkpoints') } });
    await untilJobState(client, 'the final checkpoint in progress', () => {
      const latest = client.checkpointStats()?.history[0];
      return latest?.trigger === 'final' && latest.status === 'in_progress';
    });
    const refused = (e: WeirError) => e.code === 'WEIR_CHECKPOINT_FAILED' && e.details.reason === 'NOT_ALL_REQUIRED_TASKS_RUNNING' && /input has ended/.test(e.message);
    await assert.rejects(client.triggerCheckpoint(), refused);
    await assert.rejects(client.triggerSavepoint(path.join(dir, 'savepoints')), refused);
    await assert.rejects(client.stopWithSavepoint(path.join(dir, 'savepoints')), refused);
    assert.equal(client.status, 'running', 'refused while the job still drains (the gate is closed)');
    fs.rmSync(gate);
    const result = await client.done;
    assert.equal(result.status, 'finished');
    assert.deepEqual((result.collected.out as number[]).sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i));
    assert.equal(fs.existsSync(path.join(dir, 'savepoints')) && fs.readdirSync(path.join(dir, 'savepoints')).length > 0, false, 'no savepoint written');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
