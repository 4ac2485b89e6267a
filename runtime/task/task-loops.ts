/**
 * The two main loops of a subtask. Both process as much as is available
 * without awaiting, flush partial batches when they go idle (low latency when
 * traffic is light, full batches under load), await full rings (backpressure),
 * and yield to the event loop every few milliseconds.
 */
import { decodeElement, RECORD_BATCH_KIND } from '../io/stream-elements.ts';
import type { SourceBatch } from '../operators/sources/source-reader.ts';
import type { StreamTask } from './stream-task.ts';
import type { InputEvent } from './input-gate.ts';
import { replayOutput } from './task-restore.ts';
import { processFrame, type ReplayFrame } from './frame-processor.ts';
import { sendToMaster } from './task-protocol.ts';

const SOURCE_BATCH = 256;

export async function runSourceLoop(task: StreamTask): Promise<void> {
  const head = task.vertex.operators[0]!;
  if (head.spec.kind !== 'source') throw new Error('not a source vertex');
  const reader = task.sourceReader!;
  if (task.restoredInFlight) {
    replayOutput(task, task.restoredInFlight);
    task.restoredInFlight = undefined;
    await task.drain();
  }
  const input = task.chain.input;
  const budget = task.outputs.budget;
  // Records per read: starts at 1 and doubles up to SOURCE_BATCH; halves when a batch had to
  // pause for output to drain (its barriers wait meanwhile, so keep such batches short).
  let want = 1;
  try {
    while (!task.stopping) {
      let batch: SourceBatch | Promise<SourceBatch> = reader.read(want);
      if (batch instanceof Promise) {
        // The source must wait: publish what we have first (latency), then wait.
        await task.flushOutputs();
        batch = await batch;
      }
      const records = batch.records;
      let paused = false;
      for (let i = 0; i < records.length && !task.stopping;) {
        input.collect(records[i++], undefined);
        task.recordsIn++;
        if (budget.exceeded && i < records.length) {
          // Bounded in-flight data (record-writer.ts): wait for the output before the next record.
          paused = true;
          task.setSourceBatchOpen(true);
          await task.drain();
        }
      }
      if (paused) task.setSourceBatchOpen(false);
      want = paused ? Math.max(1, want >> 1) : Math.min(SOURCE_BATCH, want * 2);
      await task.drain();
      if (batch.done) break;
      await task.maybeYield();
    }
    if (!task.stopping) await task.endOfData();
    if (!task.stopping && task.checkpointer) {
      // Checkpointing: stay alive so the final checkpoint passes through behind end-of-data;
      // the job master calls endInput() once it completed (see job-checkpointing.ts).
      sendToMaster(task.ctx, { type: 'source-finished', subtask: { vertexId: task.vertex.id, subtask: task.args.subtask } });
      await task.idleUntilEndInput();
    }
    if (!task.stopping) await task.endPartitions();
  } finally {
    await reader.close?.();
  }
}

export async function runInputLoop(task: StreamTask): Promise<void> {
  const gate = task.gate!;
  const watermarks = new Float64Array(gate.channelCount).fill(-Infinity);
  const inflight = task.restoredInFlight;
  if (inflight) {
    // Recovery: unsent output first, then the input the checkpoint's barrier had overtaken.
    task.restoredInFlight = undefined;
    replayOutput(task, inflight);
    // Frames wait in replayQueue until replayed: a checkpoint triggered meanwhile persists them.
    const queue: ReplayFrame[] = (task.replayQueue = [...inflight.inputFrames]);
    await task.drain();
    for (let f = queue.shift(); f && !task.stopping; f = queue.shift()) {
      await replayFrame(task, f.channel, f.kind, f.payload, watermarks);
      await task.drain();
    }
    task.replayQueue = undefined;
    const input = task.chain.input;
    const process = () => { for (const r of inflight.inputRecords) input.collect(r.record, r.ts); };
    if (task.keyedState) task.keyedState.batch(process);
    else process();
    task.recordsIn += inflight.inputRecords.length;
    await task.drain();
  }
  while (!task.stopping) {
    const ev = gate.poll();
    if (ev) {
      const processing = handleEvent(task, ev, watermarks);
      if (processing) await processing;
      await task.drain();
      if (gate.allDataEnded && !task.dataEnded) await task.endOfData();
      if (gate.allEnded) break;
      await task.maybeYield();
      continue;
    }
    // Idle: publish partial batches, fire due processing-time timers, sleep.
    await task.flushOutputs();
    const nextTimerMs = task.fireProcessingTime();
    await task.drain();
    if (task.stopping) break;
    await gate.waitForInput(nextTimerMs === undefined ? undefined : Math.max(1, nextTimerMs));
  }
  if (!task.stopping && gate.allEnded) await task.endPartitions();
}

/** A restored in-flight frame: record batches and watermarks are processed, old control elements ignored. */
async function replayFrame(task: StreamTask, channel: number, kind: number, payload: Uint8Array, watermarks: Float64Array): Promise<void> {
  if (kind === RECORD_BATCH_KIND) {
    await processFrame(task, channel, -1, payload);
    return;
  }
  const el = decodeElement(kind, payload);
  if (el.type === 'watermark') {
    watermarks[channel] = Math.max(watermarks[channel]!, el.timestamp);
    advanceWatermark(task, watermarks);
  }
}

/** One input event; a record batch returns the promise of its (sliced) processing. */
function handleEvent(task: StreamTask, ev: InputEvent, watermarks: Float64Array): Promise<void> | undefined {
  task.framesIn++;
  if (!ev.priority) task.checkpointer?.onDataFrame(ev.channel, ev.index, ev.kind, ev.payload);
  if (ev.kind === RECORD_BATCH_KIND) return processFrame(task, ev.channel, ev.index, ev.payload);
  const el = decodeElement(ev.kind, ev.payload);
  switch (el.type) {
    case 'watermark': {
      watermarks[ev.channel] = Math.max(watermarks[ev.channel]!, el.timestamp);
      advanceWatermark(task, watermarks);
      return undefined;
    }
    case 'end-of-data': {
      // No more records or watermarks on this channel: it no longer holds the watermark back.
      task.gate!.markDataEnded(ev.channel);
      if (!task.gate!.allDataEnded) advanceWatermark(task, watermarks);
      return undefined;
    }
    case 'end-of-partition': {
      task.checkpointer?.handler?.onEndOfPartition(ev.channel, ev.index);
      const wasDataEnded = task.gate!.dataEnded[ev.channel];
      task.gate!.markEnded(ev.channel);
      if (!wasDataEnded && !task.gate!.allDataEnded) advanceWatermark(task, watermarks);
      return undefined;
    }
    default:
      // Barriers, announcements and cancel markers: the barrier handler decides.
      task.handleControlEvent(ev, el);
      return undefined;
  }
}

function advanceWatermark(task: StreamTask, watermarks: Float64Array): void {
  // The subtask's watermark is the minimum over its input channels that have not ended.
  let min = Infinity;
  let open = 0;
  const ended = task.gate!.dataEnded;
  for (let i = 0; i < watermarks.length; i++) {
    if (ended[i]) continue;
    open++;
    if (watermarks[i]! < min) min = watermarks[i]!;
  }
  if (open > 0) task.advanceWatermark(min);
}
