/**
 * Window joins and coGroup (Flink's JoinedStreams / CoGroupedStreams), exact against a sequential
 * reference, at several parallelisms on both state backends; and the errors a user can make.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { windowJoinJob, joinInputs, referenceJoin, type JoinCase } from './support/window-join-jobs.ts';
import { defineJob, TumblingEventTimeWindows, WeirError } from '../index.ts';

const cases: Array<[JoinCase, number, 'heap' | 'lmdb']> = [
  ['tumbling-join', 1, 'lmdb'], ['tumbling-join', 4, 'heap'],
  ['sliding-cogroup', 2, 'lmdb'], ['sliding-cogroup', 3, 'heap'],
  ['session-join', 2, 'heap'], ['session-join', 4, 'lmdb'],
];

for (const [kase, parallelism, backend] of cases) {
  test(`window ${kase} at parallelism ${parallelism} on ${backend} equals the reference`, async () => {
    const { orders, payments } = joinInputs(300);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-window-join-'));
    try {
      const result = await windowJoinJob.execute({ params: { orders, payments, kase }, parallelism, stateBackend: backend, stateDirectory: dir }).done;
      const want = referenceJoin(kase, orders, payments).sort();
      assert.ok(want.length > 50, `the data joins (${want.length} results)`);
      assert.deepEqual((result.collected.out as string[]).sort(), want);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('window join: bad arguments are typed errors naming what was wrong', () => {
  const bad = (build: Parameters<typeof defineJob>[1]) => () => defineJob(`t-bad-join-${Math.random().toString(36).slice(2)}`, build).graph(undefined as never, 1, 128);
  assert.throws(bad((env) => { env.fromArray([1]).join(env.fromArray([2])).where('id' as never); }), (e: unknown) => e instanceof WeirError && e.code === 'WEIR_INVALID_ARGUMENT' && /where: expected a function/.test(e.message));
  assert.throws(bad((env) => { env.fromArray([1]).join(env.fromArray([2])).where((x) => x).equalTo((y) => y).window(TumblingEventTimeWindows.of(10)).apply(undefined as never); }), /apply: expected a function/);
  assert.throws(bad((env) => { env.fromArray([1]).coGroup(undefined as never); }), /coGroup: expected a DataStream/);
});
