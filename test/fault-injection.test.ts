/**
 * Exactly-once end to end after injected failures: aligned, unaligned and
 * aligned-with-timeout checkpoints, parallelism 1 and 3, under backpressure,
 * seven injected failures per run at random records: in processing (a map and
 * the keyed function throw), in a snapshot (the file sink's preCommit), during
 * restore (the file sink's recoverAndCommit/Abort), in close (the file sink's
 * close), and process.exit() in a worker (upstream and downstream of the keyed
 * state) — see test/support/fault-jobs.ts for where each one fires.
 * Both outputs must hold every key's sequence exactly once: the collected one
 * (released on checkpoint completion) in order, the committed files of the
 * exactly-once file sink as a set; and the verifier — whose own state is
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
const POINTS: FaultPoint[] = ['map', 'snapshot', 'exit', 'restore', 'keyed', 'close', 'sink-exit'];

function assertExactlyOnce(out: Verified[], keys: number, perKey: number): void {
  const violations = out.filter((o) => o.violation);
  assert.deepEqual(violations, [], 'the verifier saw no gap, duplicate, reordering or corruption');
  const byKey = new Map<number, number[]>();
  for (const o of out) (byKey.get(o.key) ?? byKey.set(o.key, []).get(o.key)!).push(o.seq);
  assert.equal(byKey.size, keys);
  for (const [k, seqs] of byKey) assert.deepEqual(seqs, Array.from({ length: perKey }, (_, i) => i), `key ${k}: every sequence number once, in order`);
}

/** The committed JSONL files of the file sink, sorted by (key, seq): exactly every record once. */
function assertCommittedFiles(directory: string, keys: number, perKey: number): void {
  const records: Verified[] = [];
  for (const name of fs.readdirSync(directory).filter((n) => !n.startsWith('.'))) {
    for (const line of fs.readFileSync(path.join(directory, name), 'utf8').split('\n')) if (line) records.push(JSON.parse(line) as Verified);
  }
  records.sort((a, b) => a.key - b.key || a.seq - b.seq);
  const expected = Array.from({ length: keys * perKey }, (_, i) => ({ key: Math.floor(i / perKey), seq: i % perKey }));
  assert.equal(records.length, expected.length, 'committed records');
  assert.deepEqual(records, expected, 'committed files: every record exactly once, no violation');
}

interface Case {
  mode: string;
  cp: CheckpointConfigInput;
  parallelism: number;
  /** Work per record after the keyed verifier (chained with it). */
  sinkMicros: number;
  bufferBytes: number;
}

const CASES: Case[] = [
  ...MODES.flatMap(([mode, cp]) => [1, 3].map((parallelism) => ({ mode, cp, parallelism, sinkMicros: 15, bufferBytes: 4096 }))),
  // Big frames (~1 000 records) at 100 µs per record: barriers are taken inside frames, so
  // checkpoints hold the unprocessed rest of a frame, and restores replay it.
  { mode: 'unaligned, barriers inside frames', cp: { unaligned: true }, parallelism: 2, sinkMicros: 100, bufferBytes: 64 * 1024 },
];

describe('exactly-once after injected failures', () => {
  for (const { mode, cp, parallelism, sinkMicros, bufferBytes } of CASES) {
    {
      test(`${mode}, parallelism ${parallelism}, ${POINTS.length} injected failures`, { timeout: 120_000 }, async () => {
        const seed = (mode.length * 7919 + parallelism * 104729) >>> 0;
        const rand = rng(seed);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-faults-'));
        const keys = 6 * parallelism;
        const perKey = Math.floor(9000 / keys);
        const faults: Fault[] = Array.from({ length: POINTS.length }, (_, i) => {
          const marker = path.join(dir, `fault-${i}`);
          fs.writeFileSync(marker, '');
          return { point: POINTS[i]!, key: Math.floor(rand() * keys), seq: Math.floor(rand() * perKey), marker };
        });
        try {
          const client = exactlyOnceJob.execute({
            params: { keys, perKey, parallelism, sinkMicros, faults, directory: path.join(dir, 'out') },
            parallelism,
            stateBackend: 'lmdb',
            stateDirectory: path.join(dir, 'state'),
            bufferBytes,
            checkpointing: { intervalMs: 15, directory: path.join(dir, 'checkpoints'), tolerableFailures: 100, ...cp },
            restartStrategy: { type: 'fixed-delay', attempts: 20, delayMs: 0 },
          });
          const result = await client.done;
          const causes = JSON.stringify(result.failovers.map((f) => f.cause.message));
          const pending = faults.filter((f) => fs.existsSync(f.marker) || fs.existsSync(`${f.marker}.armed`)).map((f) => f.point);
          assert.deepEqual(pending, [], `every fault fired (seed ${seed}); failovers: ${causes}`);
          // Faults that fire within one attempt (or a worker exit taking several subtasks down) share a
          // failover, and a close failure during a teardown adds none; the restore fault fails twice.
          assert.ok(result.failovers.length >= 2 && result.failovers.length <= POINTS.length + 1, `failovers (seed ${seed}): ${causes}`);
          assert.ok(result.failovers.some((f) => /during restore/.test(f.cause.message)), `a restore failed (seed ${seed}): ${causes}`);
          // An attempt may itself fail while deploying (runningAt 0); the last one ran to the end.
          assert.ok(result.failovers.every((f) => f.runningAt === 0 || f.recoveryMs >= 0));
          assert.ok(result.failovers.at(-1)!.runningAt > 0);
          assertExactlyOnce(result.collected.out as Verified[], keys, perKey);
          assertCommittedFiles(path.join(dir, 'out'), keys, perKey);
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      });
    }
  }
});
