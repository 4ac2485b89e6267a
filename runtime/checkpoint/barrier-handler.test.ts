import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BarrierHandler, type ConsistencyMode } from './barrier-handler.ts';
import { barrier, harness, RecordingController, triggerString } from './barrier-test-support.ts';
import { ManualScheduler } from './scheduler.ts';

describe('BarrierHandler (owner)', () => {
  test('forMode chooses the state family once; the idle state names are stable', () => {
    const timers = new ManualScheduler();
    const opts = { numChannels: 2, controller: new RecordingController(), clock: timers.clock, scheduler: timers };
    assert.equal(BarrierHandler.forMode('exactly-once', opts).stateName, 'WaitingForFirstBarrier');
    assert.equal(BarrierHandler.forMode('at-least-once', opts).stateName, 'AtLeastOnceWaitingForFirstBarrier');
    assert.equal(BarrierHandler.exactlyOnce(opts).stateName, 'WaitingForFirstBarrier');
    assert.equal(BarrierHandler.atLeastOnce(opts).stateName, 'AtLeastOnceWaitingForFirstBarrier');
    assert.throws(() => BarrierHandler.forMode('sometimes' as ConsistencyMode, opts), { code: 'WEIR_INVALID_ARGUMENT' });
    assert.throws(() => BarrierHandler.exactlyOnce({ ...opts, numChannels: 0 }), { code: 'WEIR_INVALID_ARGUMENT' });
    assert.throws(() => BarrierHandler.exactlyOnce({ ...opts, numChannels: 1.5 }), { code: 'WEIR_INVALID_ARGUMENT' });
  });

  test('bad channels and malformed barriers are rejected with codes', () => {
    const h = harness('exactly-once', 2);
    assert.throws(() => h.handler.onBarrier(2, barrier(1, 'aligned')), { code: 'WEIR_INVALID_ARGUMENT', message: /channels 0\.\.1/ });
    assert.throws(() => h.handler.onEndOfPartition(-1), { code: 'WEIR_INVALID_ARGUMENT' });
    assert.throws(() => h.handler.onEndOfPartition(0, -3), { code: 'WEIR_INVALID_ARGUMENT' });
    assert.throws(() => h.handler.onCancelMarker(0, 1.5), { code: 'WEIR_INVALID_ARGUMENT' });
    assert.throws(() => h.handler.onBarrier(0, barrier(-1, 'aligned')), { code: 'WEIR_BARRIER_INVALID' });
    assert.throws(() => h.handler.onPriorityBarrier(0, barrier(1, 'sideways' as 'aligned')), { code: 'WEIR_BARRIER_INVALID' });
    assert.throws(() => h.handler.onBarrier(0, barrier(1, 'unaligned', { position: 2.5 })), { code: 'WEIR_BARRIER_INVALID' });
    assert.deepEqual(h.calls(), []);
    assert.equal(h.handler.stateName, 'WaitingForFirstBarrier');
  });

  test('currentCheckpointId is the latest id seen; notifyComplete is bookkeeping only', () => {
    const h = harness('exactly-once', 2);
    assert.equal(h.handler.currentCheckpointId, -1);
    h.handler.onBarrier(0, barrier(3, 'aligned'));
    h.handler.onBarrier(1, barrier(2, 'aligned')); // old, still "seen"
    assert.equal(h.handler.currentCheckpointId, 3);
    h.handler.onNotifyComplete(9);
    assert.equal(h.handler.latestCompletedCheckpointId, 9);
    assert.equal(h.handler.currentCheckpointId, 9);
    assert.equal(h.handler.stateName, 'CollectingBarriers');
    assert.deepEqual(h.calls(), ['block(0)']);
  });

  test('a controller calling back into the handler is rejected', () => {
    const h = harness('exactly-once', 1);
    h.controller.onCall = () => h.handler.onBarrier(0, barrier(2, 'aligned'));
    assert.throws(() => h.handler.onBarrier(0, barrier(1, 'aligned')), { code: 'WEIR_BARRIER_HANDLER_REENTERED' });
    h.controller.onCall = undefined;
    h.handler.onBarrier(0, barrier(3, 'aligned')); // the handler is still usable
    assert.deepEqual(h.calls(), [triggerString(1, false, 0, 0, []), triggerString(3, false, 0, 0, [])]);
  });

  test('close cancels the timeout timer; later events are ignored', () => {
    const h = harness('exactly-once', 2);
    h.handler.onBarrier(0, barrier(1, 'aligned-with-timeout'));
    assert.equal(h.timers.pendingCount, 1);
    h.handler.close();
    assert.equal(h.timers.pendingCount, 0);
    h.timers.advanceTo(5000);
    h.handler.onBarrier(1, barrier(1, 'aligned-with-timeout'));
    h.handler.onCancelMarker(1, 1);
    assert.deepEqual(h.calls(), ['block(0)']);
    h.handler.close();
  });

  test('after every channel ended nothing can start through the inputs', () => {
    const h = harness('exactly-once', 2);
    h.handler.onEndOfPartition(0, 3);
    h.handler.onEndOfPartition(1, 4);
    h.handler.onBarrier(0, barrier(1, 'aligned'));
    h.handler.onPriorityBarrier(1, barrier(1, 'unaligned'));
    assert.deepEqual(h.calls(), []);
    assert.equal(h.handler.stateName, 'WaitingForFirstBarrier');
  });

  test('a full run mixing modes per checkpoint: aligned savepoint, unaligned, aligned-with-timeout', () => {
    const h = harness('exactly-once', 2);
    h.handler.onBarrier(1, barrier(1, 'aligned', { kind: 'savepoint' }));
    h.handler.onBarrier(0, barrier(1, 'aligned', { kind: 'savepoint' }));
    h.handler.onPriorityBarrier(0, barrier(2, 'unaligned', { position: 8 }));
    h.handler.onPriorityBarrier(1, barrier(2, 'unaligned', { position: 9 }));
    h.handler.onPriorityBarrier(1, barrier(3, 'aligned-with-timeout', { position: 12 }));
    h.handler.onBarrier(1, barrier(3, 'aligned-with-timeout', { position: 12 }));
    h.handler.onBarrier(0, barrier(3, 'aligned-with-timeout', { position: 10 }));
    assert.deepEqual(h.calls(), [
      'block(1)',
      triggerString(1, false, 0, 0, []),
      'unblock(1)',
      triggerString(2, true, 0, 0, [0, 1]),
      'end(2 0@8)',
      'end(2 1@9)',
      'block(1)',
      triggerString(3, false, 0, 0, []),
      'unblock(1)',
    ]);
    assert.deepEqual(
      h.controller.triggers.map((t) => t.barrier.kind),
      ['savepoint', 'checkpoint', 'checkpoint'],
    );
  });
});
