/**
 * The fault-injection matrix for a two-input job, the interval join: exactly-once joined pairs
 * after 5 injected failures per run (a throwing map on the left input and on the right input, a
 * throwing ProcessJoinFunction, process.exit() in the join's worker and in the worker of the slow
 * map after it — see test/support/join-fault-jobs.ts), in aligned, unaligned and
 * aligned-with-timeout modes, at parallelism 1 and 3, under backpressure (small channels, a slow
 * map before the sink). Each fault fires once, on an observed record, never on a timer. The
 * collected pairs must be exactly the sequential reference's: none lost, none duplicated.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { joinFaultInputs, joinFaultJob, type JoinFault, type JoinFaultParams, type JoinFaultPoint } from './support/join-fault-jobs.ts';
import { intervalJoinReference } from './support/join-reference.ts';
import { rng } from './support/random.ts';
import type { CheckpointConfigInput } from '../runtime/checkpoint/checkpoint-config.ts';

const MODES: Array<[string, CheckpointConfigInput]> = [
  ['aligned', {}],
  ['unaligned', { unaligned: true }],
  ['aligned-timeout', { unaligned: true, alignedCheckpointTimeoutMs: 2 }],
];
const POINTS: JoinFaultPoint[] = ['left-map', 'right-map', 'join', 'exit', 'sink-exit'];

/** Lines of `got` missing from `want` and the other way round (both sorted), or duplicated in `got`. */
function diff(got: readonly string[], want: readonly string[]): { missing: string[]; extra: string[] } {
  const left = new Map<string, number>();
  for (const g of got) left.set(g, (left.get(g) ?? 0) + 1);
  const missing: string[] = [];
  for (const w of want) {
    const n = left.get(w) ?? 0;
    if (n === 0) missing.push(w);
    else left.set(w, n - 1);
  }
  const extra = [...left].flatMap(([g, n]) => Array.from({ length: n }, () => g));
  return { missing, extra };
}

describe('interval join: exactly-once joined pairs after injected failures', () => {
  for (const [mode, cp] of MODES) {
    for (const parallelism of [1, 3]) {
      test(`${mode}, parallelism ${parallelism}, ${POINTS.length} injected failures`, { timeout: 120_000 }, async () => {
        const seed = (mode.length * 37 + parallelism * 11) >>> 0;
        const rand = rng(seed);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-join-faults-'));
        const shape = { count: 2000, keys: 8, bound: 10, lower: -6, upper: 9 };
        const inputs = joinFaultInputs(shape);
        const want = intervalJoinReference(inputs.left, inputs.right, shape);
        // The points in a random order, each at a record in its own slice of the input (10 %–86 %),
        // so that the failures mostly fall in different attempts, with checkpoints in between.
        const order = POINTS.map((point) => ({ point, r: rand() })).sort((a, b) => a.r - b.r).map((x) => x.point);
        const faults: JoinFault[] = order.map((point, i) => {
          const pick = <T>(xs: readonly T[]): T => xs[Math.floor(xs.length * (0.1 + i * 0.17 + rand() * 0.08))]!;
          const marker = path.join(dir, `fault-${i}`);
          fs.writeFileSync(marker, '');
          if (point === 'left-map') return { point, target: String(pick(inputs.left).id), marker };
          if (point === 'right-map') return { point, target: String(pick(inputs.right).id), marker };
          const pair = pick(want);
          return { point, target: pair.slice(0, pair.indexOf('@')), marker };
        });
        const params: JoinFaultParams = { ...shape, parallelism, faults, sinkMicros: 40 };
        try {
          const client = joinFaultJob.execute({
            params,
            parallelism,
            stateBackend: 'lmdb',
            stateDirectory: path.join(dir, 'state'),
            bufferBytes: 2048,
            checkpointing: { intervalMs: 15, directory: path.join(dir, 'checkpoints'), tolerableFailures: 100, ...cp },
            restartStrategy: { type: 'fixed-delay', attempts: 20, delayMs: 0 },
          });
          let inFlightBytes = 0;
          let completed = 0;
          client.onCheckpoint((c) => {
            if (c.status !== 'completed') return;
            completed++;
            inFlightBytes += c.persistedInFlightBytes;
          });
          const result = await client.done;
          assert.equal(result.status, 'finished');
          const causes = JSON.stringify(result.failovers.map((f) => `${f.cause.message} (restored ${f.restoredCheckpointId})`));
          const pending = faults.filter((f) => fs.existsSync(f.marker)).map((f) => `${f.point} ${f.target}`);
          assert.deepEqual(pending, [], `every fault fired (seed ${seed}); failovers: ${causes}`);
          assert.ok(result.failovers.length >= 2, `failovers (seed ${seed}): ${causes}`);
          assert.ok(result.failovers.some((f) => f.restoredCheckpointId !== null), `some failover restored a checkpoint (seed ${seed}; ${completed} completed): ${causes}`);
          if (mode === 'unaligned') assert.ok(inFlightBytes > 0, `unaligned checkpoints persisted in-flight data (${completed} completed)`);
          const got = result.collected.out as string[];
          assert.ok(want.length > 1000, `enough pairs to mean something (${want.length})`);
          assert.deepEqual(diff(got, want), { missing: [], extra: [] }, `every pair exactly once (seed ${seed}, ${got.length} of ${want.length}); failovers: ${causes}`);
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      });
    }
  }
});
