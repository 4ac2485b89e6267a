/**
 * Issue #11, defect 1: an unbounded source stopped after a failover or a restore (its split's
 * `end: Infinity` came back from `_metadata` as null and the split was dropped as done), and
 * the job reported `finished`. Here an unbounded job — generator without `count` → keyBy →
 * keyed state → exactly-once file sink — survives five injected failures and a restore from a
 * savepoint in the aligned, unaligned and aligned-with-timeout modes, keeps producing after
 * each, and its committed output over both runs is exact: every generated number once, and
 * every key's sequence 0 … m−1 in generation order.
 *
 * Failures are injected after observed events only: a completed checkpoint of the attempt that
 * follows the previous failover (client.onCheckpoint), never after a delay.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { unboundedJob, type Numbered, type UnboundedParams } from './support/hardening-jobs.ts';
import { checkpointsCompleted, injectFailures } from './support/checkpoint-events.ts';
import type { CheckpointConfigInput } from '../runtime/checkpoint/checkpoint-config.ts';

const MODES: Array<[string, CheckpointConfigInput]> = [
  ['aligned', {}],
  ['unaligned', { unaligned: true }],
  ['aligned-with-timeout', { unaligned: true, alignedCheckpointTimeoutMs: 5 }],
];
const KEYS = 8;
const FAILURES = 5;



function committed(directory: string): Numbered[] {
  const out: Numbered[] = [];
  for (const name of fs.readdirSync(directory).filter((n) => !n.startsWith('.'))) {
    for (const line of fs.readFileSync(path.join(directory, name), 'utf8').split('\n')) if (line) out.push(JSON.parse(line) as Numbered);
  }
  return out.sort((a, b) => a.i - b.i);
}

describe('an unbounded source keeps producing after failovers and a restore', () => {
  for (const [mode, cp] of MODES) {
    test(mode, { timeout: 180_000 }, async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-unbounded-'));
      try {
        const params: UnboundedParams = { keys: KEYS, ratePerSecond: 4000, failMarker: path.join(dir, 'fail'), directory: path.join(dir, 'out') };
        const options = {
          params, parallelism: 2, stateBackend: 'lmdb' as const, stateDirectory: path.join(dir, 'state'),
          checkpointing: { intervalMs: 40, directory: path.join(dir, 'checkpoints'), tolerableFailures: 100, ...cp },
          restartStrategy: { type: 'fixed-delay' as const, attempts: 20, delayMs: 0 },
        };
        // Run 1: five failures, each recovered from a checkpoint, production continuing after each.
        const first = unboundedJob.execute(options);
        await injectFailures(first, params.failMarker, FAILURES);
        await checkpointsCompleted(first, 2);
        assert.equal(first.status, 'running', 'the unbounded job still runs after the failovers');
        const failovers = first.failovers;
        assert.equal(failovers.length, FAILURES);
        for (const f of failovers) {
          assert.equal(f.cause.code, 'WEIR_USER_FUNCTION_FAILED', f.cause.message);
          assert.notEqual(f.restoredCheckpointId, null, 'each failover restored a checkpoint');
        }
        const savepoint = await first.stopWithSavepoint(path.join(dir, 'savepoints'));
        await first.done;
        const afterRun1 = committed(params.directory);
        const lastFailedAt = Math.max(...failovers.map((f) => Number(/on record (\d+)/.exec(f.cause.message)?.[1] ?? -1)));
        assert.ok(afterRun1.length > 0 && afterRun1.at(-1)!.i > lastFailedAt, `records were produced after the last failure (at ${lastFailedAt}), up to ${afterRun1.at(-1)?.i}`);

        // Run 2: restore from the savepoint; the source resumes where it stopped and keeps going.
        const second = unboundedJob.execute({ ...options, restore: savepoint.directory });
        await checkpointsCompleted(second, 3);
        assert.equal(second.status, 'running');
        await second.stopWithSavepoint(path.join(dir, 'savepoints'));
        await second.done;

        const all = committed(params.directory);
        assert.ok(all.length > afterRun1.length, `the restored run produced more (${afterRun1.length} → ${all.length})`);
        assert.deepEqual(all.map((r) => r.i), Array.from({ length: all.length }, (_, i) => i), 'every generated number committed exactly once');
        const next = new Array<number>(KEYS).fill(0);
        for (const r of all) {
          assert.equal(r.key, r.i % KEYS);
          assert.equal(r.seq, next[r.key]!++, `key ${r.key}: sequence in generation order, no gap or duplicate`);
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
