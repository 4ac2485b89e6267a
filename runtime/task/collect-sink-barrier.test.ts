/**
 * The collect sink's barrier to the main thread. The main thread releases a checkpoint's collected
 * records when the checkpoint completes and, when an attempt ends, reads what the ring holds; frames
 * still queued in the worker die with the attempt. So a subtask with a collect sink may acknowledge
 * checkpoint n only once barrier n is published on that ring — otherwise a cancel (or failover)
 * right after n completed loses the records n covers, which a job restored from n never emits again
 * (seen as a loss in custom-source.test.ts 'rescaled 2 → 3', 1 run in ~20 under load).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamTaskTestHarness, barrierOf, type OutputItem } from './test-support/stream-task-test-harness.ts';
import { fanOutJob } from './test-support/harness-jobs.ts';

const isBarrier = (o: OutputItem, id: number) => o.type === 'element' && o.element.type === 'barrier' && o.element.barrier.checkpointId === id;

test('a collect sink acknowledges a checkpoint only once its barrier is on the ring to the main thread', async () => {
  // Vertex 1: flatMap (one record in, 200 out) → collect; 1 KiB rings, one record per frame.
  const h = await StreamTaskTestHarness.open({ job: fanOutJob, params: { fanOut: 200 }, vertex: 1, bufferBytes: 1024, checkpointing: {}, batching: { maxBatchRecords: 1 } });
  try {
    h.start();
    const collect = h.task.outputs.collect!;
    // Nobody reads the collect ring: ~30 frames fill it, the other ~170 of the record queue in the worker.
    await h.records(0, ['a']);
    await h.waitUntil(() => h.task.recordsIn === 1, 'the record processed');
    assert.ok(collect.unpublishedFrames(0).length >= 100, `frames queued behind the full collect ring: ${collect.unpublishedFrames(0).length}`);
    await h.priority(0, { type: 'priority-barrier', barrier: barrierOf(1, { alignment: 'unaligned', position: h.published(0) }) });
    // Read one frame per turn of the event loop until the ack comes: at that moment the barrier
    // must be published (already read, or on the ring now), not queued behind it.
    await h.waitUntil(() => {
      if (h.acks().length > 0) return true;
      h.collectOutput(1);
      return false;
    }, 'the ack of checkpoint 1');
    const out = h.collectOutput();
    const at = out.findIndex((o) => isBarrier(o, 1));
    assert.ok(at >= 0, `checkpoint 1 was acknowledged while its collect barrier was still queued in the worker (${collect.unpublishedFrames(0).length} frames unpublished)`);
    const before = out.slice(0, at).flatMap((o) => (o.type === 'record' ? [o.value] : []));
    assert.deepEqual(before, Array.from({ length: 200 }, (_, i) => `a:${i}`), 'the record\'s 200 outputs precede the barrier');
  } finally {
    await h.close();
  }
});
