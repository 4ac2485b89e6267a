/**
 * The subtask's loop, driven in this thread through the harness (test-support/): real rings,
 * real keyed state, the real control plane; the test is upstream and downstream, and owns the
 * clock. What the issue asks of the mailbox: mails between slices, barrier routing, blocked
 * output with priority barriers, end of data, restore replay.
 */
import { test } from 'node:test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readChannelStateFile, writeChannelStateFile } from '../checkpoint/channel-state-file.ts';
import { decodeBatch, encodeBatch } from '../io/record-codec.ts';
import { RECORD_BATCH_KIND } from '../io/stream-elements.ts';
import assert from 'node:assert/strict';
import { StreamTaskTestHarness, barrierOf, type OutputItem } from './test-support/stream-task-test-harness.ts';
import { asyncPollJob, pollHook, processingTimerJob, slowAsyncIterableJob, relayJob, sourceJob } from './test-support/harness-jobs.ts';
import type { SubtaskRestore } from '../recovery/restore-planner.ts';
import type { ChannelStateHandle } from './subtask-checkpointer.ts';

const channelState = (h: StreamTaskTestHarness, i = 0) => h.acks()[i]!.ack.channelStateHandles as ChannelStateHandle | null;

const kinds = (items: OutputItem[]) => items.map((o) => (o.type === 'record' ? o.value : `${o.priority ? '!' : ''}${o.element.type}${'barrier' in o.element ? `#${o.element.barrier.checkpointId}` : ''}`));

async function relay(opts: { sources?: number; downstream?: number; slowValue?: number; slowMs?: number; checkpointing?: boolean; bufferBytes?: number; outputBufferBytes?: number; restore?: SubtaskRestore; batching?: { maxBatchRecords?: number; maxPendingBytes?: number; bufferTimeoutMs?: number } } = {}) {
  return StreamTaskTestHarness.open({
    job: relayJob,
    params: { sources: opts.sources ?? 2, downstream: opts.downstream ?? 1, ...(opts.slowValue !== undefined ? { slowValue: opts.slowValue, slowMs: opts.slowMs ?? 5 } : {}) },
    vertex: 1,
    ...(opts.checkpointing === false ? {} : { checkpointing: {} }),
    ...(opts.bufferBytes ? { bufferBytes: opts.bufferBytes } : {}),
    ...(opts.outputBufferBytes ? { outputBufferBytes: opts.outputBufferBytes } : {}),
    ...(opts.restore ? { restore: opts.restore } : {}),
    batching: { maxBatchRecords: 1, ...opts.batching },
  });
}

test('a mail submitted while a frame is processed runs between two of its slices, not after the frame', async () => {
  const h = await relay({ slowValue: 1, slowMs: 5, checkpointing: false });
  try {
    // The frame and the mail wait before the loop starts: its first item is the frame, whose
    // first record takes 5 ms (more than a slice).
    await h.records(0, [1, 2, 3, 4, 5, 6, 7, 8]);
    const seen = h.task.mailbox.submit('probe', () => h.task.recordsIn);
    h.start();
    const recordsWhenMailRan = await seen;
    assert.ok(recordsWhenMailRan >= 1 && recordsWhenMailRan < 8, `the mail ran after ${recordsWhenMailRan} of 8 records`);
    await h.waitUntil(() => h.task.recordsIn === 8, 'all 8 records');
    await h.waitUntil(() => h.outputRecords().length === 8, '8 records out');
    assert.deepEqual(h.outputRecords(), [10, 20, 30, 40, 50, 60, 70, 80]);
  } finally {
    await h.close();
  }
});

test('aligned barriers: the first blocks its channel, the last triggers; records after a barrier follow the forwarded barrier', async () => {
  const h = await relay();
  try {
    h.start();
    await h.records(0, [1]);
    await h.barrier(0, 1);
    await h.records(0, [2]); // after the barrier on channel 0: held back until alignment ends
    await h.records(1, [3]);
    await h.waitUntil(() => h.outputRecords().includes(30), 'the record of channel 1');
    assert.ok(!h.outputRecords().includes(20), 'channel 0 is blocked after its barrier');
    await h.barrier(1, 1);
    await h.waitUntil(() => h.acks().length === 1, 'the ack of checkpoint 1');
    await h.waitUntil(() => h.outputRecords().includes(20), 'the held-back record');
    assert.deepEqual(kinds(h.output()), [10, 30, 'barrier#1', 20]);
    const ack = h.acks()[0]!;
    assert.equal(ack.checkpointId, 1);
    assert.equal(ack.ack.channelStateHandles, null, 'aligned: no in-flight data persisted');
  } finally {
    await h.close();
  }
});

test('an unaligned barrier overtakes queued input: the overtaken frames are the checkpoint\'s input channel state', async () => {
  const h = await relay();
  try {
    // Queue three frames before the task runs, then an unaligned barrier positioned after them.
    await h.records(0, [1]);
    await h.records(0, [2]);
    await h.records(0, [3]);
    await h.priority(0, { type: 'priority-barrier', barrier: barrierOf(7, { alignment: 'unaligned', position: h.published(0) }) });
    await h.priority(1, { type: 'priority-barrier', barrier: barrierOf(7, { alignment: 'unaligned', position: h.published(1) }) });
    h.start();
    await h.waitUntil(() => h.acks().length === 1, 'the ack of checkpoint 7');
    const ack = h.acks()[0]!.ack;
    assert.equal(ack.metrics.unaligned, true);
    assert.equal(channelState(h)?.inputFrames, 3, 'the three overtaken frames are persisted');
    assert.ok(ack.metrics.persistedInFlightBytes > 0);
    await h.waitUntil(() => h.outputRecords().length === 3, 'the three records, processed after the snapshot');
    // The forwarded barrier went out on the priority lane, ahead of the records.
    assert.deepEqual(kinds(h.output()).slice(0, 1), ['!priority-barrier#7']);
    assert.deepEqual(h.outputRecords(), [10, 20, 30]);
  } finally {
    await h.close();
  }
});

test('output blocked on a full ring: an unaligned barrier and a control call are still handled; unsent output becomes output channel state', async () => {
  const h = await relay({ outputBufferBytes: 256, batching: { maxBatchRecords: 1 } });
  try {
    h.start();
    // Nobody reads the output: after a few frames the ring is full and the task waits in drain.
    for (let i = 0; i < 40; i++) await h.records(0, [i]);
    await h.waitUntil(() => h.task.backPressured, 'the output to block');
    const complete = h.control.notifyCheckpointComplete(0); // a mail: runs while the output waits
    await complete;
    await h.priority(0, { type: 'priority-barrier', barrier: barrierOf(3, { alignment: 'unaligned', position: h.published(0) }) });
    await h.priority(1, { type: 'priority-barrier', barrier: barrierOf(3, { alignment: 'unaligned', position: h.published(1) }) });
    await h.waitUntil(() => h.acks().length === 1, 'the ack of checkpoint 3 while the output is blocked');
    const ack = h.acks()[0]!.ack;
    assert.ok((channelState(h)?.outputFrames ?? 0) > 0, 'frames not yet on the ring are persisted as output channel state');
    // Only now does the downstream read: everything arrives, each record once, barrier first on the priority lane.
    await h.waitUntil(() => h.outputRecords().length === 40, 'all 40 records');
    assert.deepEqual(h.outputRecords(), Array.from({ length: 40 }, (_, i) => i * 10));
    assert.ok(h.output().some((o) => o.type === 'element' && o.priority && o.element.type === 'priority-barrier'));
  } finally {
    await h.close();
  }
});

test('output blocked on one channel: the partial batches of the other channels are published before the task waits', async () => {
  // Two downstream channels (rebalance: records alternate, the first to channel 0); batches of up
  // to 10 records; nobody reads channel 0, so its ring fills and its queue passes the budget in the
  // middle of an input frame — the task stops taking input with more of it waiting (no idle flush).
  const h = await relay({ downstream: 2, checkpointing: false, outputBufferBytes: 256, batching: { maxBatchRecords: 10, maxPendingBytes: 64 } });
  try {
    h.start();
    const input = Array.from({ length: 400 }, (_, i) => i);
    await h.records(0, input);
    await h.waitUntil(() => h.task.backPressured, 'the output to block');
    const taken = h.task.recordsIn;
    assert.ok(taken < input.length, `the task stopped taking input (${taken} of ${input.length} records taken)`);
    // Channel 1 gets every record routed to it so far, not only its full batches of 10.
    const toChannel1 = input.slice(0, taken).filter((_, i) => i % 2 === 1).map((x) => x * 10);
    await h.waitUntil(() => h.channelRecords(0, 1).length >= toChannel1.length, `the ${toChannel1.length} records routed to channel 1`);
    assert.deepEqual(h.channelRecords(0, 1).slice(0, toChannel1.length), toChannel1);
    // Once channel 0 is read too, everything arrives, each record once.
    await h.waitUntil(() => h.outputRecords().length === input.length, 'all records');
    assert.deepEqual(h.outputRecords().map(Number).sort((a, b) => a - b), input.map((x) => x * 10));
  } finally {
    await h.close();
  }
});

test('a busy subtask publishes its partial batches on the buffer timeout, not only when its input idles', async () => {
  // 40 records of 5 ms each, all queued before the task starts: it stays busy for ~200 ms. Batches
  // of up to 1000 records would not fill; with bufferTimeoutMs 0 every chance to flush is taken.
  const h = await relay({ slowValue: 7, slowMs: 5, checkpointing: false, batching: { maxBatchRecords: 1000, bufferTimeoutMs: 0 } });
  try {
    await h.records(0, Array.from({ length: 40 }, () => 7));
    h.start();
    let takenWhenFirstOut = -1;
    await h.waitUntil(() => {
      if (h.outputRecords().length > 0) takenWhenFirstOut = h.task.recordsIn;
      return takenWhenFirstOut >= 0;
    }, 'the first record out');
    assert.ok(takenWhenFirstOut < 40, `output was published while input remained (${takenWhenFirstOut} of 40 records taken)`);
    await h.waitUntil(() => h.outputRecords().length === 40, 'all 40 records');
  } finally {
    await h.close();
  }
});

test('input channels take turns by bytes: a channel of one-record frames is not held to one record per turn of a busy channel', async () => {
  // Channel 0: three frames of ~36 KiB (more than a turn's 32 KiB each); channel 1: twenty
  // one-record frames, as a low-rate producer that idles between records publishes them. All are
  // queued before the task starts. One frame per turn took channel 1's records one per channel-0
  // frame; now a turn of channel 1 delivers all twenty, right after channel 0's first frame.
  const h = await relay({ checkpointing: false, bufferBytes: 512 * 1024, batching: { maxBatchRecords: 100_000 } });
  try {
    const big = (f: number) => Array.from({ length: 9000 }, (_, i) => 1_000_000 * (f + 1) + i);
    for (let f = 0; f < 3; f++) await h.records(0, big(f));
    for (let i = 0; i < 20; i++) await h.records(1, [i]);
    h.start();
    await h.waitUntil(() => h.outputRecords().length === 3 * 9000 + 20, 'every record');
    const out = h.outputRecords() as number[];
    const small = Array.from({ length: 20 }, (_, i) => i * 10);
    assert.deepEqual(out.slice(0, 9000), big(0).map((x) => x * 10), 'channel 0 first: its first frame');
    assert.deepEqual(out.slice(9000, 9020), small, 'then all of channel 1 in one turn');
    assert.deepEqual(out.slice(9020), [...big(1), ...big(2)].map((x) => x * 10));
  } finally {
    await h.close();
  }
});

test('without checkpoints, a mail still runs while the output waits on a full ring', async () => {
  const h = await relay({ checkpointing: false, outputBufferBytes: 256 });
  try {
    h.start();
    for (let i = 0; i < 40; i++) await h.records(0, [i]);
    await h.waitUntil(() => h.task.backPressured, 'the output to block');
    assert.equal(await h.task.mailbox.submit('probe', () => h.task.backPressured), true, 'the mail ran during the wait');
    await h.waitUntil(() => h.outputRecords().length === 40, 'all 40 records once the downstream reads');
  } finally {
    await h.close();
  }
});

test('the watermark is the minimum over channels that still carry data; end of input ends the partition', async () => {
  const h = await relay({ checkpointing: false });
  try {
    h.start();
    await h.watermark(0, 5);
    await h.watermark(1, 3);
    await h.waitUntil(() => kinds(h.output()).includes('watermark'), 'the first watermark');
    await h.element(1, { type: 'end-of-data' });
    await h.records(0, [4]);
    await h.element(0, { type: 'end-of-data' });
    await h.element(0, { type: 'end-of-partition' });
    await h.element(1, { type: 'end-of-partition' });
    await h.finished();
    const wms = h.output().flatMap((o) => (o.type === 'element' && o.element.type === 'watermark' ? [o.element.timestamp] : []));
    assert.deepEqual(wms, [3, 5], 'min(5, 3), then 5 once channel 1 ended its data');
    // Channels are read round-robin: the record of channel 0 and the end of channel 1's data may come in either order.
    assert.deepEqual(kinds(h.output()).slice(-2), ['end-of-data', 'end-of-partition']);
    assert.deepEqual(h.outputRecords(), [40]);
    assert.ok(h.messages.some((m) => m.type === 'subtask-finished'));
    await assert.rejects(h.control.notifyCheckpointComplete(1), { code: 'WEIR_TASK_ENDED' }, 'a control call after the end is refused, not lost silently');
  } finally {
    await h.close();
  }
});

test('processing-time timers are mails: they fire once the (manual) clock passed them, also while input keeps coming', async () => {
  const h = await StreamTaskTestHarness.open({ job: processingTimerJob, params: { delayMs: 100 }, vertex: 1, batching: { maxBatchRecords: 1 } });
  try {
    h.start();
    await h.records(0, ['a']);
    await h.waitUntil(() => h.collected().includes('got:a'), 'the record');
    assert.equal(h.task.timers.nextAt, 100, 'the timer the record registered is armed');
    h.scheduler.advance(99);
    await h.records(0, ['b']);
    await h.waitUntil(() => h.collected().includes('got:b'), 'the second record');
    assert.ok(!h.collected().some((r) => String(r).startsWith('fired')), 'not due yet');
    h.scheduler.advance(1);
    await h.task.mailbox.submit('probe', () => {});
    assert.ok(!h.collected().some((r) => String(r).startsWith('fired')), 'at 100 itself not yet: a timer fires once the clock passed it (Flink\'s +1 ms)');
    h.scheduler.advance(1);
    await h.waitUntil(() => h.collected().includes('fired:a@100'), 'the timer of a');
    h.scheduler.advance(100);
    await h.waitUntil(() => h.collected().includes('fired:b@199'), 'the timer of b');
    assert.deepEqual(h.collected(), ['got:a', 'got:b', 'fired:a@100', 'fired:b@199']);
  } finally {
    await h.close();
  }
});

test('a source: the trigger is a mail; the barrier follows the records read before it; endInput ends the partition', async () => {
  const h = await StreamTaskTestHarness.open({ job: sourceJob, params: { n: 50 }, vertex: 0, checkpointing: {} });
  try {
    h.start();
    await h.waitUntil(() => h.messages.some((m) => m.type === 'source-finished'), 'the end of the source data');
    await h.control.triggerCheckpoint(barrierOf(1));
    await h.waitUntil(() => h.acks().length === 1, 'the ack');
    const operatorState = (h.acks()[0]!.ack.stateHandles as { operator: Record<string, unknown> }).operator;
    assert.deepEqual(Object.values(operatorState), [50], 'the reader\'s position: every record read');
    await h.control.endInput();
    await h.finished();
    const k = kinds(h.output());
    assert.deepEqual(k.filter((x) => typeof x === 'number'), Array.from({ length: 50 }, (_, i) => i));
    assert.deepEqual(k.slice(-4), ['watermark', 'end-of-data', 'barrier#1', 'end-of-partition']);
    const notSource = await StreamTaskTestHarness.open({ job: sourceJob, params: { n: 1 }, vertex: 1 });
    await assert.rejects(notSource.control.triggerCheckpoint(barrierOf(1)), { code: 'WEIR_INVALID_ARGUMENT', message: /not a source/ });
    await notSource.close();
  } finally {
    await h.close();
  }
});

test('a source whose poll is asynchronous: a checkpoint that runs while a read settles stores the position before that read', async () => {
  // The trigger is submitted from inside a poll, so it waits in the mailbox while that read —
  // asynchronous — settles. The reader advances as its promise settles, the task learns of it
  // some microtasks later: a mail that runs in between must not store the advanced position, as
  // the records follow its barrier. Which poll length hits that window depends on the task's
  // await chain, so every length up to 16 microtasks is tried.
  for (const [atPosition, hops] of Array.from({ length: 17 }, (_, hops) => [hops % 3 === 0 ? 0 : 7, hops] as const)) {
    const h = await StreamTaskTestHarness.open({ job: asyncPollJob, params: { n: 20, hops }, vertex: 0, checkpointing: {}, initialSplits: [{ next: 0, end: 20 }] });
    pollHook.onPoll = (next) => {
      if (next === atPosition) void h.control.triggerCheckpoint(barrierOf(1));
    };
    try {
      h.start();
      await h.waitUntil(() => h.acks().length === 1, 'the ack of checkpoint 1');
      await h.waitUntil(() => h.messages.some((m) => m.type === 'source-finished'), 'the end of the source data');
      const position = ((h.acks()[0]!.ack.stateHandles as { operator: Record<string, { splits: CountSplit[] }> }).operator['async-poll']!.splits[0]!).next;
      const k = kinds(h.output());
      const before = k.slice(0, k.indexOf('barrier#1')).filter((x) => typeof x === 'number');
      assert.deepEqual(before, Array.from({ length: position }, (_, i) => i), `triggered in the poll at ${atPosition}, ${hops} microtasks: the checkpoint stores position ${position}, exactly the records before its barrier`);
      assert.deepEqual(k.filter((x) => typeof x === 'number'), Array.from({ length: 20 }, (_, i) => i));
    } finally {
      delete pollHook.onPoll;
      await h.close();
    }
  }
});

interface CountSplit { next: number; end: number }

test('restored at another parallelism: a checkpoint while the restored output is still blocked covers the re-routed input records', async () => {
  // The restored checkpoint (old parallelism 2) holds 3 in-flight input records for this subtask
  // and 300 unsent output records; the output ring is tiny and nobody reads it, so the replay
  // blocks on its output. An unaligned barrier arrives meanwhile: the checkpoint must hold the
  // input records, processed (in its output channel state) or not (in its input channel state).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-reroute-'));
  const file = path.join(dir, 'old.channel');
  const { sha256 } = await writeChannelStateFile(file, {
    input: [{ channel: 0, edge: 0, frames: [{ index: 7, kind: RECORD_BATCH_KIND, payload: encodeBatch([1, 2, 3], null) }] }],
    output: [{ edge: 0, target: 0, frames: [{ kind: RECORD_BATCH_KIND, payload: encodeBatch(Array.from({ length: 300 }, (_, i) => 1000 + i), null) }] }],
  });
  const restore: SubtaskRestore = {
    checkpointId: 2, kind: 'checkpoint', rootDir: dir, keyed: [], operator: {}, keyedInputs: [], oldParallelism: 2, outputsOldParallelism: [1],
    channelState: [{ file: 'old.channel', sha256, oldSubtask: 0, input: 'reroute', output: 'reroute' }],
  };
  const h = await relay({ restore, outputBufferBytes: 256 });
  try {
    h.start();
    await h.waitUntil(() => h.task.backPressured, 'the replay blocked on its output');
    for (const ch of [0, 1]) await h.priority(ch, { type: 'priority-barrier', barrier: barrierOf(3, { alignment: 'unaligned', position: h.published(ch) }) });
    await h.waitUntil(() => h.acks().length === 1, 'the ack of checkpoint 3');
    const handle = channelState(h)!;
    const contents = await readChannelStateFile(path.join(h.directory, 'checkpoints', ...handle.file.split('/')));
    const records = (frames: readonly { kind: number; payload: Uint8Array }[]) => frames.filter((f) => f.kind === RECORD_BATCH_KIND).flatMap((f) => decodeBatch(f.payload).records as number[]);
    const inputState = contents.input.flatMap((i) => records(i.frames));
    const outputState = contents.output.flatMap((o) => records(o.frames));
    const covered = [1, 2, 3].filter((x) => inputState.includes(x) || outputState.includes(x * 10));
    assert.deepEqual(covered, [1, 2, 3], `input state ${JSON.stringify(inputState)}, output state has ${outputState.length} records`);
  } finally {
    await h.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an async iterable source restored at offset k: a checkpoint while it skips to k stores k, and only items k … follow', async () => {
  const restore: SubtaskRestore = {
    checkpointId: 3, kind: 'checkpoint', rootDir: '/nonexistent', keyed: [], operator: { items: [40] }, keyedInputs: [], oldParallelism: 1, outputsOldParallelism: [1], channelState: [],
  };
  const h = await StreamTaskTestHarness.open({ job: slowAsyncIterableJob, params: { n: 50 }, vertex: 0, checkpointing: {}, restore });
  try {
    void h.control.triggerCheckpoint(barrierOf(4)); // runs during the first read, which skips 40 items one macrotask each
    h.start();
    await h.waitUntil(() => h.acks().length === 1, 'the ack of checkpoint 4');
    await h.waitUntil(() => h.messages.some((m) => m.type === 'source-finished'), 'the end of the source data');
    const offset = (h.acks()[0]!.ack.stateHandles as { operator: Record<string, unknown> }).operator['items'];
    const k = kinds(h.output());
    const before = k.slice(0, k.indexOf('barrier#4')).filter((x) => typeof x === 'number');
    assert.equal(offset, 40 + before.length, 'the offset counts the skipped items and the ones before the barrier');
    assert.deepEqual(k.filter((x) => typeof x === 'number'), Array.from({ length: 10 }, (_, i) => 40 + i));
  } finally {
    await h.close();
  }
});

test('restore: the persisted in-flight input is replayed before any new input', async () => {
  // Take an unaligned checkpoint that persists two overtaken frames …
  const first = await relay();
  let restore: SubtaskRestore;
  try {
    await first.records(0, [1]);
    await first.records(0, [2]);
    await first.priority(0, { type: 'priority-barrier', barrier: barrierOf(4, { alignment: 'unaligned', position: first.published(0) }) });
    await first.priority(1, { type: 'priority-barrier', barrier: barrierOf(4, { alignment: 'unaligned', position: first.published(1) }) });
    first.start();
    await first.waitUntil(() => first.acks().length === 1, 'the ack of checkpoint 4');
    const handles = channelState(first)!;
    const file = first.acks()[0]!.ack.files.find((f) => f.path === handles.file)!;
    restore = {
      checkpointId: 4, kind: 'checkpoint', rootDir: `${first.directory}/checkpoints`, keyed: [], operator: {}, keyedInputs: [], oldParallelism: 1, outputsOldParallelism: [1],
      channelState: [{ file: handles.file, sha256: file.sha256, oldSubtask: 0, input: 'same', output: 'same' }],
    };
    // … then restore a fresh subtask from it, with new input already queued.
    const second = await relay({ restore });
    try {
      await second.records(1, [9]);
      second.start();
      await second.waitUntil(() => second.outputRecords().length === 3, 'the replayed and the new records');
      assert.deepEqual(second.outputRecords(), [10, 20, 90]);
    } finally {
      await second.close();
    }
  } finally {
    await first.close();
  }
});
