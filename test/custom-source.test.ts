/**
 * The public Source API (api/source-api.ts) through the example source that reads the lines of
 * several files (examples/custom-source/lines-source.ts: a split per file, the byte offset as its
 * position): exact output at parallelism 1 and 3 (files with and without a final newline, an
 * empty one, lines across read chunks); exactly-once after injected failures in aligned and
 * unaligned modes; rescaling 2 → 3 from a checkpoint taken mid-read; typed errors from a source
 * that breaks its contract. Every word count is checked as a running count: per word exactly the
 * values 1 … total, so a line read twice or skipped shows.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { linesJob } from '../examples/custom-source/job.ts';
import { checkpointMidStreamThenCancel, injectFailures } from './support/checkpoint-events.ts';
import { brokenSourceJob, linesFaultJob, startGateJob, taskInfoSourceJob } from './support/custom-source-jobs.ts';
import { rng } from './support/random.ts';
import { linesSource } from '../examples/custom-source/lines-source.ts';
import { StreamEnvironment } from '../index.ts';
import { buildJobGraph } from '../runtime/graph/job-graph.ts';

const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta', 'iota', 'kappa'];

/** Writes the files; returns them and the total per word. */
function writeFiles(dir: string, seed: number, lines: number[]): { files: string[]; totals: Map<string, number> } {
  const r = rng(seed);
  const totals = new Map<string, number>();
  const files = lines.map((n, f) => {
    const text: string[] = [];
    for (let i = 0; i < n; i++) {
      const words = Array.from({ length: 1 + Math.floor(r() * 8) }, () => WORDS[Math.floor(r() * WORDS.length)]!);
      for (const w of words) totals.set(w, (totals.get(w) ?? 0) + 1);
      text.push(words.join(' '));
    }
    const file = path.join(dir, `part-${f}.txt`);
    fs.writeFileSync(file, text.join('\n') + (f % 2 === 0 && n > 0 ? '\n' : '')); // odd files end without a newline
    return file;
  });
  return { files, totals };
}

/** Every running count once: per word exactly 1 … total. */
function assertExactlyOnce(counts: ReadonlyArray<[string, number]>, totals: ReadonlyMap<string, number>): void {
  const seen = new Map<string, number[]>();
  for (const [w, n] of counts) (seen.get(w) ?? seen.set(w, []).get(w)!).push(n);
  for (const [w, total] of totals) {
    const ns = (seen.get(w) ?? []).sort((a, b) => a - b);
    assert.equal(ns.length, total, `'${w}': ${ns.length} counts for ${total} occurrences`);
    assert.ok(ns.every((n, i) => n === i + 1), `'${w}': every running count once`);
  }
  assert.deepEqual([...seen.keys()].sort(), [...totals.keys()].sort());
}

describe('the Source API: a source reading the lines of several files', () => {
  for (const parallelism of [1, 3]) {
    test(`exact at parallelism ${parallelism}`, async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-lines-'));
      try {
        const { files, totals } = writeFiles(dir, 7 + parallelism, [3000, 0, 20_000, 1, 5000]);
        const result = await linesJob.execute({ params: { files }, parallelism }).done;
        assertExactlyOnce(result.collected.counts as Array<[string, number]>, totals);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  for (const [mode, cp] of [['aligned', {}], ['unaligned', { unaligned: true }]] as const) {
    test(`exactly-once after 3 injected failures, ${mode}`, { timeout: 120_000 }, async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-lines-'));
      try {
        const { files, totals } = writeFiles(dir, 21, [15_000, 15_000, 15_000, 15_000]);
        const failMarker = path.join(dir, 'fail');
        const client = linesFaultJob.execute({
          params: { files, failMarker }, parallelism: 2, bufferBytes: 4096, stateBackend: 'lmdb', stateDirectory: path.join(dir, 'state'),
          checkpointing: { intervalMs: 15, directory: path.join(dir, 'checkpoints'), tolerableFailures: 100, ...cp },
          restartStrategy: { type: 'fixed-delay', attempts: 10, delayMs: 0 },
        });
        await injectFailures(client, failMarker, 3);
        const result = await client.done;
        assert.equal(result.failovers.length, 3, JSON.stringify(result.failovers.map((f) => f.cause.message)));
        assert.ok(result.failovers.every((f) => f.restoredCheckpointId !== null), 'each failover restored a checkpoint');
        assertExactlyOnce(result.collected.counts as Array<[string, number]>, totals);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  test('rescaled 2 → 3 from a checkpoint taken mid-read: every line once over both runs', { timeout: 120_000 }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-lines-'));
    try {
      const { files, totals } = writeFiles(dir, 5, [20_000, 20_000, 20_000, 20_000, 20_000]);
      const options = { params: { files }, bufferBytes: 4096, stateBackend: 'lmdb' as const };
      const first = linesJob.execute({
        ...options, parallelism: 2, stateDirectory: path.join(dir, 'state-1'),
        checkpointing: { directory: path.join(dir, 'checkpoints'), retention: 'retain-on-cancel', retained: 5 },
      });
      // A checkpoint after some output (the source has read part of its input), then cancel.
      const from = await checkpointMidStreamThenCancel(first, 'counts');
      const before = first.collected<[string, number]>('counts');
      const all = [...totals.values()].reduce((a, b) => a + b, 0);
      assert.ok(before.length > 0 && before.length < all, `the checkpoint was taken mid-read (${before.length} of ${all} words before it)`);
      const second = await linesJob.execute({ ...options, parallelism: 3, stateDirectory: path.join(dir, 'state-2'), restore: from }).done;
      assertExactlyOnce([...before, ...(second.collected.counts as Array<[string, number]>)], totals);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('sources read only once every subtask of the job is deployed (LMDB state, parallelism 2)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-start-gate-'));
    try {
      const n = 20_000;
      const result = await startGateJob.execute({ params: { dir, n, parallelism: 2 }, parallelism: 2, stateDirectory: path.join(dir, 'state'), restartStrategy: { type: 'none' } }).done;
      const last = new Map<number, number>();
      for (const [k, s] of result.collected.sums as Array<[number, number]>) last.set(k, Math.max(last.get(k) ?? 0, s));
      const expected = new Map<number, number>();
      for (let i = 0; i < n; i++) expected.set(i % 7, (expected.get(i % 7) ?? 0) + i);
      assert.deepEqual([...last].sort((a, b) => a[0] - b[0]), [...expected].sort((a, b) => a[0] - b[0]));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a source that breaks its contract fails the job with WEIR_SOURCE_FAILED naming the source and the call', async () => {
    for (const [breakage, message] of [
      ['createSplits-throws', /source 'Broken' \(uid broken\) failed in createSplits: no splits today/],
      ['split-not-object', /failed in createSplits: split 1 is number: a split is a plain data object/],
      ['split-regexp', /failed in createSplits: split 0 cannot be sent to a worker and stored in checkpoints \(split 0\.pattern cannot be written to a checkpoint: a RegExp is not plain data/],
      ['snapshot-function-async', /source 'Broken' \(subtask 1\/1\) failed in snapshotSplits: split 0\.next cannot be written to a checkpoint: a function is not data/],
      ['poll-bad-shape', /source 'Broken' \(subtask 1\/1\) failed in poll: it must return \{ records: \[\.\.\.\], done: boolean \}/],
      ['poll-rejects', /source 'Broken' \(subtask 1\/1\) failed in poll: the disk is gone/],
    ] as const) {
      const result = brokenSourceJob.execute({ params: { breakage }, parallelism: 1, restartStrategy: { type: 'none' } }).done;
      await assert.rejects(result, (e: { code?: string; message?: string }) => {
        assert.equal(e.code, 'WEIR_SOURCE_FAILED', `${breakage}: ${e.message}`);
        assert.match(e.message!, message, breakage);
        return true;
      });
    }
    // A checkpoint asks a synchronous reader: the same failure, not a declined checkpoint.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-broken-'));
    try {
      const result = brokenSourceJob.execute({ params: { breakage: 'snapshot-regexp-sync' }, parallelism: 1, restartStrategy: { type: 'none' }, checkpointing: { intervalMs: 20, directory: dir } }).done;
      await assert.rejects(result, (e: { code?: string; message?: string }) => {
        assert.equal(e.code, 'WEIR_SOURCE_FAILED', e.message);
        assert.match(e.message!, /source 'Broken' \(subtask 1\/1\) failed in snapshotSplits: split 0\.pattern cannot be written to a checkpoint: a RegExp is not plain data/);
        return true;
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('createReader(ctx).taskInfo names the source as every operator learns it: uid, max parallelism, attempt', async () => {
    const result = await taskInfoSourceJob.execute({ parallelism: 1, maxParallelism: 64, restartStrategy: { type: 'fixed-delay', attempts: 1, delayMs: 0 } }).done;
    assert.equal(result.failovers.length, 1, 'attempt 0 failed once');
    assert.deepEqual((result.collected.out as string[]).map((s) => JSON.parse(s)), [{ operatorName: 'Info', uid: 'info-source', subtask: 0, parallelism: 1, maxParallelism: 64, attempt: 1 }]);
  });
});

describe('fromSource with a watermark strategy is one operator to the user, as in Flink', () => {
  test('uid() names the source (its split positions) and setParallelism() sets source and assigner, which stay chained', () => {
    const env = new StreamEnvironment(2, 128);
    env.fromSequence(1, 3).collect('early'); // an earlier source: automatic uids shift, explicit ones do not
    env.fromSource(linesSource(['/nonexistent']), { timestamp: () => 0 }, 'Lines').uid('lines').setParallelism(3).collect('out');
    const graph = buildJobGraph(env.graph, { parallelism: 2, maxParallelism: 128 });
    const vertex = graph.vertices.find((v) => v.operators[0]!.uid === 'lines');
    assert.ok(vertex, `the source itself has uid 'lines': ${graph.vertices.map((v) => v.operators.map((o) => o.uid).join('+')).join(', ')}`);
    assert.deepEqual(vertex.operators.map((o) => o.uid).slice(0, 2), ['lines', 'lines-watermarks']);
    assert.equal(vertex.parallelism, 3);
  });
});
