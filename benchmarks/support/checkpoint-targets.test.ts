import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkTargets, targetsTable, type TargetRow } from './checkpoint-targets.ts';

const B = 262_144;
const MIB = 1_048_576;
const OPTS = { bufferBytes: B, alignedTimeoutMs: 100, checkpoints: 3, recoveryBufferBytes: MIB };
const row = (mode: string, backpressure: string, p50: number | null, extra: Partial<TargetRow> = {}): TargetRow =>
  ({ mode, backpressure, bufferBytes: B, checkpointMsP50: p50, completed: p50 === null ? 0 : 3, ...extra });
const grid = (mode: string, p50s: Array<number | null>, extra: Partial<TargetRow> = {}): TargetRow[] =>
  ['none', '2x', '10x', '100x'].map((l, i) => row(mode, l, p50s[i]!, extra));

test('targets: completions, measured ratios, debloat, recovery; lower bounds miss; sweep rows ignored', () => {
  const rows = [
    ...grid('aligned', [10, 1200, 5500, 50_000], { recordsPerSec: 2000 }),
    ...grid('aligned', [9, 900, 600, 700], { debloat: true, recordsPerSec: 1900 }),
    ...grid('aligned-timeout', [10, 150, 160, null], { pendingMsMax: 3000 }),
    ...grid('unaligned', [10, 30, 35, 40]),
    row('unaligned', '100x', 1, { bufferBytes: 16_384 }),
    row('unaligned', '100x', 50, { kind: 'recovery', bufferBytes: MIB, recoveryMs: 90_000, checkpointDuringRecovery: true }),
    row('aligned', '100x', 50, { kind: 'recovery', bufferBytes: MIB, recoveryMs: 120, checkpointDuringRecovery: null }),
    row('unaligned', '100x', 50, { kind: 'recovery', bufferBytes: MIB, debloat: true, recoveryMs: null, checkpointDuringRecovery: null }),
  ];
  const v = checkTargets(rows, OPTS);
  const by = (prefix: string) => v.filter((x) => x.target.startsWith(prefix));
  assert.deepEqual(by('aligned: ≥').map((x) => x.met), [true]);
  assert.equal(by('aligned: ≥')[0]!.measured, 'none 3, 2x 3, 10x 3, 100x 3');
  assert.deepEqual(by('aligned-timeout: ≥').map((x) => x.met), [false]);
  assert.deepEqual(by('10x: unaligned').map((x) => [x.met, x.measured]), [[true, 'unaligned 35 ms vs aligned 5500 ms: 157×']]);
  assert.deepEqual(by('2x: aligned-timeout').map((x) => x.met), [true]);
  assert.deepEqual(by('100x: aligned-timeout').map((x) => [x.met, x.measured]), [[false, '≥ 3000 ms vs 100 + 2 × 40 ms']]);
  assert.deepEqual(by('unaligned p50 at 100x').map((x) => [x.met, x.measured]), [[false, '40 ms vs 10 ms: 4.0×']]);
  assert.deepEqual(by('10x: aligned+debloat p50').map((x) => x.met), [true]);
  assert.deepEqual(by('10x: aligned+debloat throughput').map((x) => [x.met, x.measured]), [[true, '1900 vs 2000 records/s (-5.0 %)']]);
  const faster = checkTargets([row('aligned', '10x', 5000, { recordsPerSec: 1200 }), row('aligned', '10x', 200, { debloat: true, recordsPerSec: 1800 })], OPTS);
  assert.deepEqual(faster.filter((x) => x.target.startsWith('10x: aligned+debloat throughput')).map((x) => [x.met, x.measured]), [[true, '1800 vs 1200 records/s (+50.0 %)']]);
  const slower = checkTargets([row('aligned', '10x', 5000, { recordsPerSec: 2000 }), row('aligned', '10x', 200, { debloat: true, recordsPerSec: 1700 })], OPTS);
  assert.deepEqual(slower.filter((x) => x.target.startsWith('10x: aligned+debloat throughput')).map((x) => x.met), [false]);
  assert.deepEqual(by('recovery').map((x) => x.met), [true, true, false]);
  assert.match(by('recovery, aligned,')[0]!.measured, /n\/a \(nothing to replay\)/);
  assert.match(targetsTable(v), /^\| target \| measured \| met \|\n\| --- \| --- \| :---: \|\n\| aligned: ≥ 3 completed checkpoints at every level \| .* \| yes \|/);
});

test('targets: cases that were not run are n/a', () => {
  const v = checkTargets([row('unaligned', '2x', 30)], OPTS);
  assert.deepEqual(v.filter((x) => x.target.startsWith('10x: unaligned')).map((x) => x.met), [null]);
  assert.deepEqual(v.filter((x) => x.target.startsWith('unaligned: ≥')).map((x) => x.met), [null]);
});
