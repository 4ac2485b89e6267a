/**
 * The main thread's end of a collect sink, fed by a real subtask (driven in this thread by the
 * task harness): with checkpointing, records reach the app only once the checkpoint they
 * belong to completed, and a failover drops the rest (the restored job re-emits them); without
 * retention, what the backlog before the first reader keeps and drops.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChannelReader, Doorbell } from '../../actors/index.ts';
import { BACKLOG_LIMIT, CollectReader, CollectedRecords } from './collect-reader.ts';
import { StreamTaskTestHarness } from '../task/test-support/stream-task-test-harness.ts';
import { relayJob } from '../task/test-support/harness-jobs.ts';

async function collectingTask() {
  // relayJob's vertex 2: map → collect('out'), one input channel.
  const h = await StreamTaskTestHarness.open({ job: relayJob, params: { sources: 1 }, vertex: 2, checkpointing: {}, batching: { maxBatchRecords: 1 } });
  const { spec, doorbell } = h.collectChannel!;
  const sink = new CollectedRecords(['out'], true);
  const reader = new CollectReader([{ name: 'out', reader: new ChannelReader(spec) }], new Doorbell(doorbell), sink, true);
  return { h, sink, reader };
}

test('exactly-once collect: records are delivered when their checkpoint completes, not when they arrive', async () => {
  const { h, sink, reader } = await collectingTask();
  try {
    h.start();
    await h.records(0, [1, 2]);
    await h.barrier(0, 1);
    await h.records(0, [3]);
    await reader.barrierRead(1);
    assert.deepEqual(sink.collected('out'), [], 'checkpoint 1 has not completed');
    reader.release(1);
    assert.deepEqual(sink.collected('out'), [1, 2], 'what preceded barrier 1, and nothing after it');
    await h.barrier(0, 2);
    await h.endInput();
    await h.finished();
    await reader.barrierRead(2);
    reader.release(2);
    await reader.done;
    assert.deepEqual(sink.collected('out'), [1, 2, 3]);
  } finally {
    reader.stop();
    await h.close();
  }
});

test('exactly-once collect: a failover drops what no completed checkpoint covers', async () => {
  const { h, sink, reader } = await collectingTask();
  try {
    h.start();
    await h.records(0, [1]);
    await h.barrier(0, 1);
    await h.records(0, [2]);
    await reader.barrierRead(1);
    // Checkpoint 1 never completes: the attempt is torn down; the restored job re-emits 1 and 2.
    reader.stop();
    await reader.done;
    assert.deepEqual(sink.collected('out'), [], 'nothing reached the app: no completed checkpoint covers it');
  } finally {
    await h.close();
  }
});

test('exactly-once collect: stopping reads what the channel still holds, so records of a completed checkpoint are not lost with the attempt', async () => {
  const { h, sink, reader } = await collectingTask();
  try {
    reader.pauseReading(); // the main thread has not had its turn yet (e.g. busy pushing records)
    h.start();
    await h.records(0, [1, 2]);
    await h.barrier(0, 1);
    await h.records(0, [3]);
    await h.waitUntil(() => h.acks().length === 1, 'the ack of checkpoint 1');
    await h.task.mailbox.submit('probe', () => {}); // the barrier and the records are on the collect channel
    reader.release(1); // checkpoint 1 completed before the reader read its barrier
    assert.deepEqual(sink.collected('out'), [], 'nothing read yet');
    reader.stop(); // the attempt is torn down (a cancel)
    await reader.done;
    assert.deepEqual(sink.collected('out'), [1, 2], 'what preceded barrier 1 is delivered; 3 is not covered by a completed checkpoint');
  } finally {
    await h.close();
  }
});

test('without retention, the backlog before the first reader keeps the newest BACKLOG_LIMIT records and reports its first drop once per sink', () => {
  const drops: Array<[string, number]> = [];
  const sink = new CollectedRecords(['a', 'b'], false, (name, limit) => drops.push([name, limit]));
  sink.deliver('a', Array.from({ length: BACKLOG_LIMIT }, (_, i) => i));
  assert.deepEqual(drops, [], 'nothing dropped at the limit');
  sink.deliver('a', [BACKLOG_LIMIT, BACKLOG_LIMIT + 1]);
  sink.deliver('a', [BACKLOG_LIMIT + 2]);
  assert.deepEqual(drops, [['a', BACKLOG_LIMIT]], 'reported once');
  assert.equal(sink.droppedBeforeFirstReader('a'), 3);
  const got: unknown[] = [];
  sink.subscribe('a', (records) => got.push(...records));
  assert.equal(got.length, BACKLOG_LIMIT);
  assert.equal(got[0], 3);
});
