/**
 * A windowed job survives injected failures with exactly-once output: event-time sliding
 * windows with allowed lateness and a late side output, checkpointed (aligned and unaligned),
 * with at least three failures thrown inside the window operator, each injected after a
 * checkpoint completed following the previous failover (an observed event, never a delay).
 * The collected output (released on checkpoint completion) and the late side output must be
 * exactly the sequential reference's: every window result once, with its timestamp, and every
 * too-late record once. Rescaling windows (from savepoints and unaligned checkpoints) is
 * test/window-rescale.test.ts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { windowRecoveryJob } from './support/window-jobs.ts';
import { injectFailures } from './support/checkpoint-events.ts';
import { OOO, outOfOrderEvents as events, windowRescaleReference as reference } from './support/window-rescale-jobs.ts';
import type { CheckpointConfigInput } from '../runtime/checkpoint/checkpoint-config.ts';

const MODES: Array<[string, CheckpointConfigInput]> = [
  ['aligned', {}],
  ['unaligned', { unaligned: true }],
];
const FAILURES = 3;

const sorted = (xs: readonly unknown[]) => xs.map((x) => JSON.stringify(x)).sort();

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
