/**
 * A two-input subtask driven in this thread through the harness (test-support/): records on the
 * channels of input 1 reach processElement1, those of input 2 processElement2 (input 1 being a
 * union of two upstreams); an aligned barrier on the channels of both inputs triggers one
 * snapshot; a keyed co-process shares keyed state and timers between its inputs; the interval
 * join drops late records and cleans its buffers by watermark.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MapStateDescriptor } from '../../state/index.ts';
import { StreamTaskTestHarness } from './test-support/stream-task-test-harness.ts';
import { coProcessHarnessJob, intervalJoinHarnessJob, keyedCoProcessHarnessJob, type HarnessEv } from './test-support/two-input-harness-jobs.ts';

test('two inputs: channels of input 1 reach processElement1, of input 2 processElement2; an aligned barrier on both inputs triggers one snapshot', async () => {
  const h = await StreamTaskTestHarness.open({ job: coProcessHarnessJob, params: undefined, vertex: 3, checkpointing: {}, batching: { maxBatchRecords: 1 } });
  try {
    assert.deepEqual(h.task.inputEdges, [0, 1, 2], 'three input edges: a1 and a2 (input 1), b (input 2)');
    h.start();
    await h.records(0, [1, 2]);
    await h.records(1, [3]);
    await h.records(2, ['x', 'y']);
    await h.waitUntil(() => h.collected().length === 5, 'the first five records');
    assert.deepEqual([...h.collected()].sort(), ['1:1', '1:2', '1:3', '2:x', '2:y']);

    await h.barrier(0, 1);
    await h.records(0, [4]); // after the barrier on channel 0: held back until the alignment ends
    await h.barrier(1, 1);
    await h.records(2, ['z']); // input 2 has no barrier yet: processed
    await h.waitUntil(() => h.collected().includes('2:z'), 'the record of input 2 before its barrier');
    assert.ok(!h.collected().includes('1:4'), 'input 1 is blocked after its barriers');
    assert.equal(h.acks().length, 0, 'no snapshot before the barrier of input 2');
    await h.barrier(2, 1);
    await h.waitUntil(() => h.acks().length === 1, 'the ack of checkpoint 1');
    await h.waitUntil(() => h.collected().includes('1:4'), 'the held-back record');
    assert.equal(h.acks()[0]!.checkpointId, 1);
    assert.equal(h.acks()[0]!.ack.channelStateHandles, null, 'aligned: no in-flight data persisted');
    await h.endInput();
    await h.finished();
    assert.equal(h.acks().length, 1, 'one snapshot for the barrier of both inputs');
  } finally {
    await h.close();
  }
});

test('interval join: pairs within the bounds, late records dropped, buffers and timers cleaned by the watermark', async () => {
  const h = await StreamTaskTestHarness.open({ job: intervalJoinHarnessJob, params: { lower: -1, upper: 2 }, vertex: 2, batching: { maxBatchRecords: 1 } });
  const ev = (id: string, key: string, t: number): HarnessEv => ({ id, key, t });
  const send = (ch: number, e: HarnessEv) => h.records(ch, [e], [e.t]);
  try {
    h.start();
    await send(0, ev('L1', 'a', 10));
    await send(1, ev('R1', 'a', 11)); // in [9, 12]: joined
    await send(1, ev('R2', 'a', 13)); // after 12: not joined with L1
    await send(1, ev('R3', 'b', 10)); // another key
    await h.waitUntil(() => h.task.recordsIn === 4, 'the first four records');
    const backend = h.task.keyedState!;
    assert.ok(backend.timers.size() > 0, 'cleanup timers are registered');
    await h.watermark(0, 20);
    await h.watermark(1, 20);
    await h.waitUntil(() => backend.timers.size() === 0, 'every cleanup timer to fire');
    for (const key of ['a', 'b']) {
      backend.setCurrentKey(key);
      assert.ok(backend.getState(new MapStateDescriptor<number, unknown[]>('interval-join-left')).isEmpty(), `left buffer of ${key} cleaned`);
      assert.ok(backend.getState(new MapStateDescriptor<number, unknown[]>('interval-join-right')).isEmpty(), `right buffer of ${key} cleaned`);
    }
    await send(0, ev('L2', 'a', 12)); // late (12 < 20): dropped, not buffered
    await send(0, ev('L3', 'a', 21));
    await send(1, ev('R4', 'a', 22));
    await h.waitUntil(() => h.collected().length === 2, 'the second pair');
    assert.equal(backend.timers.size(), 1, 'L3 and R4 share one cleanup time; the late L2 registered none');
    await h.endInput();
    await h.finished();
    assert.deepEqual(h.collected(), ['L1+R1@11', 'L3+R4@22']);
  } finally {
    await h.close();
  }
});

test('keyed co-process: both inputs share the key\'s state; a processing-time timer registered by input 1 fires once the clock passed it', async () => {
  const h = await StreamTaskTestHarness.open({ job: keyedCoProcessHarnessJob, params: { delayMs: 50 }, vertex: 2, stateBackend: 'lmdb', batching: { maxBatchRecords: 1 } });
  try {
    h.start();
    await h.records(1, [{ user: 'a' }]);
    await h.waitUntil(() => h.collected().length === 1, 'the first record of input 2');
    await h.records(0, [{ k: 'a', v: 'x' }, { k: 'b', v: 'y' }]);
    await h.waitUntil(() => h.collected().length === 3, 'the records of input 1');
    await h.records(1, [{ user: 'a' }, { user: 'b' }, { user: 'c' }]);
    await h.waitUntil(() => h.collected().length === 6, 'the second records of input 2');
    assert.equal(h.task.timers.nextAt, 50, 'the timers input 1 registered are armed');
    h.scheduler.advance(51); // once the clock passed 50
    await h.waitUntil(() => h.collected().length === 8, 'both timers');
    assert.deepEqual(h.collected().slice(0, 6), ['2:a sees nothing (key a)', '1:a=x', '1:b=y', '2:a sees x (key a)', '2:b sees y (key b)', '2:c sees nothing (key c)']);
    // Timers due at the same time fire in key-group order, not registration order.
    assert.deepEqual(h.collected().slice(6).sort(), ['fired:a@50:processing-time', 'fired:b@50:processing-time']);
  } finally {
    await h.close();
  }
});
