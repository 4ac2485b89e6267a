import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkTargets, targetsTable, type TargetRow } from './checkpoint-targets.ts';

const B = 262_144;
const row = (mode: string, backpressure: string, p50: number | null, pending: number | null = null, bufferBytes = B): TargetRow =>
  ({ mode, backpressure, bufferBytes, checkpointMsP50: p50, pendingMsMax: pending });

test('targets: ratios from p50s, lower bounds from pending checkpoints, sweep rows ignored', () => {
  const rows = [
    row('unaligned', 'none', 10), row('unaligned', '2x', 30), row('unaligned', '10x', 35), row('unaligned', '100x', 75),
    row('aligned', '10x', null, 3500), row('aligned', '100x', 500),
    row('aligned-timeout', 'none', 11), row('aligned-timeout', '2x', 140), row('aligned-timeout', '10x', null, 3000),
    row('unaligned', '100x', 1, null, 16_384),
  ];
  const v = checkTargets(rows, B, 100);
  assert.deepEqual(v.map((x) => x.met), [true, false, false, true, false, false, null]);
  assert.equal(v[0]!.measured, 'unaligned 35 ms vs aligned ≥ 3500 ms: ≥ 100×');
  assert.equal(v[2]!.measured, '75 ms vs 10 ms: 7.5×');
  assert.equal(v[5]!.measured, '≥ 3000 ms vs 100 + 35 ms');
  assert.match(targetsTable(v), /^\| target \| measured \| met \|\n\| --- \| --- \| :---: \|\n\| 10x: unaligned p50 ≤ 1\/10 of aligned \| .* \| yes \|/);
});
