import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { barrier, harness, permutations, triggerString } from './barrier-test-support.ts';

const SUBSUMED = 'CHECKPOINT_SUBSUMED';
const ON_CANCEL = 'CHECKPOINT_DECLINED_ON_CANCELLATION_BARRIER';

describe('aligned barrier handling (exactly-once)', () => {
  for (const order of permutations([0, 1, 2])) {
    test(`barriers arriving in order ${order.join(',')}: block the first two, trigger on the last, unblock`, () => {
      const h = harness('exactly-once', 3, 1005);
      const b = barrier(1, 'aligned');
      h.handler.onBarrier(order[0]!, b);
      assert.equal(h.handler.stateName, 'CollectingBarriers');
      h.clock.set(1015);
      h.handler.onBarrier(order[1]!, b);
      assert.equal(h.handler.isBlocked(order[0]!), true);
      assert.equal(h.handler.isBlocked(order[1]!), true);
      assert.equal(h.handler.isBlocked(order[2]!), false);
      h.clock.set(1035);
      h.handler.onBarrier(order[2]!, b);
      const firstTwo = [order[0]!, order[1]!].sort((a, z) => a - z);
      assert.deepEqual(h.calls(), [
        `block(${order[0]})`,
        `block(${order[1]})`,
        triggerString(1, false, 30, 5, []),
        `unblock(${firstTwo[0]})`,
        `unblock(${firstTwo[1]})`,
      ]);
      assert.equal(h.handler.stateName, 'WaitingForFirstBarrier');
      for (const c of [0, 1, 2]) assert.equal(h.handler.isBlocked(c), false);
      assert.equal(h.handler.currentCheckpointId, 1);
    });
  }

  test('a single input channel triggers at once without blocking', () => {
    const h = harness('exactly-once', 1, 1002);
    h.handler.onBarrier(0, barrier(7, 'aligned', { kind: 'savepoint' }));
    assert.deepEqual(h.calls(), [triggerString(7, false, 0, 2, [])]);
    assert.equal(h.controller.triggers[0]!.barrier.kind, 'savepoint');
    assert.equal(h.handler.stateName, 'WaitingForFirstBarrier');
  });

  test('duplicate barriers on one channel and barriers of finished checkpoints are ignored', () => {
    const h = harness('exactly-once', 2);
    h.handler.onBarrier(0, barrier(1, 'aligned'));
    h.handler.onBarrier(0, barrier(1, 'aligned'));
    assert.deepEqual(h.calls(), ['block(0)']);
    h.handler.onBarrier(1, barrier(1, 'aligned'));
    assert.deepEqual(h.calls(), [triggerString(1, false, 0, 0, []), 'unblock(0)']);
    h.handler.onBarrier(1, barrier(1, 'aligned'));
    h.handler.onBarrier(0, barrier(0, 'aligned'));
    assert.deepEqual(h.calls(), []);
    assert.equal(h.handler.stateName, 'WaitingForFirstBarrier');
  });

  test('a priority-lane copy of an aligned barrier is ignored', () => {
    const h = harness('exactly-once', 2);
    h.handler.onPriorityBarrier(0, barrier(1, 'aligned'));
    assert.deepEqual(h.calls(), []);
    assert.equal(h.handler.stateName, 'WaitingForFirstBarrier');
    h.handler.onBarrier(0, barrier(1, 'aligned'));
    assert.deepEqual(h.calls(), ['block(0)']);
  });

  test('end of partition while aligning: the ended channel no longer counts', () => {
    const h = harness('exactly-once', 3);
    h.handler.onBarrier(0, barrier(1, 'aligned'));
    h.clock.set(1010);
    h.handler.onEndOfPartition(1);
    assert.deepEqual(h.calls(), ['block(0)']);
    h.clock.set(1020);
    h.handler.onBarrier(2, barrier(1, 'aligned'));
    assert.deepEqual(h.calls(), [triggerString(1, false, 20, 0, []), 'unblock(0)']);
    // Checkpoint 2 only needs channels 0 and 2.
    h.handler.onBarrier(2, barrier(2, 'aligned', { timestamp: 1015 }));
    h.clock.set(1030);
    h.handler.onBarrier(0, barrier(2, 'aligned', { timestamp: 1015 }));
    assert.deepEqual(h.calls(), ['block(2)', triggerString(2, false, 10, 5, []), 'unblock(2)']);
  });

  test('the last missing channel ending triggers the checkpoint', () => {
    const h = harness('exactly-once', 3);
    h.handler.onBarrier(2, barrier(1, 'aligned'));
    h.clock.set(1004);
    h.handler.onBarrier(0, barrier(1, 'aligned'));
    h.clock.set(1009);
    h.handler.onEndOfPartition(1, 55);
    assert.deepEqual(h.calls(), ['block(2)', 'block(0)', triggerString(1, false, 9, 0, []), 'unblock(0)', 'unblock(2)']);
    assert.equal(h.handler.stateName, 'WaitingForFirstBarrier');
    // A barrier on an ended channel is ignored.
    h.handler.onBarrier(1, barrier(2, 'aligned'));
    assert.deepEqual(h.calls(), []);
    h.handler.onEndOfPartition(1, 56); // second EndOfPartition: ignored
    assert.deepEqual(h.calls(), []);
  });

  test('a newer barrier subsumes the unfinished checkpoint', () => {
    const h = harness('exactly-once', 3);
    h.handler.onBarrier(0, barrier(1, 'aligned'));
    h.clock.set(1010);
    h.handler.onBarrier(1, barrier(2, 'aligned', { timestamp: 1008 }));
    assert.deepEqual(h.calls(), ['block(0)', `abort(1 ${SUBSUMED})`, 'unblock(0)', 'block(1)']);
    assert.equal(h.handler.isBlocked(0), false);
    h.handler.onBarrier(2, barrier(1, 'aligned')); // old: ignored
    assert.deepEqual(h.calls(), []);
    h.clock.set(1013);
    h.handler.onBarrier(0, barrier(2, 'aligned', { timestamp: 1008 }));
    h.clock.set(1016);
    h.handler.onBarrier(2, barrier(2, 'aligned', { timestamp: 1008 }));
    assert.deepEqual(h.calls(), ['block(0)', triggerString(2, false, 6, 2, []), 'unblock(0)', 'unblock(1)']);
  });

  test('a cancel marker aborts once, unblocks, and the aborted barrier is not re-triggered', () => {
    const h = harness('exactly-once', 3);
    h.handler.onBarrier(0, barrier(1, 'aligned'));
    h.handler.onBarrier(1, barrier(1, 'aligned'));
    h.handler.onCancelMarker(2, 1);
    assert.deepEqual(h.calls(), ['block(0)', 'block(1)', `abort(1 ${ON_CANCEL})`, 'unblock(0)', 'unblock(1)']);
    assert.equal(h.handler.stateName, 'WaitingForFirstBarrier');
    h.handler.onBarrier(2, barrier(1, 'aligned'));
    h.handler.onCancelMarker(0, 1);
    h.handler.onAbortFromCoordinator(1, 'CHECKPOINT_DECLINED');
    assert.deepEqual(h.calls(), []);
  });

  test('abort from the coordinator while aligning', () => {
    const h = harness('exactly-once', 2);
    h.handler.onBarrier(1, barrier(4, 'aligned'));
    h.handler.onAbortFromCoordinator(4, 'CHECKPOINT_EXPIRED');
    assert.deepEqual(h.calls(), ['block(1)', 'abort(4 CHECKPOINT_EXPIRED)', 'unblock(1)']);
    h.handler.onBarrier(0, barrier(4, 'aligned'));
    h.handler.onAbortFromCoordinator(4, 'CHECKPOINT_EXPIRED');
    assert.deepEqual(h.calls(), []);
  });

  test('a checkpoint aborted before its first barrier never starts; the pending one is left alone', () => {
    const h = harness('exactly-once', 2);
    h.handler.onBarrier(0, barrier(1, 'aligned'));
    h.handler.onAbortFromCoordinator(2, 'CHECKPOINT_DECLINED');
    h.handler.onCancelMarker(1, 2); // not echoed a second time
    assert.deepEqual(h.calls(), ['block(0)', 'abort(2 CHECKPOINT_DECLINED)']);
    assert.equal(h.handler.currentCheckpointId, 2);
    h.handler.onBarrier(1, barrier(1, 'aligned'));
    assert.deepEqual(h.calls(), [triggerString(1, false, 0, 0, []), 'unblock(0)']);
    h.handler.onBarrier(1, barrier(2, 'aligned'));
    h.handler.onBarrier(0, barrier(2, 'aligned'));
    assert.deepEqual(h.calls(), []);
    h.handler.onBarrier(1, barrier(3, 'aligned'));
    assert.deepEqual(h.calls(), ['block(1)']);
  });

  test('a cancel marker for a newer checkpoint while one is pending declines only the newer one', () => {
    const h = harness('exactly-once', 3);
    h.handler.onBarrier(0, barrier(5, 'aligned'));
    h.handler.onCancelMarker(1, 6);
    assert.deepEqual(h.calls(), ['block(0)', `abort(6 ${ON_CANCEL})`]);
    assert.equal(h.handler.stateName, 'CollectingBarriers');
    assert.equal(h.handler.isPending(5), true);
  });
});
