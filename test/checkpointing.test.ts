/**
 * Checkpointing integration: the mode matrix on multi-input keyed subtasks (a
 * keyBy after a parallel stage, and a union) under forced backpressure (tiny
 * rings, a sink that spins), and checkpoint expiry.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { backpressuredJob, countingJob, type Counted } from './support/checkpoint-jobs.ts';
import { observedJob } from './support/observability-jobs.ts';
import type { CheckpointConfigInput } from '../runtime/checkpoint/checkpoint-config.ts';
import type { WeirError } from '../index.ts';

const A = 30_000;
const B = 6_000;
const KEYS = 40;

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'weir-cp-'));
}

/** Every input record exactly once, and per key the running counts 1..n in order. */
function assertExactlyOnceOutput(out: Counted[]): void {
  assert.equal(out.length, A + B, 'records at the sink');
  const seen = new Set(out.map((c) => c.i));
  assert.equal(seen.size, A + B, 'no duplicates');
  const byKey = new Map<number, number[]>();
  for (const c of out) {
    let l = byKey.get(c.k);
    if (!l) byKey.set(c.k, (l = []));
    l.push(c.n);
  }
  for (const [k, ns] of byKey) {
    const expected = Math.floor((A + B) / KEYS) + (k < (A + B) % KEYS ? 1 : 0);
    assert.equal(ns.length, expected, `records of key ${k}`);
    assert.deepEqual([...ns].sort((x, y) => x - y), Array.from({ length: expected }, (_, i) => i + 1), `counts of key ${k}`);
  }
}

/**
 * Runs the job to its end and checks its output. `gated`: the sources' first snapshot blocks until
 * a checkpoint expired (observed through the job client, not waited for by time).
 */
async function run(checkpointing: CheckpointConfigInput, opts: { gated?: boolean } = {}) {
  const dir = tmp();
  try {
    const release = path.join(dir, 'release');
    const client = backpressuredJob.execute({
      params: { a: A, b: B, keys: KEYS, sinkMicros: 10, ...(opts.gated ? { gate: { release } } : {}) },
      parallelism: 2,
      stateBackend: 'lmdb',
      stateDirectory: path.join(dir, 'state'),
      bufferBytes: 2048,
      checkpointing: { intervalMs: 20, directory: path.join(dir, 'checkpoints'), tolerableFailures: 1000, ...checkpointing },
    });
    const ended: Array<{ id: number; status: string; failureReason: string | null }> = [];
    client.onCheckpoint((c) => {
      if (c.status === 'in_progress') return;
      ended.push({ id: c.checkpointId, status: c.status, failureReason: c.failureReason });
      if (opts.gated && c.status === 'failed' && c.failureReason === 'CHECKPOINT_EXPIRED') fs.writeFileSync(release, '');
    });
    const result = await client.done;
    assertExactlyOnceOutput(result.collected.out as Counted[]);
    return { ...result.checkpoints!, ended };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('checkpoint modes under backpressure (keyBy after a parallel stage + union)', () => {
  test('aligned: checkpoints complete, nothing in flight is persisted', async () => {
    const s = await run({});
    assert.ok(s.counts.completed >= 2, `completed ${s.counts.completed}`);
    assert.equal(s.summary.persistedInFlightBytes.max, 0);
    assert.ok(s.history.every((c) => c.status !== 'completed' || c.unalignedSubtasks === 0));
  });

  test('unaligned: in-flight data is persisted, alignment is zero', async () => {
    const s = await run({ unaligned: true });
    assert.ok(s.counts.completed >= 2, `completed ${s.counts.completed}`);
    assert.ok(s.summary.persistedInFlightBytes.max! > 0, 'some in-flight bytes persisted');
    // The final checkpoint of a bounded job is aligned by design (its barrier must not overtake end-of-data).
    const periodic = s.history.filter((c) => c.status === 'completed' && c.trigger !== 'final');
    assert.ok(periodic.length >= 1);
    for (const c of periodic) assert.equal(c.alignmentMs, 0, `alignment of unaligned checkpoint ${c.checkpointId}`);
    // No "processed in-flight bytes": it used to be a copy of the persisted figure under another name.
    assert.ok(!('processedInFlightBytes' in s.summary));
    for (const c of s.history) {
      assert.ok(!('processedInFlightBytes' in c), `checkpoint ${c.checkpointId}`);
      for (const t of c.subtasks) assert.ok(!('processedInFlightBytes' in t), `checkpoint ${c.checkpointId} subtask ${t.id}`);
    }
    // history is newest first.
    const ids = s.history.map((c) => c.checkpointId);
    assert.deepEqual(ids, [...ids].sort((a, b) => b - a));
  });

  test('aligned with a short timeout switches to unaligned', async () => {
    const s = await run({ unaligned: true, alignedCheckpointTimeoutMs: 1 });
    assert.ok(s.counts.completed >= 2, `completed ${s.counts.completed}`);
    assert.ok(s.history.some((c) => c.status === 'completed' && c.unalignedSubtasks > 0), 'some subtask switched to unaligned');
    assert.ok(s.summary.persistedInFlightBytes.max! > 0);
  });

  test('aligned with a long timeout stays aligned', async () => {
    const s = await run({ unaligned: true, alignedCheckpointTimeoutMs: 60_000 });
    assert.ok(s.counts.completed >= 2, `completed ${s.counts.completed}`);
    assert.equal(s.summary.persistedInFlightBytes.max, 0);
    assert.ok(s.history.every((c) => c.unalignedSubtasks === 0));
  });

  test('at-least-once: checkpoints complete without blocking or persisting channels', async () => {
    const s = await run({ mode: 'at-least-once' });
    assert.ok(s.counts.completed >= 2, `completed ${s.counts.completed}`);
    assert.equal(s.summary.persistedInFlightBytes.max, 0);
  });
});

test('a checkpoint that times out is aborted; the job keeps running and finishes with correct output', async () => {
  // The sources' threads are blocked in the first checkpoint's snapshot until a checkpoint expired,
  // so the expiry is certain and not a race against the machine's speed; the timeout is long
  // enough for every other checkpoint (the final one included) on a loaded machine.
  const s = await run({ timeoutMs: 1000 }, { gated: true });
  const expired = s.ended.filter((c) => c.status === 'failed' && c.failureReason === 'CHECKPOINT_EXPIRED');
  assert.ok(expired.length > 0, `expired checkpoints: ${JSON.stringify(s.counts)}`);
  const lastExpired = Math.max(...expired.map((c) => c.id));
  assert.ok(s.ended.some((c) => c.status === 'completed' && c.id > lastExpired), 'a checkpoint completed after the last expired one (the final one at least)');
});

test('a subtask whose checkpoint directory cannot be created declines that checkpoint (counted toward tolerableFailures), no failover', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-cp-dir-'));
  try {
    // A push source: the job runs until the test ends its input, whatever the machine's speed.
    const client = observedJob.execute({
      params: { spinMicros: 0 }, parallelism: 1, jobId: 'blocked-dir', stateBackend: 'heap',
      checkpointing: { directory: dir, tolerableFailures: 5 }, // manual triggers only
      restartStrategy: { type: 'fixed-delay', attempts: 3, delayMs: 0 },
    });
    await client.running;
    const push = async (from: number, n: number) => { for (let i = from; i < from + n; i++) await client.push('events', { k: i % 4, t: i }); };
    await push(0, 100);
    assert.equal((await client.triggerCheckpoint()).checkpointId, 1);
    // chk-2/count-0 is a file: the keyed count's subtask cannot create its directory for checkpoint 2.
    fs.mkdirSync(path.join(dir, 'blocked-dir', 'chk-2'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'blocked-dir', 'chk-2', 'count-0'), '');
    await assert.rejects(client.triggerCheckpoint(), (e: WeirError) => e.code === 'WEIR_CHECKPOINT_FAILED' && /cannot create the checkpoint directory .*chk-2\/count-0/.test(e.message));
    assert.equal((await client.triggerCheckpoint()).checkpointId, 3, 'the next checkpoint completes');
    await push(100, 100);
    await client.endPush('events');
    const result = await client.done;
    assert.deepEqual(result.failovers, [], 'declined, not a task failure');
    assert.equal(result.checkpoints!.history.find((c) => c.checkpointId === 2)?.failureReason, 'TASK_CHECKPOINT_FAILURE');
    // Exactly once: per key, the counts 1 … 50 once each.
    const out = result.collected.out as Array<[number, number]>;
    for (let k = 0; k < 4; k++) assert.deepEqual(out.filter(([key]) => key === k).map(([, n]) => n).sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i + 1), `key ${k}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an onCheckpoint listener that throws is logged at warn; the job and the other listeners go on', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-cp-listener-'));
  try {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } }));
    const client = countingJob.execute({ params: { n: 2000, keys: 4, sinkMicros: 0 }, parallelism: 1, stateBackend: 'heap', logger, checkpointing: { directory: dir } });
    let others = 0;
    client.onCheckpoint(() => { throw new Error('listener bug'); });
    client.onCheckpoint(() => { others++; });
    const result = await client.done;
    assert.equal(result.status, 'finished');
    assert.ok(others >= 1, 'the other listener ran');
    assert.ok(lines.some((l) => /an onCheckpoint listener threw on checkpoint \d+/.test(l) && /listener bug/.test(l)), lines.join(''));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('with checkpointing but no intervalMs, a collect sink holding many records asks for checkpoints: its records are released along the way, not all at the end', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-cp-collect-'));
  try {
    // More records than every ring between source and app can hold: the collect reader holds
    // HELD_FOR_CHECKPOINT records long before the input ends, and asks for a checkpoint then.
    const n = 200_000;
    const result = await countingJob.execute({ params: { n, keys: 8, sinkMicros: 0 }, parallelism: 2, stateBackend: 'heap', checkpointing: { directory: dir } }).done;
    assert.equal((result.collected.out as Counted[]).length, n);
    assert.ok((result.checkpoints?.counts.completed ?? 0) >= 2, `checkpoints asked for along the way: ${JSON.stringify(result.checkpoints?.counts)}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
