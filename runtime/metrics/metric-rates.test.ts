import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backPressureLevel, ratesBetween } from './metric-rates.ts';

const m = (recordsIn: number, recordsOut: number, busyMs: number, idleMs: number, backPressuredMs: number) => ({ recordsIn, recordsOut, busyMs, idleMs, backPressuredMs });

test('rates: records per second over wall time, times per second over the subtask\'s own time', () => {
  const r = ratesBetween(m(100, 50, 100, 100, 0), m(1100, 550, 400, 600, 200), 2000);
  assert.equal(r.numRecordsInPerSecond, 500);
  assert.equal(r.numRecordsOutPerSecond, 250);
  assert.equal(r.busyTimeMsPerSecond, 300);
  assert.equal(r.idleTimeMsPerSecond, 500);
  assert.equal(r.backPressuredTimeMsPerSecond, 200);
});

test('rates: counters of a new attempt (lower than before) count from 0', () => {
  const r = ratesBetween(m(5000, 5000, 5000, 5000, 0), m(300, 300, 500, 500, 0), 1000);
  assert.equal(r.numRecordsInPerSecond, 300);
  assert.equal(r.busyTimeMsPerSecond, 500);
});

test('rates: no elapsed time gives zeros', () => {
  assert.deepEqual(ratesBetween(m(1, 1, 1, 1, 1), m(2, 2, 2, 2, 2), 0), { numRecordsInPerSecond: 0, numRecordsOutPerSecond: 0, busyTimeMsPerSecond: 0, idleTimeMsPerSecond: 0, backPressuredTimeMsPerSecond: 0 });
});

test('back-pressure level as Flink colours it', () => {
  assert.equal(backPressureLevel(0), 'ok');
  assert.equal(backPressureLevel(100), 'ok');
  assert.equal(backPressureLevel(101), 'low');
  assert.equal(backPressureLevel(501), 'high');
});
