/**
 * The coordinator at the edges of a job's life (issue #11): the final checkpoint of a bounded
 * job is its last one, even when a periodic trigger races the end of input; and declines
 * caused by a task's own failure or teardown are not checkpoint failures.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { CheckpointFailureReason } from './checkpoint-failure-reason.ts';
import { MAP0, SRC0, harness, rejection } from './coordinator-test-support.ts';

describe('CheckpointCoordinator: end of input', () => {
  test('a periodic tick racing the end of input triggers nothing after it; the final checkpoint is the last', async () => {
    const h = harness({ intervalMs: 100 });
    h.coord.startPeriodic();
    h.timers.advanceTo(1100); // periodic #1 in flight …
    assert.deepEqual(h.triggers.map((t) => t.id), [1]);
    h.coord.endOfInput(); // … when every source ends its input
    h.ackAll(1);
    await h.coord.whenIdle();
    h.timers.advanceTo(1200); // the tick that raced the end of input
    assert.deepEqual(h.triggers.map((t) => t.id), [1], 'no periodic trigger after the end of input');
    const final = h.coord.trigger({ reason: 'final' });
    h.ackAll(2);
    assert.equal((await final).checkpointId, 2);
    await h.coord.whenIdle();
    h.timers.advanceTo(5000);
    assert.deepEqual(h.triggers.map((t) => t.id), [1, 2], 'nothing after the final checkpoint');
    const kinds = h.coord.stats.toJSON().history.map((c) => c.trigger).reverse();
    assert.deepEqual(kinds, ['periodic', 'final']);
    h.coord.stop();
  });

  test('the tick due at the same instant as the end of input is not taken', async () => {
    const h = harness({ intervalMs: 100 });
    h.coord.startPeriodic();
    h.timers.advanceTo(1099);
    h.coord.endOfInput();
    h.timers.advanceTo(1100);
    assert.deepEqual(h.triggers, []);
    h.coord.startPeriodic(); // e.g. an attempt attaching after its sources already ended
    h.timers.advanceTo(2000);
    assert.deepEqual(h.triggers, []);
    h.coord.stop();
  });

  test('manual checkpoints after the end of input are rejected (not counted); a failed final one may be retried', async () => {
    const h = harness({ intervalMs: 100, tolerableFailures: 0 });
    h.coord.endOfInput();
    const e = await rejection(h.coord.trigger());
    assert.equal(e.details.reason, CheckpointFailureReason.NOT_ALL_REQUIRED_TASKS_RUNNING);
    const first = h.coord.trigger({ reason: 'final' });
    h.coord.abort(1, 'test');
    await rejection(first);
    const retry = h.coord.trigger({ reason: 'final' });
    h.ackAll(2);
    assert.equal((await retry).checkpointId, 2);
    assert.equal(h.failures.length, 0);
    h.coord.stop();
  });
});

describe('CheckpointCoordinator: declines caused by the task itself', () => {
  for (const reason of [CheckpointFailureReason.TASK_FAILURE, CheckpointFailureReason.CHECKPOINT_DECLINED_TASK_CLOSING]) {
    test(`${reason} aborts the checkpoint without counting toward tolerableFailures`, async () => {
      const h = harness({ tolerableFailures: 0 });
      const p = h.coord.trigger();
      h.coord.acknowledge(SRC0, 1, { stateHandles: {}, channelStateHandles: null, files: [], metrics: { syncMs: 0, asyncMs: 0, alignmentMs: 0, startDelayMs: 0, unaligned: false, stateBytes: 0, incrementalStateBytes: 0, persistedInFlightBytes: 0 } });
      h.coord.decline(MAP0, 1, reason, new Error('subtask failed before its snapshot completed'));
      const e = await rejection(p);
      assert.equal(e.details.reason, reason);
      assert.equal(h.failures.length, 0, 'the task failure itself is the cause of the failover, not the checkpoint');
      // A real snapshot failure still counts (tolerableFailures 0: the first one fails the job).
      const q = h.coord.trigger();
      h.coord.decline(MAP0, 2, CheckpointFailureReason.TASK_CHECKPOINT_FAILURE, new Error('disk full'));
      await rejection(q);
      assert.deepEqual(h.failures.map((f) => f.code), ['WEIR_TOO_MANY_CHECKPOINT_FAILURES']);
      h.coord.stop();
    });
  }
});
