import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createOperatorStateStore, redistributeOperatorState, type OperatorStateSnapshot } from './index.ts';

function subtask(offsets: number[], union: string[]): OperatorStateSnapshot {
  const s = createOperatorStateStore();
  s.getListState<number>('offsets').addAll(offsets);
  s.getUnionListState<string>('watermarks').addAll(union);
  return s.snapshot();
}

const items = (snap: OperatorStateSnapshot, name: string): unknown[] => snap.states[name]?.items ?? [];

describe('operator state', () => {
  test('list and union list state, snapshot is a deep copy, restore continues', () => {
    const s = createOperatorStateStore();
    const l = s.getListState<{ p: number }>('l');
    l.add({ p: 1 });
    l.addAll([{ p: 2 }]);
    const snap = s.snapshot();
    l.get()[0]!.p = 99; // get() returns the stored objects in a new array; snapshot is unaffected
    l.update([{ p: 3 }]);
    assert.deepEqual(snap, { format: 'weir-operator-v1', states: { l: { mode: 'split', items: [{ p: 1 }, { p: 2 }] } } });
    assert.throws(() => s.getUnionListState('l'), { code: 'WEIR_STATE_DESCRIPTOR_CONFLICT' });
    assert.throws(() => l.add(undefined as never), { code: 'WEIR_INVALID_STATE_VALUE' });
    const restored = createOperatorStateStore(JSON.parse(JSON.stringify(snap)));
    assert.deepEqual(restored.getListState('l').get(), [{ p: 1 }, { p: 2 }]);
    assert.throws(() => createOperatorStateStore(snap).getUnionListState('l'), { code: 'WEIR_STATE_DESCRIPTOR_CONFLICT' });
    // a restored state nobody asked for is carried into the next snapshot
    assert.deepEqual(createOperatorStateStore(snap).snapshot(), snap);
  });

  test('1 → 3: split state is cut into contiguous even chunks, union state goes to everyone', () => {
    const out = redistributeOperatorState([subtask([0, 1, 2, 3, 4, 5, 6], ['a', 'b'])], 3);
    assert.equal(out.length, 3);
    assert.deepEqual(out.map((s) => items(s, 'offsets')), [[0, 1, 2], [3, 4], [5, 6]]);
    for (const s of out) assert.deepEqual(items(s, 'watermarks'), ['a', 'b']);
    for (const s of out) assert.equal(s.states.offsets!.mode, 'split');
  });

  test('3 → 2: old lists are concatenated in subtask order and split; unions merge', () => {
    const old = [subtask([10, 11], ['w0']), subtask([20], ['w1']), subtask([30, 31, 32], ['w2'])];
    const out = redistributeOperatorState(old, 2);
    assert.deepEqual(out.map((s) => items(s, 'offsets')), [[10, 11, 20], [30, 31, 32]]);
    for (const s of out) assert.deepEqual(items(s, 'watermarks'), ['w0', 'w1', 'w2']);
    const all = out.flatMap((s) => items(s, 'offsets'));
    assert.deepEqual(all, [10, 11, 20, 30, 31, 32]);
  });

  test("remainders of successive split states start where the previous one stopped (Flink's round robin)", () => {
    const a = createOperatorStateStore();
    a.getListState('a').addAll([1, 2, 3, 4]);
    a.getListState('b').addAll([1, 2, 3, 4]);
    const out = redistributeOperatorState([a.snapshot()], 3);
    assert.deepEqual(out.map((s) => items(s, 'a')), [[1, 2], [3], [4]]);
    assert.deepEqual(out.map((s) => items(s, 'b')), [[4], [1, 2], [3]]);
  });

  test('same parallelism keeps split state in place and still merges unions', () => {
    const old = [subtask([1], ['x']), subtask([2, 3], ['y'])];
    const out = redistributeOperatorState(old, 2);
    assert.deepEqual(out.map((s) => items(s, 'offsets')), [[1], [2, 3]]);
    assert.deepEqual(out.map((s) => items(s, 'watermarks')), [['x', 'y'], ['x', 'y']]);
    assert.throws(() => redistributeOperatorState(old, 0), { code: 'WEIR_INVALID_PARALLELISM' });
  });
});
