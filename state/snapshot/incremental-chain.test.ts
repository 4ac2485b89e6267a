import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { IncrementalChain, type ChainFiles } from './incremental-chain.ts';

const chainOf = (id: number, files: string[], baseBytes: number, deltaBytes: number, deltaCount: number): ChainFiles<string> => ({ checkpointId: id, files, baseBytes, deltaBytes, deltaCount });

function mark(c: IncrementalChain<Set<string>, string>, m: string): void {
  if (c.marks) {
    c.marks.add(m);
    c.counted();
  }
}

describe('IncrementalChain decisions', () => {
  test('no tracking until the first incremental snapshot, which is a base', () => {
    const c = new IncrementalChain<Set<string>, string>(() => new Set(), { maxDeltas: 3, maxTrackedChanges: 100 });
    assert.equal(c.isTracking, false);
    assert.equal(c.marks === undefined, true);
    assert.deepEqual(c.plan(1, false), { mode: 'full' });
    assert.equal(c.isTracking, false);
    assert.deepEqual(c.plan(2, true), { mode: 'base' });
    assert.equal(c.marks?.size, 0);
  });

  test('deltas cover every segment since the last completed snapshot, aborted ones included', () => {
    const c = new IncrementalChain<Set<string>, string>(() => new Set(), { maxDeltas: 5, maxTrackedChanges: 100 });
    c.plan(1, true);
    c.materialized(1, chainOf(1, ['b1'], 100, 0, 0));
    c.complete(1);
    mark(c, 'a');
    const p2 = c.plan(2, true);
    assert.equal(p2.mode, 'delta');
    c.abort(2);
    mark(c, 'b');
    const p3 = c.plan(3, true);
    assert.ok(p3.mode === 'delta');
    assert.deepEqual(p3.segments.map((s) => [...s.marks]), [['a'], ['b']]);
    assert.deepEqual(p3.base.files, ['b1']);
    c.materialized(3, chainOf(3, ['b1', 'd3'], 100, 10, 1));
    c.complete(3);
    c.complete(2); // late, older: ignored
    assert.deepEqual(c.completedChain?.files, ['b1', 'd3']);
    mark(c, 'c');
    const p4 = c.plan(4, true);
    assert.ok(p4.mode === 'delta');
    assert.deepEqual(p4.segments.map((s) => [...s.marks]), [['c']]);
  });

  test('rebases after maxDeltas, when deltas outgrow the base, and after overflow', () => {
    const c = new IncrementalChain<Set<string>, string>(() => new Set(), { maxDeltas: 2, maxTrackedChanges: 3 });
    c.plan(1, true);
    c.materialized(1, chainOf(1, ['b'], 100, 0, 0));
    c.complete(1);
    assert.equal(c.plan(2, true).mode, 'delta');
    c.materialized(2, chainOf(2, ['b', 'd2'], 100, 10, 2));
    c.complete(2);
    assert.equal(c.plan(3, true).mode, 'base', 'two deltas reached');
    c.materialized(3, chainOf(3, ['b3'], 100, 0, 0));
    c.complete(3);
    c.materialized(3, chainOf(3, ['b3'], 100, 0, 0));
    assert.equal(c.plan(4, true).mode, 'delta');
    c.materialized(4, chainOf(4, ['b3', 'd4'], 100, 100, 1));
    c.complete(4);
    assert.equal(c.plan(5, true).mode, 'base', 'deltas as big as the base');
    c.materialized(5, chainOf(5, ['b5'], 100, 0, 0));
    c.complete(5);
    for (const m of ['w', 'x', 'y', 'z']) mark(c, m);
    assert.equal(c.marks === undefined, true, 'tracking stops on overflow');
    assert.equal(c.plan(6, true).mode, 'base');
    assert.equal(c.marks?.size, 0, 'tracking resumes after the freeze');
  });
});

describe('IncrementalChain: a delta never extends a chain a pending snapshot can release', () => {
  const completedBase = () => {
    const c = new IncrementalChain<Set<string>, string>(() => new Set(), { maxDeltas: 5, maxTrackedChanges: 100 });
    c.plan(1, true);
    c.materialized(1, chainOf(1, ['b1'], 100, 0, 0));
    c.complete(1);
    return c;
  };

  test('pending deltas extending the same completed chain leave the next plan a delta', () => {
    const c = completedBase();
    assert.equal(c.plan(2, true).mode, 'delta');
    c.materialized(2, chainOf(2, ['b1', 'd2'], 100, 10, 1));
    assert.equal(c.plan(3, true).mode, 'delta', 'pending 2 extends 1 as 3 would: 2 completing keeps b1');
  });

  test('a pending base: the next plan writes a base, and deltas return once it completed', () => {
    const c = new IncrementalChain<Set<string>, string>(() => new Set(), { maxDeltas: 1, maxTrackedChanges: 100 });
    c.plan(1, true);
    c.materialized(1, chainOf(1, ['b1'], 100, 0, 0));
    c.complete(1);
    assert.equal(c.plan(2, true).mode, 'delta');
    c.materialized(2, chainOf(2, ['b1', 'd2'], 100, 10, 1));
    c.complete(2);
    assert.equal(c.plan(3, true).mode, 'base', 'maxDeltas reached');
    c.materialized(3, chainOf(3, ['b3'], 100, 0, 0));
    // 3 (a base) is pending and does not hold b1 / d2: if 4 extended 2, completing 3 would release them.
    assert.equal(c.plan(4, true).mode, 'base');
    c.materialized(4, chainOf(4, ['b4'], 100, 0, 0));
    c.complete(3);
    // 4 (a base) still pending: 5 may not extend 3.
    assert.equal(c.plan(5, true).mode, 'base');
    c.materialized(5, chainOf(5, ['b5'], 100, 0, 0));
    c.complete(5);
    assert.equal(c.plan(6, true).mode, 'delta', 'nothing pending any more');
  });

  test('a delta planned before this subtask heard of a completion: the next plan after it is a base', () => {
    const c = completedBase();
    assert.equal(c.plan(2, true).mode, 'delta');
    c.materialized(2, chainOf(2, ['b1', 'd2'], 100, 10, 1));
    assert.equal(c.plan(3, true).mode, 'delta');
    c.materialized(3, chainOf(3, ['b1', 'd3'], 100, 20, 1)); // covers 2's changes too
    c.complete(2);
    // 3 is pending on chain 1; if 4 extended 2 (b1 + d2), 3 completing would release d2.
    assert.equal(c.plan(4, true).mode, 'base');
    c.abort(4);
    c.complete(3);
    assert.equal(c.plan(5, true).mode, 'delta');
  });

  test('an aborted or subsumed pending snapshot no longer forces bases', () => {
    const c = completedBase();
    c.plan(2, true);
    c.materialized(2, chainOf(2, ['b1', 'd2'], 100, 10, 1));
    c.complete(2);
    c.plan(3, true); // maxDeltas 5: a delta extending 2
    c.abort(3);
    assert.equal(c.plan(4, true).mode, 'delta');
  });
});
