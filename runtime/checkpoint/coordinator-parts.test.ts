/** The coordinator's pure parts on their own: the periodic tick decision and the completed-checkpoint store. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decidePeriodicTick } from './periodic-trigger.ts';
import { CompletedCheckpointStore } from './completed-checkpoint-store.ts';
import type { CompletedCheckpoint } from './checkpoint-metadata.ts';
import { CoordinatorEffectsRunner } from './coordinator-effects-runner.ts';
import type { CoordinatorEffects, CoordinatorLogger } from './pending-checkpoint.ts';

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

describe('CoordinatorEffectsRunner.discard', () => {
  const failingWith = (code: string) => {
    const warned: string[] = [];
    const debugged: string[] = [];
    const log = { warn: (_o: object, m: string) => void warned.push(m), debug: (_o: object, m: string) => void debugged.push(m), info: () => {}, error: () => {} } as unknown as CoordinatorLogger;
    const effects = { discard: () => Promise.reject(Object.assign(new Error(`${code}: directory not empty`), { code })) } as unknown as CoordinatorEffects;
    return { run: new CoordinatorEffectsRunner(effects, log), warned, debugged };
  };
  test('an aborted checkpoint still being written into (ENOTEMPTY) is not a warning: the job removes it when the attempt ends', async () => {
    const a = failingWith('ENOTEMPTY');
    a.run.discard(4, 'aborted', { kind: 'checkpoint', files: [] });
    await a.run.whenIdle();
    assert.deepEqual([a.warned, a.debugged.length], [[], 1]);
    for (const [reason, code] of [['retention', 'ENOTEMPTY'], ['aborted', 'EACCES']] as const) {
      const b = failingWith(code);
      b.run.discard(4, reason, { kind: 'checkpoint', files: [] });
      await b.run.whenIdle();
      assert.deepEqual(b.warned, ['discarding checkpoint files failed'], `${reason}, ${code}`);
    }
  });
});
