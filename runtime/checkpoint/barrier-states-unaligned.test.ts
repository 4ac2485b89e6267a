import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { barrier, harness, permutations, triggerString } from './barrier-test-support.ts';

const POS = [10, 20, 30];

describe('unaligned barrier handling (exactly-once)', () => {
  for (const order of permutations([0, 1, 2])) {
    test(`priority barriers in order ${order.join(',')}: trigger on the first with every channel captured, end each capture at its position`, () => {
      const h = harness('exactly-once', 3, 1003);
      h.handler.onPriorityBarrier(order[0]!, barrier(1, 'unaligned', { position: POS[order[0]!] }));
      assert.equal(h.handler.stateName, 'CollectingBarriersUnaligned');
      h.clock.set(1010);
      h.handler.onPriorityBarrier(order[1]!, barrier(1, 'unaligned', { position: POS[order[1]!] }));
      h.clock.set(1023);
      h.handler.onPriorityBarrier(order[2]!, barrier(1, 'unaligned', { position: POS[order[2]!] }));
      assert.deepEqual(h.calls(), [
        triggerString(1, true, 0, 3, [0, 1, 2]),
        `end(1 ${order[0]}@${POS[order[0]!]})`,
        `end(1 ${order[1]}@${POS[order[1]!]})`,
        `end(1 ${order[2]}@${POS[order[2]!]})`,
      ]);
      assert.equal(h.handler.stateName, 'WaitingForFirstBarrier');
      for (const c of [0, 1, 2]) assert.equal(h.handler.isBlocked(c), false);
    });
  }

  test('a single channel: trigger and end at once', () => {
    const h = harness('exactly-once', 1);
    h.handler.onPriorityBarrier(0, barrier(3, 'unaligned', { position: 4 }));
    assert.deepEqual(h.calls(), [triggerString(3, true, 0, 0, [0]), 'end(3 0@4)']);
    assert.equal(h.handler.stateName, 'WaitingForFirstBarrier');
  });

  test('duplicates are ignored: a second priority barrier, or an in-band copy, on a handled channel', () => {
    const h = harness('exactly-once', 2);
    h.handler.onPriorityBarrier(0, barrier(1, 'unaligned', { position: 5 }));
    h.handler.onPriorityBarrier(0, barrier(1, 'unaligned', { position: 5 }));
    h.handler.onBarrier(0, barrier(1, 'unaligned', { position: 5 }));
    assert.deepEqual(h.calls(), [triggerString(1, true, 0, 0, [0, 1]), 'end(1 0@5)']);
    h.handler.onPriorityBarrier(1, barrier(1, 'unaligned', { position: 8 }));
    h.handler.onBarrier(1, barrier(1, 'unaligned', { position: 8 }));
    h.handler.onPriorityBarrier(0, barrier(1, 'unaligned', { position: 5 }));
    assert.deepEqual(h.calls(), ['end(1 1@8)']);
    assert.equal(h.handler.stateName, 'WaitingForFirstBarrier');
  });

  test('an in-band copy arriving first ends its channel at its own index', () => {
    const h = harness('exactly-once', 2);
    h.handler.onBarrier(1, barrier(1, 'unaligned', { position: 12 }));
    assert.deepEqual(h.calls(), [triggerString(1, true, 0, 0, [0, 1]), 'end(1 1@12)']);
  });

  test('an ended channel is not captured; EndOfPartition ends an open capture at its index', () => {
    const h = harness('exactly-once', 3);
    h.handler.onEndOfPartition(2, 40);
    h.handler.onPriorityBarrier(1, barrier(1, 'unaligned', { position: 9 }));
    assert.deepEqual(h.calls(), [triggerString(1, true, 0, 0, [0, 1]), 'end(1 1@9)']);
    h.handler.onEndOfPartition(0, 17);
    assert.deepEqual(h.calls(), ['end(1 0@17)']);
    assert.equal(h.handler.stateName, 'WaitingForFirstBarrier');
  });

  test('EndOfPartition on a captured channel without a position throws and changes nothing', () => {
    const h = harness('exactly-once', 2);
    h.handler.onPriorityBarrier(1, barrier(1, 'unaligned', { position: 9 }));
    h.calls();
    assert.throws(() => h.handler.onEndOfPartition(0), { code: 'WEIR_BARRIER_END_POSITION_REQUIRED' });
    assert.deepEqual(h.calls(), []);
    h.handler.onPriorityBarrier(0, barrier(1, 'unaligned', { position: 3 }));
    assert.deepEqual(h.calls(), ['end(1 0@3)']);
    // Not captured any more: no position needed.
    h.handler.onEndOfPartition(0);
    assert.deepEqual(h.calls(), []);
  });

  test('a newer unaligned barrier subsumes the unfinished one', () => {
    const h = harness('exactly-once', 3);
    h.handler.onPriorityBarrier(0, barrier(1, 'unaligned', { position: 5 }));
    h.clock.set(1050);
    h.handler.onPriorityBarrier(1, barrier(2, 'unaligned', { position: 7, timestamp: 1040 }));
    assert.deepEqual(h.calls(), [
      triggerString(1, true, 0, 0, [0, 1, 2]),
      'end(1 0@5)',
      'abort(1 CHECKPOINT_SUBSUMED)',
      triggerString(2, true, 0, 10, [0, 1, 2]),
      'end(2 1@7)',
    ]);
    h.handler.onPriorityBarrier(2, barrier(1, 'unaligned', { position: 6 })); // old
    assert.deepEqual(h.calls(), []);
    assert.equal(h.handler.isPending(2), true);
  });

  test('cancel marker and coordinator abort of an unaligned checkpoint still collecting', () => {
    const h = harness('exactly-once', 2);
    h.handler.onPriorityBarrier(0, barrier(1, 'unaligned', { position: 5 }));
    h.handler.onCancelMarker(1, 1);
    assert.deepEqual(h.calls(), [triggerString(1, true, 0, 0, [0, 1]), 'end(1 0@5)', 'abort(1 CHECKPOINT_DECLINED_ON_CANCELLATION_BARRIER)']);
    h.handler.onPriorityBarrier(1, barrier(1, 'unaligned', { position: 6 }));
    assert.deepEqual(h.calls(), []);
    h.handler.onPriorityBarrier(1, barrier(2, 'unaligned', { position: 8 }));
    h.handler.onAbortFromCoordinator(2, 'CHECKPOINT_EXPIRED');
    h.handler.onAbortFromCoordinator(2, 'CHECKPOINT_EXPIRED');
    assert.deepEqual(h.calls(), [triggerString(2, true, 0, 0, [0, 1]), 'end(2 1@8)', 'abort(2 CHECKPOINT_EXPIRED)']);
    assert.equal(h.handler.stateName, 'WaitingForFirstBarrier');
  });

  test('an abort for a completed checkpoint is not echoed', () => {
    const h = harness('exactly-once', 1);
    h.handler.onPriorityBarrier(0, barrier(1, 'unaligned', { position: 5 }));
    h.calls();
    h.handler.onAbortFromCoordinator(1, 'CHECKPOINT_EXPIRED');
    h.handler.onCancelMarker(0, 1);
    assert.deepEqual(h.calls(), []);
  });
});
