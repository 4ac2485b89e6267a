/**
 * The exactly-once file sink in real jobs (worker threads, checkpoints every
 * 20 ms, heap state): after `done` the committed files hold exactly the input
 * records, and no in-progress or pending file remains — with checkpointing
 * (aligned and unaligned, parallelism 1 and 3) and without it.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { committedFiles, fileSinkJob, hiddenFiles, readCommitted, sinkRecord, type FileSinkJobParams } from './support/sink-jobs.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-eofs-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

const N = 6000;

interface Run {
  parallelism: number;
  format: 'jsonl' | 'csv';
  checkpointing: false | { unaligned?: boolean };
  rebalance: boolean;
  /** Work per record before the sink: enough for the job to span several checkpoints where it matters. */
  spinMicros: number;
}

async function run(r: Run, name: string) {
  const dir = path.join(root, name);
  const out = path.join(dir, 'out');
  const params: FileSinkJobParams = { n: N, directory: out, format: r.format, spinMicros: r.spinMicros, rebalance: r.rebalance };
  const result = await fileSinkJob.execute({
    params,
    parallelism: r.parallelism,
    stateBackend: 'heap',
    stateDirectory: path.join(dir, 'state'),
    ...(r.checkpointing ? { checkpointing: { intervalMs: 20, directory: path.join(dir, 'checkpoints'), ...r.checkpointing } } : {}),
  }).done;
  assert.equal(result.status, 'finished');
  const records = readCommitted(out, r.format).sort((a, b) => a.i - b.i);
  assert.equal(records.length, N, 'committed records');
  assert.deepEqual(records, Array.from({ length: N }, (_, i) => sinkRecord(i)), 'every record exactly once, intact');
  assert.deepEqual(hiddenFiles(out), [], 'no in-progress or pending file remains');
  const files = committedFiles(out);
  const subtasks = new Set(files.map((f) => /^part-files-(\d+)-0-[0-9a-f]{8}-\d{6}\.(jsonl|csv)$/.exec(f)![1]));
  assert.deepEqual([...subtasks].sort(), Array.from({ length: r.parallelism }, (_, i) => String(i)), 'every sink subtask committed files');
  return { result, files };
}

describe('exactly-once file sink in a running job', () => {
  test('JSONL, parallelism 1, aligned checkpoints: committed checkpoint by checkpoint', async () => {
    const { result, files } = await run({ parallelism: 1, format: 'jsonl', checkpointing: {}, rebalance: false, spinMicros: 40 }, 'jsonl-p1');
    const cp = result.checkpoints!;
    assert.ok(cp.counts.completed >= 2, `completed checkpoints: ${cp.counts.completed}`);
    // One file per completed checkpoint that covered records: several, not one at the end.
    assert.ok(files.length >= 2, `committed files: ${files.length}`);
  });

  test('CSV, parallelism 3 behind a rebalance, unaligned checkpoints', async () => {
    const { result } = await run({ parallelism: 3, format: 'csv', checkpointing: { unaligned: true }, rebalance: true, spinMicros: 10 }, 'csv-p3');
    assert.ok(result.checkpoints!.counts.completed >= 1);
  });

  test('JSONL, parallelism 3, aligned checkpoints', async () => {
    await run({ parallelism: 3, format: 'jsonl', checkpointing: {}, rebalance: true, spinMicros: 0 }, 'jsonl-p3');
  });

  test('without checkpointing everything is committed at the end: one file per subtask', async () => {
    const { result, files } = await run({ parallelism: 3, format: 'csv', checkpointing: false, rebalance: true, spinMicros: 0 }, 'csv-p3-nocp');
    assert.equal(result.checkpoints, undefined);
    assert.equal(files.length, 3);
  });
});
