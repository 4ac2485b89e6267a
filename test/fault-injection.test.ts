/**
 * Exactly-once end to end after injected failures: aligned, unaligned and
 * aligned-with-timeout checkpoints, parallelism 1 and 3, under backpressure,
 * five failures per run at random points (a map, the keyed function, and
 * process.exit() in a worker — upstream and downstream of the keyed state).
 * The collected output (released on checkpoint completion) must hold every
 * key's sequence exactly once, in order, and the verifier — whose own state is
 * checkpointed — must never have seen a gap, duplicate, reordering or
 * corrupted record.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exactlyOnceJob, type Fault, type FaultPoint, type Verified } from './support/fault-jobs.ts';
import { rng } from './support/random.ts';
import type { CheckpointConfigInput } from '../runtime/checkpoint/checkpoint-config.ts';

const MODES: Array<[string, CheckpointConfigInput]> = [
  ['aligned', {}],
  ['unaligned', { unaligned: true }],
  ['aligned-timeout', { unaligned: true, alignedCheckpointTimeoutMs: 2 }],
];
const POINTS: FaultPoint[] = ['map', 'keyed', 'exit', 'sink-exit'];

function assertExactlyOnce(out: Verified[], keys: number, perKey: number): void {
  const violations = out.filter((o) => o.violation);
  assert.deepEqual(violations, [], 'the verifier saw no gap, duplicate, reordering or corruption');
  const byKey = new Map<number, number[]>();
  for (const o of out) (byKey.get(o.key) ?? byKey.set(o.key, []).get(o.key)!).push(o.seq);
  assert.equal(byKey.size, keys);
  for (const [k, seqs] of byKey) assert.deepEqual(seqs, Array.from({ length: perKey }, (_, i) => i), `key ${k}: every sequence number once, in order`);
}

describe('exactly-once after injected failures', () => {
  for (const [mode, cp] of MODES) {
    for (const parallelism of [1, 3]) {
      test(`${mode}, parallelism ${parallelism}, 5 failures`, { timeout: 120_000 }, async () => {
        const seed = (mode.length * 7919 + parallelism * 104729) >>> 0;
        const rand = rng(seed);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-faults-'));
        const keys = 6 * parallelism;
        const perKey = Math.floor(9000 / keys);
        const faults: Fault[] = Array.from({ length: 5 }, (_, i) => {
          const marker = path.join(dir, `fault-${i}`);
          fs.writeFileSync(marker, '');
          return { point: POINTS[i % POINTS.length]!, key: Math.floor(rand() * keys), seq: Math.floor(rand() * perKey), marker };
        });
        try {
          const client = exactlyOnceJob.execute({
            params: { keys, perKey, parallelism, sinkMicros: 15, faults },
            parallelism,
            stateBackend: 'lmdb',
            stateDirectory: path.join(dir, 'state'),
            bufferBytes: 4096,
            checkpointing: { intervalMs: 15, directory: path.join(dir, 'checkpoints'), tolerableFailures: 100, ...cp },
            restartStrategy: { type: 'fixed-delay', attempts: 20, delayMs: 0 },
          });
          const result = await client.done;
          const fired = faults.filter((f) => !fs.existsSync(f.marker)).length;
          assert.equal(fired, 5, `all five faults fired (seed ${seed})`);
          // Faults that fire within one attempt (or a worker exit taking several subtasks down) share a failover.
          assert.ok(result.failovers.length >= 1 && result.failovers.length <= 5, `failovers (seed ${seed}): ${JSON.stringify(result.failovers.map((f) => f.cause.message))}`);
          // An attempt may itself fail while deploying (runningAt 0); the last one ran to the end.
          assert.ok(result.failovers.every((f) => f.runningAt === 0 || f.recoveryMs >= 0));
          assert.ok(result.failovers.at(-1)!.runningAt > 0);
          assertExactlyOnce(result.collected.out as Verified[], keys, perKey);
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      });
    }
  }
});
