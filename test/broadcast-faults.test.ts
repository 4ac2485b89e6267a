/**
 * The fault-injection matrix for broadcast state: the rules job of test/support/broadcast-jobs.ts
 * (a keyed stream connected with a broadcast stream of rules, judged in event time) with six
 * injected failures per run — a throwing map on each input, a throw in processElement and in
 * processBroadcastElement, process.exit() in the broadcast operator's worker and in the worker
 * after it — in aligned, unaligned and aligned-with-timeout modes, at parallelism 1 and 3, under
 * backpressure (a slow map after the operator, small rings). The output must be exact: every
 * event judged once by the right rule version, and every subtask storing every rule once.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { rulesJob, rulesReference, ruleCount, seenReference, type BroadcastFaultPoint, type RuleJobShape } from './support/broadcast-jobs.ts';
import { rng } from './support/random.ts';

const MODES: Array<[string, Record<string, unknown>]> = [
  ['aligned', {}],
  ['unaligned', { unaligned: true }],
  ['aligned-timeout', { unaligned: true, alignedCheckpointTimeoutMs: 2 }],
];
const POINTS: BroadcastFaultPoint[] = ['rules-map', 'events-map', 'element', 'broadcast', 'exit', 'sink-exit'];
const SHAPE: RuleJobShape = { events: 3000, users: 11, categories: 4, ruleEvery: 20 };

describe('broadcast state: exactly-once after injected failures', () => {
  for (const [mode, cp] of MODES) {
    for (const parallelism of [1, 3]) {
      test(`${mode}, parallelism ${parallelism}, ${POINTS.length} injected failures`, { timeout: 120_000 }, async () => {
        const seed = (mode.length * 13 + parallelism * 5) >>> 0;
        const rand = rng(seed);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-broadcast-faults-'));
        // Rule faults on a rule id, event faults on an event seq (not the first few: some state first).
        const faults = POINTS.map((point, i) => {
          const marker = path.join(dir, `fault-${i}`);
          fs.writeFileSync(marker, '');
          const onRule = point === 'rules-map' || point === 'broadcast';
          const key = onRule ? 5 + Math.floor(rand() * (ruleCount(SHAPE) - 10)) : 100 + Math.floor(rand() * (SHAPE.events - 200));
          return { point, key, marker };
        });
        try {
          const result = await rulesJob.execute({
            params: { ...SHAPE, parallelism, faults, sinkMicros: 30, ratePerSecond: 20_000 },
            parallelism,
            stateBackend: 'lmdb',
            stateDirectory: path.join(dir, 'state'),
            bufferBytes: 4096,
            checkpointing: { intervalMs: 15, directory: path.join(dir, 'checkpoints'), tolerableFailures: 100, ...cp },
            restartStrategy: { type: 'fixed-delay', attempts: 20, delayMs: 0 },
          }).done;
          const causes = JSON.stringify(result.failovers.map((f) => f.cause.message));
          const pending = faults.filter((f) => fs.existsSync(f.marker)).map((f) => `${f.point} ${f.key}`);
          assert.deepEqual(pending, [], `every fault fired (seed ${seed}); failovers: ${causes}`);
          assert.ok(result.failovers.length >= 2, `failovers (seed ${seed}): ${causes}`);
          assert.ok(result.failovers.some((f) => f.restoredCheckpointId !== null), `some failover restored a checkpoint: ${causes}`);
          const out = [...(result.collected.out as string[])].sort();
          const want = rulesReference(SHAPE);
          const missing = want.filter((x, i) => out[i] !== x).slice(0, 5);
          assert.equal(out.length, want.length, `one judgement per event (first differences: ${JSON.stringify(missing)}; failovers: ${causes})`);
          assert.deepEqual(out, want, 'every event judged once, by the rule version valid at its time');
          assert.deepEqual([...(result.collected.seen as string[])].sort(), seenReference(SHAPE, parallelism), 'every subtask stored every rule exactly once');
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      });
    }
  }
});
