/** The coordinator's pure parts on their own: the periodic tick decision and the completed-checkpoint store. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decidePeriodicTick } from './periodic-trigger.ts';
import { CompletedCheckpointStore } from './completed-checkpoint-store.ts';
import type { CompletedCheckpoint } from './checkpoint-metadata.ts';

describe('decidePeriodicTick', () => {
  const base = { at: 1000, now: 1000, intervalMs: 100, minPauseMs: 0, maxConcurrent: 1, pending: 0, lastEnd: -Infinity };
  test('triggers when nothing is pending; the next tick is an interval from now', () => {
    assert.deepEqual(decidePeriodicTick({ ...base, now: 1003 }), { action: 'trigger', nextAt: 1103 });
  });
  test('skips while max concurrent checkpoints run, or any runs with a min pause', () => {
    assert.deepEqual(decidePeriodicTick({ ...base, pending: 1 }), { action: 'skip', nextAt: 1100 });
    assert.deepEqual(decidePeriodicTick({ ...base, maxConcurrent: 2, pending: 1, minPauseMs: 10 }), { action: 'skip', nextAt: 1100 });
    assert.equal(decidePeriodicTick({ ...base, maxConcurrent: 2, pending: 1 }).action, 'trigger');
  });
  test('postpones until the min pause after the last checkpoint ended', () => {
    assert.deepEqual(decidePeriodicTick({ ...base, minPauseMs: 50, lastEnd: 980 }), { action: 'postpone', nextAt: 1030 });
    assert.equal(decidePeriodicTick({ ...base, minPauseMs: 50, lastEnd: 950 }).action, 'trigger');
  });
});

describe('CompletedCheckpointStore', () => {
  const cp = (checkpointId: number, kind: 'checkpoint' | 'savepoint' = 'checkpoint') => ({ checkpointId, kind }) as CompletedCheckpoint;
  test('retains at most maxRetained, returning the oldest beyond it; the newest is the recovery point', () => {
    const s = new CompletedCheckpointStore(2);
    assert.deepEqual(s.addCheckpoint(cp(1)), []);
    assert.deepEqual(s.addCheckpoint(cp(2)), []);
    assert.deepEqual(s.addCheckpoint(cp(3)).map((c) => c.checkpointId), [1]);
    assert.deepEqual(s.all().map((c) => c.checkpointId), [2, 3]);
    assert.equal(s.latest()?.checkpointId, 3);
  });
  test('leftovers of an earlier run count for retention but are no recovery point', () => {
    const s = new CompletedCheckpointStore(1, [cp(5), cp(4)], false);
    assert.equal(s.latest(), undefined);
    assert.deepEqual(s.trim().map((c) => c.checkpointId), [4]);
    assert.deepEqual(s.all().map((c) => c.checkpointId), [5]);
  });
  test('a newer stop-with-savepoint becomes the recovery point without being retained; removeAll forgets everything', () => {
    const s = new CompletedCheckpointStore(3, [cp(1), cp(2)]);
    s.noteRecoveryPoint(cp(3, 'savepoint'));
    assert.equal(s.latest()?.checkpointId, 3);
    s.noteRecoveryPoint(cp(2, 'savepoint'));
    assert.equal(s.latest()?.checkpointId, 3, 'an older one does not replace it');
    assert.deepEqual(s.all().map((c) => c.checkpointId), [1, 2]);
    assert.deepEqual(s.removeAll().map((c) => c.checkpointId), [1, 2]);
    assert.equal(s.latest(), undefined);
  });
});
