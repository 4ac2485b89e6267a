import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { CheckpointFailureCounter, CheckpointFailureReason, countsTowardTolerableFailures, isCheckpointFailureReason } from './checkpoint-failure-reason.ts';

describe('CheckpointFailureReason', () => {
  test('exactly expiry, declines, task snapshot and finalize failures count', () => {
    const counted = Object.values(CheckpointFailureReason).filter(countsTowardTolerableFailures).sort();
    assert.deepEqual(counted, ['CHECKPOINT_DECLINED', 'CHECKPOINT_EXPIRED', 'FINALIZE_CHECKPOINT_FAILURE', 'TASK_CHECKPOINT_FAILURE']);
    assert.equal(isCheckpointFailureReason('CHECKPOINT_SUBSUMED'), true);
    assert.equal(isCheckpointFailureReason('disk full'), false);
  });
});

describe('CheckpointFailureCounter', () => {
  test('reports the count when it exceeds the tolerance, then restarts; success resets', () => {
    const c = new CheckpointFailureCounter(1);
    assert.equal(c.failure(1, 'CHECKPOINT_EXPIRED', 'checkpoint'), undefined);
    assert.equal(c.failure(2, 'CHECKPOINT_SUBSUMED', 'checkpoint'), undefined); // not counted
    assert.equal(c.failure(3, 'CHECKPOINT_DECLINED', 'savepoint'), undefined); // savepoints never count
    assert.equal(c.consecutiveFailures, 1);
    assert.equal(c.failure(4, 'CHECKPOINT_DECLINED', 'checkpoint'), 2);
    assert.equal(c.consecutiveFailures, 0);
    assert.equal(c.failure(5, 'CHECKPOINT_EXPIRED', 'checkpoint'), undefined);
    c.success(7);
    assert.equal(c.consecutiveFailures, 0);
    // A failure of a checkpoint older than the last success does not count.
    assert.equal(c.failure(6, 'CHECKPOINT_EXPIRED', 'checkpoint'), undefined);
    assert.equal(c.consecutiveFailures, 0);
  });
});
