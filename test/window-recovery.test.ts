/**
 * A windowed job survives injected failures with exactly-once output: event-time sliding
 * windows with allowed lateness and a late side output, checkpointed (aligned and unaligned),
 * with at least three failures thrown inside the window operator, each injected after a
 * checkpoint completed following the previous failover (an observed event, never a delay).
 * The collected output (released on checkpoint completion) and the late side output must be
 * exactly the sequential reference's: every window result once, with its timestamp, and every
 * too-late record once. And a savepoint taken at parallelism 2 restores at 3 and at 1 (window
 * state by key group, the restored watermark as union state): the two runs' outputs together
 * are the reference's.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { windowRecoveryJob, type Ev } from './support/window-jobs.ts';
import { checkpointsCompleted, injectFailures } from './support/checkpoint-events.ts';
import { referenceWindows } from './support/window-reference.ts';
import { rng } from './support/random.ts';
import type { CheckpointConfigInput } from '../runtime/checkpoint/checkpoint-config.ts';

const MODES: Array<[string, CheckpointConfigInput]> = [
  ['aligned', {}],
  ['unaligned', { unaligned: true }],
];
const FAILURES = 3;
const OOO = 6;

/** Out-of-order event time with ~6% records far behind (late, or within the allowed lateness). */
function events(seed: number, n: number): Ev[] {
  const r = rng(seed);
  const out: Ev[] = [];
  let max = 0;
  for (let i = 0; i < n; i++) {
    let ts = Math.max(0, i * 2 + Math.floor((r() - 0.5) * 4 * OOO));
    if (r() < 0.06) ts = Math.max(0, max - OOO - 5 - Math.floor(r() * 50));
    max = Math.max(max, ts);
    out.push({ k: `k${Math.floor(r() * 7)}`, ts, v: Math.floor(r() * 10) });
  }
  return out;
}


const sorted = (xs: readonly unknown[]) => xs.map((x) => JSON.stringify(x)).sort();


const reference = (evs: Ev[]) => referenceWindows(evs, {
  ooo: OOO, key: (e: Ev) => e.k, ts: (e: Ev) => e.ts, assigner: { kind: 'sliding', size: 20, slide: 5 }, lateness: 15,
  emit: (k, w, es) => [{ k, start: w.start, end: w.end, count: es.length, sum: es.reduce((s, e) => s + e.v, 0) }],
});

describe('windows: exactly-once output after injected failures', () => {
  for (const [mode, cp] of MODES) {
    test(`${mode}: ${FAILURES} failures in the window operator, output equals the reference`, { timeout: 120_000 }, async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-window-recovery-'));
      try {
        const evs = events(mode.length * 17, 3000);
        const failMarker = path.join(dir, 'fail');
        const client = windowRecoveryJob.execute({
          params: { events: evs, ooo: OOO, ratePerSecond: 1500, parallelism: 2, failMarker },
          parallelism: 2,
          stateBackend: 'lmdb',
          stateDirectory: path.join(dir, 'state'),
          checkpointing: { intervalMs: 20, directory: path.join(dir, 'checkpoints'), tolerableFailures: 100, ...cp },
          restartStrategy: { type: 'fixed-delay', attempts: 20, delayMs: 0 },
        });
        await injectFailures(client, failMarker, FAILURES);
        const result = await client.done;
        assert.equal(result.status, 'finished');
        assert.equal(result.failovers.length, FAILURES, JSON.stringify(result.failovers.map((f) => f.cause.message)));
        for (const f of result.failovers) {
          assert.equal(f.cause.code, 'WEIR_USER_FUNCTION_FAILED', f.cause.message);
          assert.match(f.cause.message, /injected failure in the window/);
          assert.notEqual(f.restoredCheckpointId, null, 'each failover restored a checkpoint');
        }
        const exp = reference(evs);
        assert.ok(exp.late.length > 0);
        assert.deepEqual(sorted(result.collected.out!), sorted(exp.out), 'every window result exactly once');
        assert.deepEqual(sorted(result.collected.late!), sorted(exp.late), 'every too-late record exactly once');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

describe('windows: rescaling from a savepoint', () => {
  test('a savepoint at parallelism 2, restored at 3 and at 1: each restored run completes the output exactly', { timeout: 120_000 }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-window-rescale-'));
    try {
      const evs = events(99, 3000);
      const params = (parallelism: number) => ({ events: evs, ooo: OOO, ratePerSecond: 1500, parallelism, failMarker: path.join(dir, 'never') });
      const options = (parallelism: number, name: string) => ({
        params: params(parallelism), parallelism, stateBackend: 'lmdb' as const, stateDirectory: path.join(dir, name),
        checkpointing: { intervalMs: 20, directory: path.join(dir, 'checkpoints') },
      });
      const first = windowRecoveryJob.execute(options(2, 'first'));
      await checkpointsCompleted(first, 3);
      const savepoint = await first.stopWithSavepoint(path.join(dir, 'savepoints'));
      const before = await first.done;
      const exp = reference(evs);
      const beforeOut = before.collected.out ?? [];
      assert.ok(beforeOut.length < exp.out.length, `the savepoint was taken before the end (${beforeOut.length} of ${exp.out.length} results)`);
      for (const p of [3, 1]) {
        const after = await windowRecoveryJob.execute({ ...options(p, `restored-${p}`), restore: savepoint.directory }).done;
        assert.equal(after.status, 'finished');
        assert.deepEqual(sorted([...beforeOut, ...after.collected.out!]), sorted(exp.out), `parallelism 2 → ${p}: every window result once`);
        assert.deepEqual(sorted([...(before.collected.late ?? []), ...after.collected.late!]), sorted(exp.late), `parallelism 2 → ${p}: every too-late record once`);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
