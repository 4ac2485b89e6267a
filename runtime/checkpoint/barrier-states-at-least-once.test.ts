import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { barrier, harness, permutations, triggerString } from './barrier-test-support.ts';
import { MAX_TRACKED_CHECKPOINTS } from './barrier-states-at-least-once.ts';

describe('at-least-once barrier handling', () => {
  for (const order of permutations([0, 1, 2])) {
    test(`barriers in order ${order.join(',')}: never block, trigger on the last`, () => {
      const h = harness('at-least-once', 3, 1006);
      h.handler.onBarrier(order[0]!, barrier(1, 'aligned'));
      assert.equal(h.handler.stateName, 'AtLeastOnceCollectingBarriers');
      h.clock.set(1011);
      h.handler.onBarrier(order[1]!, barrier(1, 'aligned'));
      assert.deepEqual(h.calls(), []);
      for (const c of [0, 1, 2]) assert.equal(h.handler.isBlocked(c), false);
      h.clock.set(1026);
      h.handler.onBarrier(order[2]!, barrier(1, 'aligned'));
      assert.deepEqual(h.calls(), [triggerString(1, false, 20, 6, [])]);
      assert.equal(h.handler.stateName, 'AtLeastOnceWaitingForFirstBarrier');
    });
  }

  test('a fast channel may deliver the next barrier first: both checkpoints are tracked and triggered in order', () => {
    const h = harness('at-least-once', 2);
    h.handler.onBarrier(0, barrier(1, 'aligned'));
    h.clock.set(1010);
    h.handler.onBarrier(0, barrier(2, 'aligned', { timestamp: 1008 }));
    h.clock.set(1020);
    h.handler.onBarrier(1, barrier(1, 'aligned'));
    assert.deepEqual(h.calls(), [triggerString(1, false, 20, 0, [])]);
    assert.equal(h.handler.stateName, 'AtLeastOnceCollectingBarriers');
    h.clock.set(1030);
    h.handler.onBarrier(1, barrier(2, 'aligned', { timestamp: 1008 }));
    assert.deepEqual(h.calls(), [triggerString(2, false, 20, 2, [])]);
    assert.equal(h.handler.stateName, 'AtLeastOnceWaitingForFirstBarrier');
  });

  test('a newer checkpoint completing first subsumes the older tracked one', () => {
    const h = harness('at-least-once', 2);
    h.handler.onBarrier(0, barrier(1, 'aligned'));
    h.handler.onBarrier(0, barrier(2, 'aligned'));
    h.handler.onBarrier(1, barrier(2, 'aligned'));
    assert.deepEqual(h.calls(), ['abort(1 CHECKPOINT_SUBSUMED)', triggerString(2, false, 0, 0, [])]);
    h.handler.onBarrier(1, barrier(1, 'aligned'));
    assert.deepEqual(h.calls(), []);
    assert.equal(h.handler.stateName, 'AtLeastOnceWaitingForFirstBarrier');
  });

  test('duplicates and old barriers are ignored', () => {
    const h = harness('at-least-once', 2);
    h.handler.onBarrier(0, barrier(3, 'aligned'));
    h.handler.onBarrier(0, barrier(3, 'aligned'));
    h.handler.onBarrier(1, barrier(2, 'aligned'));
    assert.deepEqual(h.calls(), []);
    h.handler.onBarrier(1, barrier(3, 'aligned'));
    assert.deepEqual(h.calls(), [triggerString(3, false, 0, 0, [])]);
    h.handler.onBarrier(1, barrier(3, 'aligned'));
    assert.deepEqual(h.calls(), []);
  });

  test('end of partition: the last missing channel ending triggers', () => {
    const h = harness('at-least-once', 3);
    h.handler.onBarrier(0, barrier(1, 'aligned'));
    h.handler.onBarrier(1, barrier(1, 'aligned'));
    h.clock.set(1007);
    h.handler.onEndOfPartition(2);
    assert.deepEqual(h.calls(), [triggerString(1, false, 7, 0, [])]);
    h.handler.onBarrier(0, barrier(2, 'aligned'));
    h.handler.onBarrier(1, barrier(2, 'aligned'));
    assert.deepEqual(h.calls(), [triggerString(2, false, 0, 7, [])]);
  });

  test('cancel marker and coordinator abort remove only their checkpoint', () => {
    const h = harness('at-least-once', 2);
    h.handler.onBarrier(0, barrier(1, 'aligned'));
    h.handler.onBarrier(0, barrier(2, 'aligned'));
    h.handler.onCancelMarker(1, 1);
    assert.deepEqual(h.calls(), ['abort(1 CHECKPOINT_DECLINED_ON_CANCELLATION_BARRIER)']);
    h.handler.onBarrier(1, barrier(1, 'aligned'));
    assert.deepEqual(h.calls(), []);
    h.handler.onAbortFromCoordinator(2, 'CHECKPOINT_EXPIRED');
    h.handler.onCancelMarker(1, 2);
    assert.deepEqual(h.calls(), ['abort(2 CHECKPOINT_EXPIRED)']);
    assert.equal(h.handler.stateName, 'AtLeastOnceWaitingForFirstBarrier');
    h.handler.onBarrier(1, barrier(2, 'aligned'));
    assert.deepEqual(h.calls(), []);
  });

  test('aligned-with-timeout barriers count in-band; announcements are ignored; unaligned barriers are rejected', () => {
    const h = harness('at-least-once', 2);
    h.handler.onPriorityBarrier(0, barrier(1, 'aligned-with-timeout'));
    h.handler.onPriorityBarrier(1, barrier(1, 'aligned-with-timeout'));
    assert.equal(h.handler.stateName, 'AtLeastOnceWaitingForFirstBarrier');
    h.handler.onBarrier(0, barrier(1, 'aligned-with-timeout'));
    h.clock.set(5000); // no timeout, no switch: at-least-once never captures
    h.handler.onBarrier(1, barrier(1, 'aligned-with-timeout'));
    assert.deepEqual(h.calls(), [triggerString(1, false, 4000, 0, [])]);
    assert.equal(h.timers.pendingCount, 0);
    assert.throws(() => h.handler.onPriorityBarrier(0, barrier(2, 'unaligned')), { code: 'WEIR_BARRIER_UNSUPPORTED_ALIGNMENT' });
    assert.throws(() => h.handler.onBarrier(0, barrier(2, 'unaligned')), { code: 'WEIR_BARRIER_UNSUPPORTED_ALIGNMENT' });
  });

  test(`at most ${MAX_TRACKED_CHECKPOINTS} checkpoints are tracked; the oldest is given up`, () => {
    const h = harness('at-least-once', 2);
    for (let id = 1; id <= MAX_TRACKED_CHECKPOINTS + 1; id++) h.handler.onBarrier(0, barrier(id, 'aligned'));
    assert.deepEqual(h.calls(), ['abort(1 CHECKPOINT_SUBSUMED)']);
    h.handler.onBarrier(1, barrier(1, 'aligned'));
    h.handler.onBarrier(1, barrier(2, 'aligned'));
    assert.deepEqual(h.calls(), [triggerString(2, false, 0, 0, [])]);
  });
});
