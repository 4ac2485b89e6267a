/**
 * The fault-injection matrix for windows and side outputs: exactly-once window results and side
 * output after ≥ 5 injected failures per run (a throwing map, process function and window
 * function, process.exit() in the window's worker and in the worker after it), in aligned,
 * unaligned and aligned-with-timeout modes, at parallelism 1 and 3, under backpressure.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { windowFaultJob, windowReference, type WindowFaultPoint } from './support/window-fault-jobs.ts';
import { rng } from './support/random.ts';

const MODES: Array<[string, Record<string, unknown>]> = [
  ['aligned', {}],
  ['unaligned', { unaligned: true }],
  ['aligned-timeout', { unaligned: true, alignedCheckpointTimeoutMs: 2 }],
];
const POINTS: WindowFaultPoint[] = ['map', 'process', 'window', 'exit', 'sink-exit'];

describe('windows and side outputs: exactly-once after injected failures', () => {
  for (const [mode, cp] of MODES) {
    for (const parallelism of [1, 3]) {
      test(`${mode}, parallelism ${parallelism}, ${POINTS.length} injected failures`, { timeout: 120_000 }, async () => {
        const seed = (mode.length * 31 + parallelism * 7) >>> 0;
        const rand = rng(seed);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-window-faults-'));
        const keys = 4 * parallelism;
        const perKey = Math.floor(3000 / keys);
        const want = windowReference(keys, perKey);
        const faults = POINTS.map((point, i) => {
          const marker = path.join(dir, `fault-${i}`);
          fs.writeFileSync(marker, '');
          if (point === 'map' || point === 'process') return { point, key: Math.floor(rand() * keys), seq: Math.floor(rand() * perKey), marker };
          // Window-side faults fire on the window whose first record is (key, seq): pick a real one.
          const w = want.out[Math.floor(rand() * want.out.length)]!;
          return { point, key: Number(w.slice(0, w.indexOf('@'))), seq: Number(w.slice(w.indexOf(':') + 1).split(',')[0]), marker };
        });
        try {
          const result = await windowFaultJob.execute({
            params: { keys, perKey, parallelism, faults, sinkMicros: 30 },
            parallelism,
            stateBackend: 'lmdb',
            stateDirectory: path.join(dir, 'state'),
            bufferBytes: 4096,
            checkpointing: { intervalMs: 15, directory: path.join(dir, 'checkpoints'), tolerableFailures: 100, ...cp },
            restartStrategy: { type: 'fixed-delay', attempts: 20, delayMs: 0 },
          }).done;
          const causes = JSON.stringify(result.failovers.map((f) => f.cause.message));
          const pending = faults.filter((f) => fs.existsSync(f.marker)).map((f) => `${f.point} ${f.key}/${f.seq}`);
          assert.deepEqual(pending, [], `every fault fired (seed ${seed}); failovers: ${causes}`);
          assert.ok(result.failovers.length >= 2, `failovers (seed ${seed}): ${causes}`);
          assert.deepEqual((result.collected.out as string[]).sort(), want.out.sort(), 'every window exactly once, with all its records');
          const audit = result.collected.audit as string[];
          const missing = want.audit.filter((a) => !audit.includes(a));
          const extra = audit.filter((a, i) => !want.audit.includes(a) || audit.indexOf(a) !== i);
          assert.deepEqual({ missing, extra }, { missing: [], extra: [] }, `the side output exactly once (${audit.length} of ${want.audit.length}; failovers: ${causes})`);
          assert.deepEqual(result.collected.late, [], 'no record is late, also after restores');
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      });
    }
  }
});
