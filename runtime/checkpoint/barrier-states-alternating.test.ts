import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BarrierHandler } from './barrier-handler.ts';
import { barrier, harness, permutations, triggerString } from './barrier-test-support.ts';

// Trigger at 1000, timeout 100: timed out once the clock reads > 1100; the timer is set for 1101.
const TS = 1000;
const POS = [17, 23, 31];
const awt = (id: number, channel: number, over = {}) => barrier(id, 'aligned-with-timeout', { position: POS[channel], ...over });

interface Ev {
  type: 'A' | 'B'; // announcement (priority lane) | in-band barrier
  ch: number;
}

/** Declarative expectation for one checkpoint over 3 channels, timed out from event `j` on (detected on arrival). */
function expected(order: Ev[], j: number, time: (i: number) => number): string[] {
  const calls: string[] = [];
  const arrived = new Set<number>();
  const announced = new Set<number>();
  const blocked: number[] = [];
  const awaitingEnd = new Set<number>();
  let firstB: number | undefined;
  let unaligned = false;
  let done = false;
  const unblockAll = () => blocked.sort((a, b) => a - b).forEach((c) => calls.push(`unblock(${c})`));
  const switchAt = (t: number) => {
    const first = firstB ?? t;
    const capture = [0, 1, 2].filter((c) => !arrived.has(c));
    calls.push(triggerString(1, true, t - first, first - TS, capture));
    for (const c of capture) {
      if (announced.has(c)) calls.push(`end(1 ${c}@${POS[c]})`);
      else awaitingEnd.add(c);
    }
    unblockAll();
    unaligned = true;
    done = awaitingEnd.size === 0;
  };
  order.forEach((ev, i) => {
    const t = time(i);
    if (done) return;
    if (unaligned) {
      if (awaitingEnd.delete(ev.ch)) {
        calls.push(`end(1 ${ev.ch}@${POS[ev.ch]})`);
        done = awaitingEnd.size === 0;
      }
      return;
    }
    if (ev.type === 'A') {
      announced.add(ev.ch);
      if (i >= j) switchAt(t);
      return;
    }
    arrived.add(ev.ch);
    firstB ??= t;
    if (arrived.size === 3) {
      calls.push(triggerString(1, false, t - firstB, firstB - TS, []));
      unblockAll();
      done = true;
    } else if (i >= j) switchAt(t);
    else {
      calls.push(`block(${ev.ch})`);
      blocked.push(ev.ch);
    }
  });
  return calls;
}

describe('aligned-with-timeout barrier handling (exactly-once)', () => {
  test('every interleaving of 3 announcements and 3 in-band barriers, with the timeout detected on arrival before each event', () => {
    const events: Ev[] = [0, 1, 2].flatMap((ch) => [
      { type: 'A' as const, ch },
      { type: 'B' as const, ch },
    ]);
    let runs = 0;
    let switched = 0;
    for (const order of permutations(events)) {
      for (let j = 0; j <= order.length; j++) {
        const time = (i: number) => (i < j ? TS + 10 * i : TS + 200 + 10 * i);
        const h = harness('exactly-once', 3, TS);
        order.forEach((ev, i) => {
          h.clock.set(time(i)); // set, not advance: the timer does not fire, the arrival detects the timeout
          if (ev.type === 'A') h.handler.onPriorityBarrier(ev.ch, awt(1, ev.ch));
          else h.handler.onBarrier(ev.ch, awt(1, ev.ch));
        });
        const calls = h.calls();
        assert.deepEqual(calls, expected(order, j, time), `order ${order.map((e) => e.type + e.ch).join(' ')} timeout before event ${j}`);
        assert.equal(h.handler.stateName, 'WaitingForFirstBarrier');
        assert.equal(h.timers.pendingCount, 0);
        for (const c of [0, 1, 2]) assert.equal(h.handler.isBlocked(c), false);
        if (calls.some((c) => c.includes('unaligned'))) switched++;
        runs++;
      }
    }
    assert.equal(runs, 720 * 7);
    assert.ok(switched > 0 && switched < runs);
  });

  test('the timer switches to unaligned while waiting; later copies end the remaining captures', () => {
    const h = harness('exactly-once', 3, TS);
    h.timers.advanceTo(1004);
    h.handler.onPriorityBarrier(0, awt(1, 0));
    h.handler.onPriorityBarrier(1, awt(1, 1));
    h.handler.onBarrier(0, awt(1, 0));
    assert.deepEqual(h.calls(), ['block(0)']);
    assert.equal(h.handler.stateName, 'AlternatingCollectingBarriers');
    assert.equal(h.timers.nextAt(), 1101);
    h.timers.advanceTo(1100);
    assert.deepEqual(h.calls(), []); // exactly the timeout has passed: still aligned
    h.timers.advanceTo(1150);
    assert.deepEqual(h.calls(), [triggerString(1, true, 97, 4, [1, 2]), 'end(1 1@23)', 'unblock(0)']);
    assert.equal(h.handler.stateName, 'AlternatingCollectingBarriersUnaligned');
    h.handler.onBarrier(1, awt(1, 1)); // in-band copy of an ended capture: ignored
    assert.deepEqual(h.calls(), []);
    h.handler.onBarrier(2, awt(1, 2)); // the in-band barrier comes before its announcement
    assert.deepEqual(h.calls(), ['end(1 2@31)']);
    assert.equal(h.handler.stateName, 'WaitingForFirstBarrier');
    h.handler.onPriorityBarrier(2, awt(1, 2));
    assert.deepEqual(h.calls(), []);
    assert.equal(h.timers.pendingCount, 0);
  });

  test('an upstream that timed out forwards the barrier unaligned: switch at once, its position ends the capture', () => {
    const h = harness('exactly-once', 3, 1010);
    h.handler.onPriorityBarrier(0, awt(1, 0));
    h.handler.onBarrier(0, awt(1, 0));
    assert.deepEqual(h.calls(), ['block(0)']);
    // Channel 1's producer switched to unaligned: a priority barrier, and never an in-band one.
    h.handler.onPriorityBarrier(1, barrier(1, 'unaligned', { position: 40 }));
    assert.deepEqual(h.calls(), [triggerString(1, true, 0, 10, [1, 2]), 'end(1 1@40)', 'unblock(0)']);
    assert.equal(h.handler.stateName, 'AlternatingCollectingBarriersUnaligned');
    h.handler.onPriorityBarrier(2, awt(1, 2));
    assert.deepEqual(h.calls(), ['end(1 2@31)']);
    assert.equal(h.handler.stateName, 'WaitingForFirstBarrier');
  });

  test('an arrival exactly at the timeout stays aligned; one millisecond later switches', () => {
    const h = harness('exactly-once', 2, TS);
    h.handler.onBarrier(0, awt(1, 0));
    h.clock.set(1100);
    h.handler.onPriorityBarrier(1, awt(1, 1));
    assert.deepEqual(h.calls(), ['block(0)']);
    h.clock.set(1101);
    h.handler.onPriorityBarrier(1, awt(1, 1)); // duplicate announcement: still checks the timeout
    assert.deepEqual(h.calls(), [triggerString(1, true, 101, 0, [1]), 'end(1 1@23)', 'unblock(0)']);
    assert.equal(h.handler.stateName, 'WaitingForFirstBarrier');
  });

  test('a first announcement after the timeout goes unaligned at once (no timer)', () => {
    const h = harness('exactly-once', 3, 1105);
    h.handler.onPriorityBarrier(1, awt(1, 1));
    assert.deepEqual(h.calls(), [triggerString(1, true, 0, 105, [0, 1, 2]), 'end(1 1@23)']);
    assert.equal(h.handler.stateName, 'AlternatingCollectingBarriersUnaligned');
    assert.equal(h.timers.pendingCount, 0);
  });

  test('a first in-band barrier after the timeout goes unaligned at once without capturing its own channel', () => {
    const h = harness('exactly-once', 3, 1120);
    h.handler.onBarrier(2, awt(1, 2));
    assert.deepEqual(h.calls(), [triggerString(1, true, 0, 120, [0, 1])]);
    h.handler.onPriorityBarrier(0, awt(1, 0));
    h.handler.onPriorityBarrier(1, awt(1, 1));
    assert.deepEqual(h.calls(), ['end(1 0@17)', 'end(1 1@23)']);
    assert.equal(h.handler.stateName, 'WaitingForFirstBarrier');
  });

  test('the last in-band barrier after the timeout completes aligned; the next checkpoint starts aligned again', () => {
    const h = harness('exactly-once', 2, TS);
    h.handler.onBarrier(0, awt(1, 0));
    h.clock.set(1300);
    h.handler.onBarrier(1, awt(1, 1));
    assert.deepEqual(h.calls(), ['block(0)', triggerString(1, false, 300, 0, []), 'unblock(0)']);
    assert.equal(h.timers.pendingCount, 0);
    // Checkpoint 2 times out and goes unaligned; checkpoint 3 starts aligned again.
    h.handler.onPriorityBarrier(0, awt(2, 0, { timestamp: 1300 }));
    h.timers.advanceTo(1401);
    assert.deepEqual(h.calls(), [triggerString(2, true, 0, 101, [0, 1]), 'end(2 0@17)']);
    h.handler.onBarrier(1, awt(2, 1, { timestamp: 1300 }));
    assert.deepEqual(h.calls(), ['end(2 1@23)']);
    h.clock.set(1500);
    h.handler.onBarrier(1, awt(3, 1, { timestamp: 1495 }));
    assert.deepEqual(h.calls(), ['block(1)']);
    assert.equal(h.handler.stateName, 'AlternatingCollectingBarriers');
  });

  test('an announcement overtaking an older in-band barrier is deferred and applied when its checkpoint starts', () => {
    const h = harness('exactly-once', 3, TS);
    for (const c of [0, 1, 2]) h.handler.onPriorityBarrier(c, awt(1, c));
    h.handler.onBarrier(0, awt(1, 0));
    h.handler.onBarrier(1, awt(1, 1));
    h.clock.set(1020);
    // Channel 2's producer already passed checkpoint 2: its announcement overtakes in-band barrier 1.
    h.handler.onPriorityBarrier(2, awt(2, 2, { timestamp: 1015, position: 44 }));
    assert.deepEqual(h.calls(), ['block(0)', 'block(1)']);
    assert.equal(h.handler.isPending(1), true);
    assert.equal(h.handler.currentCheckpointId, 2);
    h.clock.set(1030);
    h.handler.onBarrier(2, awt(1, 2));
    // Checkpoint 1 completes aligned; checkpoint 2 then starts from the deferred announcement.
    assert.deepEqual(h.calls(), [triggerString(1, false, 30, 0, []), 'unblock(0)', 'unblock(1)']);
    assert.equal(h.handler.stateName, 'AlternatingCollectingBarriers');
    assert.equal(h.handler.isPending(2), true);
    assert.equal(h.timers.nextAt(), 1116);
    h.timers.advanceTo(1116);
    assert.deepEqual(h.calls(), [triggerString(2, true, 0, 101, [0, 1, 2]), 'end(2 2@44)']);
    h.handler.onPriorityBarrier(0, awt(2, 0, { timestamp: 1015, position: 50 }));
    h.handler.onBarrier(1, awt(2, 1, { timestamp: 1015, position: 51 }));
    assert.deepEqual(h.calls(), ['end(2 0@50)', 'end(2 1@51)']);
    assert.equal(h.handler.stateName, 'WaitingForFirstBarrier');
  });

  test('a deferred announcement is applied when a newer in-band barrier subsumes the pending checkpoint', () => {
    const h = harness('exactly-once', 3, TS);
    h.handler.onBarrier(0, awt(1, 0));
    h.handler.onPriorityBarrier(2, awt(2, 2, { position: 44 }));
    h.clock.set(1150);
    h.handler.onBarrier(1, awt(2, 1, { position: 45 }));
    // 1 had not timed out on arrival of the announcement; barrier 2 (already timed out) subsumes it.
    assert.deepEqual(h.calls(), [
      'block(0)',
      'abort(1 CHECKPOINT_SUBSUMED)',
      'unblock(0)',
      triggerString(2, true, 0, 150, [0, 2]),
      'end(2 2@44)',
    ]);
    h.handler.onBarrier(0, awt(1, 0)); // old
    h.handler.onPriorityBarrier(0, awt(2, 0, { position: 46 }));
    assert.deepEqual(h.calls(), ['end(2 0@46)']);
    assert.equal(h.timers.pendingCount, 0);
  });

  test('a newer in-band barrier subsumes a checkpoint that switched to unaligned and still awaits positions', () => {
    const h = harness('exactly-once', 2, TS);
    h.handler.onBarrier(0, awt(1, 0));
    h.timers.advanceTo(1101);
    assert.equal(h.handler.stateName, 'AlternatingCollectingBarriersUnaligned');
    h.clock.set(1110);
    h.handler.onBarrier(0, awt(2, 0, { timestamp: 1105 }));
    assert.deepEqual(h.calls(), [
      'block(0)',
      triggerString(1, true, 101, 0, [1]),
      'unblock(0)',
      'abort(1 CHECKPOINT_SUBSUMED)',
      'block(0)',
    ]);
    assert.equal(h.handler.stateName, 'AlternatingCollectingBarriers');
    assert.equal(h.timers.nextAt(), 1206);
    h.handler.onPriorityBarrier(1, awt(1, 1)); // old announcement: ignored
    h.handler.onBarrier(1, awt(2, 1, { timestamp: 1105 }));
    assert.deepEqual(h.calls(), [triggerString(2, false, 0, 5, []), 'unblock(0)']);
    assert.equal(h.timers.pendingCount, 0);
  });

  test('a deferred announcement of a checkpoint aborted meanwhile is dropped', () => {
    const h = harness('exactly-once', 2, TS);
    h.handler.onBarrier(0, awt(1, 0));
    h.handler.onPriorityBarrier(1, awt(2, 1));
    h.handler.onAbortFromCoordinator(2, 'CHECKPOINT_EXPIRED');
    h.handler.onBarrier(1, awt(1, 1));
    assert.deepEqual(h.calls(), ['block(0)', 'abort(2 CHECKPOINT_EXPIRED)', triggerString(1, false, 0, 0, []), 'unblock(0)']);
    assert.equal(h.handler.stateName, 'WaitingForFirstBarrier');
    assert.equal(h.timers.pendingCount, 0);
  });

  test('a deferred announcement already timed out when applied switches at once', () => {
    const h = harness('exactly-once', 2, TS);
    h.handler.onBarrier(0, awt(1, 0, { alignedTimeoutMs: 10_000 }));
    h.handler.onPriorityBarrier(1, awt(2, 1, { position: 70 }));
    h.clock.set(1200);
    h.handler.onBarrier(1, awt(1, 1, { alignedTimeoutMs: 10_000 }));
    assert.deepEqual(h.calls(), ['block(0)', triggerString(1, false, 200, 0, []), 'unblock(0)', triggerString(2, true, 0, 200, [0, 1]), 'end(2 1@70)']);
    assert.equal(h.handler.stateName, 'AlternatingCollectingBarriersUnaligned');
  });

  test('cancel marker in the aligned phase cancels the timer and unblocks', () => {
    const h = harness('exactly-once', 3, TS);
    h.handler.onBarrier(0, awt(1, 0));
    h.handler.onCancelMarker(1, 1);
    assert.deepEqual(h.calls(), ['block(0)', 'abort(1 CHECKPOINT_DECLINED_ON_CANCELLATION_BARRIER)', 'unblock(0)']);
    assert.equal(h.timers.pendingCount, 0);
    h.timers.advanceTo(2000);
    h.handler.onPriorityBarrier(2, awt(1, 2));
    assert.deepEqual(h.calls(), []);
  });

  test('abort from the coordinator after the switch; later copies are ignored', () => {
    const h = harness('exactly-once', 2, TS);
    h.handler.onPriorityBarrier(0, awt(1, 0));
    h.timers.advanceTo(1101);
    h.handler.onAbortFromCoordinator(1, 'CHECKPOINT_EXPIRED');
    h.handler.onPriorityBarrier(1, awt(1, 1));
    h.handler.onBarrier(1, awt(1, 1));
    assert.deepEqual(h.calls(), [triggerString(1, true, 0, 101, [0, 1]), 'end(1 0@17)', 'abort(1 CHECKPOINT_EXPIRED)']);
  });

  test('EndOfPartition: the last missing channel ending completes aligned; after the switch it ends a capture', () => {
    const a = harness('exactly-once', 3, TS);
    a.handler.onBarrier(0, awt(1, 0));
    a.handler.onBarrier(1, awt(1, 1));
    a.clock.set(1040);
    a.handler.onEndOfPartition(2, 99);
    assert.deepEqual(a.calls(), ['block(0)', 'block(1)', triggerString(1, false, 40, 0, []), 'unblock(0)', 'unblock(1)']);
    assert.equal(a.timers.pendingCount, 0);

    const b = harness('exactly-once', 3, TS);
    b.handler.onBarrier(0, awt(1, 0));
    b.timers.advanceTo(1101);
    b.handler.onEndOfPartition(2, 29);
    b.handler.onEndOfPartition(1, 21);
    assert.deepEqual(b.calls(), ['block(0)', triggerString(1, true, 101, 0, [1, 2]), 'unblock(0)', 'end(1 2@29)', 'end(1 1@21)']);
    assert.equal(b.handler.stateName, 'WaitingForFirstBarrier');
  });

  test('a timer that fires early waits again', () => {
    // A timer service whose callback the test runs by hand, here before the deadline.
    const h = harness('exactly-once', 2, TS);
    let fire: (() => void) | undefined;
    const eager = { schedule: (_at: number, fn: () => void) => ((fire = fn), () => {}) };
    const handler = BarrierHandler.exactlyOnce({ numChannels: 2, controller: h.controller, clock: h.clock, scheduler: eager });
    handler.onBarrier(0, awt(1, 0));
    h.clock.set(1050);
    fire!();
    assert.equal(handler.stateName, 'AlternatingCollectingBarriers');
    h.clock.set(1101);
    fire!();
    assert.deepEqual(h.calls(), ['block(0)', triggerString(1, true, 101, 0, [1]), 'unblock(0)']);
  });
});
