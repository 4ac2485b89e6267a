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
import { committedFiles, fileSinkJob, hiddenFiles, jsonlSinkJob, readCommitted, sinkRecord, type FileSinkJobParams, type SinkFault } from './support/sink-jobs.ts';
import { exactlyOnceFileSink, type FileTransaction, type TaskInfo, type TwoPhaseCommitSink, type WeirError } from '../index.ts';

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
  /** Failures to inject (fault kinds at record indices); the job restarts from the latest checkpoint. */
  faults?: Array<{ at: number; kind: SinkFault['kind'] }>;
}

async function run(r: Run, name: string) {
  const dir = path.join(root, name);
  const out = path.join(dir, 'out');
  fs.mkdirSync(dir, { recursive: true });
  const faults: SinkFault[] = (r.faults ?? []).map((f, k) => ({ ...f, marker: path.join(dir, `fault-${k}`) }));
  for (const f of faults) fs.writeFileSync(f.marker, '');
  const params: FileSinkJobParams = { n: N, directory: out, format: r.format, spinMicros: r.spinMicros, rebalance: r.rebalance, faults };
  const result = await fileSinkJob.execute({
    params,
    parallelism: r.parallelism,
    stateBackend: 'heap',
    stateDirectory: path.join(dir, 'state'),
    ...(r.checkpointing ? { checkpointing: { intervalMs: 20, directory: path.join(dir, 'checkpoints'), ...r.checkpointing } } : {}),
    ...(faults.length > 0 ? { restartStrategy: { type: 'fixed-delay' as const, attempts: 5, delayMs: 0 } } : {}),
  }).done;
  assert.equal(result.status, 'finished');
  assert.equal(result.failovers.length, faults.length, `one failover per injected fault: ${JSON.stringify(result.failovers.map((f) => f.cause))}`);
  const records = readCommitted(out, r.format).sort((a, b) => a.i - b.i);
  assert.equal(records.length, N, 'committed records');
  assert.deepEqual(records, Array.from({ length: N }, (_, i) => sinkRecord(i)), 'every record exactly once, intact');
  if (faults.length === 0) assert.deepEqual(hiddenFiles(out), [], 'no in-progress or pending file remains');
  // After failures, hidden leftovers of crashed attempts may remain (never committed); none of the last attempt.
  else assert.deepEqual(hiddenFiles(out).filter((f) => new RegExp(`^\\.part-files-\\d+-${faults.length}-`).test(f)), []);
  const files = committedFiles(out);
  const subtasks = new Set(files.map((f) => /^part-files-(\d+)-\d+-[0-9a-f]{8}-\d{6}\.(jsonl|csv)$/.exec(f)![1]));
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

  test('failover (a thrown error, then a worker exit), JSONL, parallelism 1: committed exactly once', async () => {
    const { result } = await run({ parallelism: 1, format: 'jsonl', checkpointing: {}, rebalance: false, spinMicros: 40, faults: [{ at: 2000, kind: 'throw' }, { at: 4500, kind: 'exit' }] }, 'failover-p1');
    assert.ok(result.failovers.every((f) => f.restoredCheckpointId !== null), 'every attempt restored a checkpoint');
  });

  test('failover, CSV, parallelism 3 behind a rebalance, unaligned checkpoints: committed exactly once', async () => {
    await run({ parallelism: 3, format: 'csv', checkpointing: { unaligned: true }, rebalance: true, spinMicros: 40, faults: [{ at: 1500, kind: 'exit' }, { at: 4000, kind: 'throw' }] }, 'failover-p3');
  });
});

describe('exactly-once file sink: a commit that fails after the last checkpoint', () => {
  // Only the final checkpoint (or the stop's savepoint) commits here: a failing commit used to be
  // reported at the next record or checkpoint — there is none — so the job finished (or stopped)
  // with that output never committed. Now it fails the attempt; the restore commits.
  const setup = (name: string) => {
    const dir = path.join(root, name);
    const out = path.join(dir, 'out');
    const marker = path.join(dir, 'commit-fails');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(marker, '');
    const params: FileSinkJobParams = { n: N, directory: out, format: 'jsonl', spinMicros: 0, rebalance: false, commitFailMarker: marker };
    const options = {
      params, parallelism: 2, stateBackend: 'heap' as const, stateDirectory: path.join(dir, 'state'),
      checkpointing: { intervalMs: 3_600_000, directory: path.join(dir, 'checkpoints') },
      restartStrategy: { type: 'fixed-delay' as const, attempts: 3, delayMs: 0 },
    };
    const committed = () => readCommitted(out, 'jsonl').sort((a, b) => a.i - b.i);
    return { marker, options, committed };
  };

  test('the final checkpoint\'s commit fails: the attempt fails over, the restore commits, every record exactly once', async () => {
    const { marker, options, committed } = setup('final-commit-fails');
    const result = await fileSinkJob.execute(options).done;
    assert.equal(fs.existsSync(marker), false, 'the fault fired');
    assert.equal(result.status, 'finished');
    assert.equal(result.failovers.length, 1, 'the failed commit failed the attempt');
    assert.equal(result.failovers[0]!.cause.code, 'WEIR_SINK_FAILED');
    assert.equal(result.failovers[0]!.cause.details?.step, 'commit', 'the cause keeps its details');
    assert.deepEqual(committed(), Array.from({ length: N }, (_, i) => sinkRecord(i)));
  });

  test('stop-with-savepoint whose commit fails rejects; the job fails over and goes on, every record exactly once', async () => {
    const { marker, options, committed } = setup('stop-commit-fails');
    const client = fileSinkJob.execute({ ...options, params: { ...options.params, spinMicros: 200 } });
    await client.running;
    await assert.rejects(client.stopWithSavepoint(path.join(root, 'stop-commit-fails', 'savepoints')), (e: WeirError) => e.code === 'WEIR_SINK_FAILED');
    assert.equal(fs.existsSync(marker), false, 'the fault fired');
    const result = await client.done;
    assert.equal(result.status, 'finished', 'not stopped: it failed over and ran to its end');
    assert.equal(result.failovers.length, 1);
    assert.deepEqual(committed(), Array.from({ length: N }, (_, i) => sinkRecord(i)));
  });
});

describe('writeJsonl: at-least-once across failovers and restores', () => {
  /** How many times each record appears in the part files. */
  const counts = (dir: string): Map<number, number> => {
    const m = new Map<number, number>();
    for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.jsonl'))) {
      for (const line of fs.readFileSync(path.join(dir, f), 'utf8').split('\n')) if (line) m.set(JSON.parse(line).i, (m.get(JSON.parse(line).i) ?? 0) + 1);
    }
    return m;
  };
  const everyRecordAtLeastOnce = (m: Map<number, number>, n: number) => {
    const missing = Array.from({ length: n }, (_, i) => i).filter((i) => !m.has(i));
    assert.deepEqual(missing.slice(0, 10), [], `${missing.length} records missing`);
    assert.equal(m.size, n);
  };

  test('failovers (a throw, a worker exit) lose nothing: what the failed attempts wrote stays, later records are written again', async () => {
    const dir = path.join(root, 'jsonl-failover');
    const out = path.join(dir, 'out');
    fs.mkdirSync(dir, { recursive: true });
    const faults: SinkFault[] = [{ at: 2000, kind: 'throw', marker: path.join(dir, 'f0') }, { at: 4500, kind: 'exit', marker: path.join(dir, 'f1') }];
    for (const f of faults) fs.writeFileSync(f.marker, '');
    const result = await jsonlSinkJob.execute({
      params: { n: N, directory: out, spinMicros: 40, faults }, parallelism: 1, stateBackend: 'heap', // one subtask: the faults fire in order, one failover each
      checkpointing: { intervalMs: 20, directory: path.join(dir, 'checkpoints') },
      restartStrategy: { type: 'fixed-delay', attempts: 5, delayMs: 0 },
    }).done;
    assert.equal(result.status, 'finished');
    assert.equal(result.failovers.length, 2);
    everyRecordAtLeastOnce(counts(out), N);
  });

  test('a fresh run truncates its part files; a run restored from a savepoint appends (nothing the first run wrote is lost)', async () => {
    const dir = path.join(root, 'jsonl-restore');
    const out = path.join(dir, 'out');
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, 'part-jsonl-0.jsonl'), '{"i":-1}\n'); // an earlier run's output: a fresh start replaces it
    const options = { parallelism: 2, stateBackend: 'heap' as const, checkpointing: { intervalMs: 3_600_000, directory: path.join(dir, 'checkpoints') } };
    const first = jsonlSinkJob.execute({ ...options, params: { n: N, directory: out, spinMicros: 300 } });
    await first.running;
    const savepoint = await first.stopWithSavepoint(path.join(dir, 'savepoints'));
    await first.done;
    const before = counts(out);
    assert.ok(before.size > 0 && before.size < N, `the first run wrote part of the input: ${before.size}`);
    assert.equal(before.has(-1), false, 'the fresh start truncated the earlier output');
    const second = await jsonlSinkJob.execute({ ...options, parallelism: 3, params: { n: N, directory: out, spinMicros: 0 }, restore: savepoint.directory }).done;
    assert.equal(second.status, 'finished');
    const after = counts(out);
    everyRecordAtLeastOnce(after, N);
    for (const [i, c] of before) assert.ok((after.get(i) ?? 0) >= c, `record ${i} written by the first run is still there`);
  });
});

describe('exactly-once file sink: leftovers of earlier instances', () => {
  const info = (subtask: number, attempt: number): TaskInfo => ({ operatorName: 'Files', uid: 'files', subtask, parallelism: 12, maxParallelism: 128, attempt });
  const preCommitted = (sink: TwoPhaseCommitSink<{ n: number }, FileTransaction>, n: number): FileTransaction => {
    const txn = sink.beginTransaction();
    sink.invoke(txn, { n }, undefined);
    void sink.preCommit(txn);
    return txn;
  };

  test('a fresh start deletes what earlier instances of its subtask pre-committed (no checkpoint covers it); other subtasks\' files stay', () => {
    const dir = fs.mkdtempSync(path.join(root, 'leftovers-'));
    const def = exactlyOnceFileSink<{ n: number }>({ directory: dir, format: 'jsonl' });
    preCommitted(def.create(info(1, 0)), 1); // attempt 0 of subtask 1: failed before any checkpoint completed
    preCommitted(def.create(info(10, 0)), 10); // subtask 10: another subtask ("1" is a prefix of "10")
    preCommitted(def.create(info(2, 0)), 2);
    assert.equal(hiddenFiles(dir).length, 3);
    const fresh = def.create(info(1, 1)); // attempt 1 of subtask 1, no restore
    const txn = fresh.beginTransaction();
    assert.deepEqual(hiddenFiles(dir).map((f) => f.split('-')[2]).sort(), ['10', '2']);
    fresh.invoke(txn, { n: 100 }, undefined);
    void fresh.preCommit(txn);
    void fresh.commit(txn);
    assert.deepEqual(readCommitted(dir, 'jsonl') as unknown[], [{ n: 100 }]);
  });

  test('after a restore, the restored transactions are committed and every other instance\'s of the restored subtasks deleted', () => {
    const dir = fs.mkdtempSync(path.join(root, 'leftovers-'));
    const def = exactlyOnceFileSink<{ n: number }>({ directory: dir, format: 'jsonl' });
    const first = def.create(info(0, 0));
    const covered = preCommitted(first, 1); // in the checkpoint that completed
    preCommitted(first, 2); // pre-committed for a checkpoint that never completed
    preCommitted(def.create(info(5, 0)), 5); // a subtask not restored here
    const fromCheckpoint = () => JSON.parse(JSON.stringify(covered)) as FileTransaction;
    // Attempt 1 restores the checkpoint, pre-commits for the next one, and fails before it completes.
    const second = def.create(info(0, 1));
    void second.recoverAndCommit!(fromCheckpoint());
    assert.deepEqual(readCommitted(dir, 'jsonl') as unknown[], [{ n: 1 }]);
    preCommitted(second, 3);
    assert.equal(hiddenFiles(dir).length, 2, "attempt 0's uncovered transaction is gone; attempt 1's and subtask 5's remain");
    // Attempt 2 restores the same checkpoint (its commit is idempotent): attempt 1's leftover goes.
    const third = def.create(info(0, 2));
    void third.recoverAndCommit!(fromCheckpoint());
    third.beginTransaction();
    assert.deepEqual(readCommitted(dir, 'jsonl') as unknown[], [{ n: 1 }]);
    assert.deepEqual(hiddenFiles(dir).map((f) => f.split('-')[2]), ['5']);
  });
});

describe('exactly-once file sink: a job branched from a savepoint leaves the running original alone', () => {
  const info = (subtask: number, attempt: number): TaskInfo => ({ operatorName: 'Files', uid: 'files', subtask, parallelism: 1, maxParallelism: 128, attempt });
  for (const branch of ['another directory', 'the same directory, another prefix'] as const) {
    test(`the branch writes to ${branch}: it commits what the savepoint pre-committed and deletes none of the original's files`, () => {
      const dirA = fs.mkdtempSync(path.join(root, 'original-'));
      const original = exactlyOnceFileSink<{ n: number }>({ directory: dirA, format: 'jsonl' }).create(info(0, 0));
      const t1 = original.beginTransaction();
      original.invoke(t1, { n: 1 }, undefined);
      void original.preCommit(t1);
      const t2 = original.beginTransaction();
      original.invoke(t2, { n: 2 }, undefined);
      // The savepoint: t1 pre-committed, t2 open. The original goes on: t2 pre-committed, t3 open.
      const savepoint = JSON.parse(JSON.stringify({ t1, t2 })) as { t1: FileTransaction; t2: FileTransaction };
      void original.preCommit(t2);
      const t3 = original.beginTransaction();
      original.invoke(t3, { n: 3 }, undefined);
      const before = hiddenFiles(dirA);

      const dirB = branch === 'another directory' ? fs.mkdtempSync(path.join(root, 'branch-')) : dirA;
      const restored = exactlyOnceFileSink<{ n: number }>({ directory: dirB, format: 'jsonl', ...(branch === 'another directory' ? {} : { prefix: 'branch' }) }).create(info(0, 0));
      void restored.recoverAndCommit!(savepoint.t1);
      void restored.recoverAndAbort!(savepoint.t2);
      restored.beginTransaction();

      assert.deepEqual(readCommitted(dirA, 'jsonl') as unknown[], [{ n: 1 }], 'what the savepoint covered is committed');
      assert.deepEqual(hiddenFiles(dirA), before.filter((f) => !f.includes('-000000.')), "the original's later files are all there");
      void original.commit(t2);
      void original.preCommit(t3);
      void original.commit(t3);
      assert.deepEqual((readCommitted(dirA, 'jsonl') as unknown as Array<{ n: number }>).map((r) => r.n).sort(), [1, 2, 3], 'the original commits the rest');
    });
  }
});
