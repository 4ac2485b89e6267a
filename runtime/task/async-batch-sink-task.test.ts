/**
 * The async batch sink in a real subtask (harness; the test settles the writes): a barrier writes
 * the partial batch and the checkpoint is acknowledged only once every write started before it
 * succeeded — so a completed checkpoint never covers an unwritten record (at-least-once); with
 * `maxInFlightBatches` writes running, no more input is taken until one completes.
 */
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { StreamTaskTestHarness } from './test-support/stream-task-test-harness.ts';
import { asyncSinkHarnessJob, writes } from './test-support/async-sink-harness-jobs.ts';

beforeEach(() => void writes.splice(0));

/**
 * Lets the subtask run everything it can without the pending writes: a mail round trip, then event
 * loop turns (this checkpoint has no keyed state and no in-flight data, so nothing else is awaited:
 * without the wait for the writes its ack would be out by now). A negative check can only miss a
 * bug on a very slow turn, never fail a correct subtask.
 */
async function settle(h: StreamTaskTestHarness): Promise<void> {
  await h.task.mailbox.submit('probe', () => {});
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
}

test('the checkpoint waits for the writes started before its barrier (the partial batch included); at the in-flight limit no input is taken', async () => {
  const h = await StreamTaskTestHarness.open({ job: asyncSinkHarnessJob, params: { batchSize: 2, maxInFlightBatches: 2 }, vertex: 1, checkpointing: {}, batching: { maxBatchRecords: 1 } });
  try {
    h.start();
    await h.records(0, [1, 2, 3, 4, 5]);
    await h.waitUntil(() => writes.length === 2, 'two full batches written');
    await h.task.mailbox.submit('probe', () => {});
    assert.equal(h.task.recordsIn, 4, 'at two writes in flight the fifth record is not taken');
    assert.deepEqual(writes.map((w) => w.batch), [[1, 2], [3, 4]]);
    writes[0]!.resolve();
    await h.waitUntil(() => h.task.recordsIn === 5, 'a write completed: the fifth record is taken');
    await h.barrier(0, 1);
    await h.waitUntil(() => writes.length === 3, 'the barrier writes the partial batch');
    assert.deepEqual(writes[2]!.batch, [5]);
    await settle(h);
    assert.equal(h.acks().length, 0, 'not acknowledged while writes started before the barrier run');
    writes[2]!.resolve();
    await settle(h);
    assert.equal(h.acks().length, 0, 'still waiting for [3, 4]');
    writes[1]!.resolve();
    await h.waitUntil(() => h.acks().length === 1, 'the ack once every earlier write succeeded');
    await h.endInput();
    await h.finished();
  } finally {
    await h.close();
  }
});

test('a failed write declines the checkpoint and fails the subtask with WEIR_SINK_FAILED', async () => {
  const h = await StreamTaskTestHarness.open({ job: asyncSinkHarnessJob, params: { batchSize: 10, maxInFlightBatches: 2 }, vertex: 1, checkpointing: {}, batching: { maxBatchRecords: 1 } });
  try {
    h.start();
    await h.records(0, [1, 2, 3]);
    await h.waitUntil(() => h.task.recordsIn === 3, 'three records');
    await h.barrier(0, 1);
    await h.waitUntil(() => writes.length === 1, 'the partial batch written at the barrier');
    writes[0]!.reject(new Error('disk full'));
    await h.waitUntil(() => h.outcome !== undefined, 'the subtask to fail');
    const error = h.outcome!.error as { code?: string; message?: string };
    assert.equal(error.code, 'WEIR_SINK_FAILED', String(error.message));
    assert.match(error.message!, /sink 'Store' \(subtask 1\/1\) failed in write \(3 records\): disk full/);
    assert.equal(h.acks().length, 0, 'never acknowledged');
  } finally {
    await h.close();
  }
});

test('at the in-flight limit a partial batch waits for room (no write beyond maxInFlightBatches), then goes out without more input', async () => {
  // One input record reaches the sink three times: [1, 1.1] fills a batch (the one write allowed),
  // 1.2 stays in a partial batch while the sink is at its limit, and no more input comes.
  const h = await StreamTaskTestHarness.open({ job: asyncSinkHarnessJob, params: { batchSize: 2, maxInFlightBatches: 1, copies: 3 }, vertex: 1, batching: { maxBatchRecords: 1, bufferTimeoutMs: 600_000 } });
  try {
    h.start();
    await h.records(0, [1]);
    await h.waitUntil(() => writes.length === 1, 'the full batch written');
    await settle(h);
    assert.deepEqual(writes.map((w) => w.batch), [[1, 1.1]], 'no second write while one runs (maxInFlightBatches 1)');
    writes[0]!.resolve();
    await h.waitUntil(() => writes.length === 2, 'the partial batch written once there is room');
    assert.deepEqual(writes[1]!.batch, [1.2]);
    writes[1]!.resolve();
    await h.endInput();
    await h.finished();
  } finally {
    await h.close();
  }
});
