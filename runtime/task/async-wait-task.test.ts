/**
 * The async I/O operator in a real subtask driven through the harness (test-support/), with the
 * requests completed by the test: ordered output follows input order whatever the completion
 * order; unordered output follows completion order but never crosses a watermark; at capacity the
 * subtask takes no more input until a request completes (an aligned barrier behind that input
 * waits for a free slot, as in Flink); a checkpoint stores exactly the queued inputs and a restored subtask re-issues
 * exactly those; timeouts call the hook or fail with WEIR_ASYNC_TIMEOUT (manual clock, no waiting).
 */
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { StreamTaskTestHarness } from './test-support/stream-task-test-harness.ts';
import { asyncHarnessJob, requests, type AsyncHarnessParams } from './test-support/async-harness-jobs.ts';
import type { SubtaskRestore } from '../recovery/restore-planner.ts';

const open = (p: Partial<AsyncHarnessParams>, extra: { restore?: SubtaskRestore } = {}) => StreamTaskTestHarness.open({
  job: asyncHarnessJob, params: { ordered: true, capacity: 100, timeoutMs: Infinity, withTimeoutHook: false, ...p }, vertex: 1, checkpointing: {}, batching: { maxBatchRecords: 1 }, ...extra,
});
const complete = (input: number) => {
  const r = requests.find((x) => x.input === input);
  assert.ok(r, `a request for ${input} was issued`);
  r.future.complete([`r${input}`]);
};

beforeEach(() => void requests.splice(0));

test('ordered: results in input order whatever the completion order; the watermark after them', async () => {
  const h = await open({ ordered: true });
  try {
    h.start();
    await h.records(0, [1, 2, 3], [10, 20, 30]);
    await h.watermark(0, 30);
    await h.waitUntil(() => requests.length === 3, 'three requests');
    complete(3);
    complete(2);
    await h.task.mailbox.submit('probe', () => {});
    assert.deepEqual(h.collected(), [], 'nothing before the first input completes');
    complete(1);
    await h.waitUntil(() => h.collected().length === 3, 'three results');
    assert.deepEqual(h.collected(), ['r1', 'r2', 'r3']);
    await h.endInput();
    await h.finished();
  } finally {
    await h.close();
  }
});

test('unordered: results as they complete, but not across a watermark', async () => {
  const h = await open({ ordered: false });
  try {
    h.start();
    await h.records(0, [1, 2], [10, 20]);
    await h.watermark(0, 20);
    await h.records(0, [3], [30]);
    await h.waitUntil(() => requests.length === 3, 'three requests');
    complete(3); // after the watermark: waits for 1 and 2
    complete(2);
    await h.waitUntil(() => h.collected().length === 1, 'the first result');
    assert.deepEqual(h.collected(), ['r2']);
    complete(1);
    await h.waitUntil(() => h.collected().length === 3, 'all results');
    assert.deepEqual(h.collected(), ['r2', 'r1', 'r3'], 'r3 only after the watermark, which waited for r1');
    await h.endInput();
    await h.finished();
  } finally {
    await h.close();
  }
});

test('at capacity no more input is taken until a request completes; an aligned checkpoint meanwhile stores exactly the queued inputs, and a restored subtask re-issues exactly those', async () => {
  const h = await open({ ordered: true, capacity: 3 });
  let restore: SubtaskRestore;
  try {
    h.start();
    await h.records(0, [1, 2, 3, 4, 5], [1, 2, 3, 4, 5]);
    await h.waitUntil(() => requests.length === 3, 'three requests (the capacity)');
    await h.task.mailbox.submit('probe', () => {});
    assert.equal(requests.length, 3, 'the fourth input is not taken while three are queued');
    assert.equal(h.task.recordsIn, 3);
    complete(1);
    await h.waitUntil(() => requests.length === 4, 'a slot freed: the fourth request');
    assert.deepEqual(h.collected(), ['r1']);
    await h.barrier(0, 1); // behind input 5, which waits for a slot: the (aligned) barrier waits with it
    complete(2);
    await h.waitUntil(() => requests.length === 5, 'input 5 taken once 2 completed');
    await h.task.mailbox.submit('probe', () => {});
    assert.equal(h.acks().length, 0, 'the queue is full again: the barrier behind input 5 is not read yet');
    complete(3);
    await h.waitUntil(() => h.acks().length === 1, 'the checkpoint, once a slot freed and the barrier got in');
    const state = (h.acks()[0]!.ack.stateHandles as { operator: Record<string, unknown> }).operator['async'] as { asyncWait: unknown[] };
    assert.deepEqual(state.asyncWait, [{ r: 4, t: 4 }, { r: 5, t: 5 }], 'the queued inputs with their timestamps, in order');
    restore = { checkpointId: 1, kind: 'checkpoint', rootDir: `${h.directory}/checkpoints`, keyed: [], operator: { async: [state] }, channelState: [], keyedInputs: [], oldParallelism: 1, outputsOldParallelism: [] };
  } finally {
    await h.close();
  }
  requests.splice(0);
  const restored = await open({ ordered: true, capacity: 3 }, { restore });
  try {
    restored.start();
    await restored.waitUntil(() => requests.length === 2, 'the restored requests');
    assert.deepEqual(requests.map((r) => r.input), [4, 5], 'exactly the requests queued at the checkpoint, re-issued in order');
    for (const i of [5, 4]) complete(i);
    await restored.waitUntil(() => restored.collected().length === 2, 'their results');
    assert.deepEqual(restored.collected(), ['r4', 'r5']);
    await restored.endInput();
    await restored.finished();
  } finally {
    await restored.close();
  }
});

test('a timeout calls the hook (its result is emitted, the late completion ignored); without a hook the subtask fails with WEIR_ASYNC_TIMEOUT', async () => {
  const h = await open({ ordered: true, timeoutMs: 50, withTimeoutHook: true });
  try {
    h.start();
    await h.records(0, [1, 2]);
    await h.waitUntil(() => requests.length === 2, 'two requests');
    complete(2);
    await h.scheduler.advance(51); // the timeout fires once the clock passed it
    await h.waitUntil(() => h.collected().length === 2, 'the timeout result and r2');
    complete(1); // too late
    await h.task.mailbox.submit('probe', () => {});
    assert.deepEqual(h.collected(), ['timeout:1', 'r2']);
    await h.endInput();
    await h.finished();
  } finally {
    await h.close();
  }
  requests.splice(0);
  const failing = await open({ ordered: true, timeoutMs: 50, withTimeoutHook: false });
  try {
    failing.start();
    await failing.records(0, [7]);
    await failing.waitUntil(() => requests.length === 1, 'a request');
    await failing.scheduler.advance(51);
    await failing.waitUntil(() => failing.outcome !== undefined, 'the subtask to fail');
    const error = failing.outcome!.error as { code?: string; message?: string };
    assert.equal(error.code, 'WEIR_ASYNC_TIMEOUT', String(error.message));
    assert.match(error.message!, /did not complete within 50 ms for input 7/);
  } finally {
    await failing.close();
  }
});
