/**
 * Aligned-with-timeout checkpoints where a PRODUCER times out too (subtask-checkpointer.ts
 * `watchQueuedBarriers`): its in-band barrier was still queued in its output at the deadline, so
 * it sent an unaligned priority barrier at an earlier position q and persisted the frames in
 * between as output channel state. The consumer must end that channel's capture at q, even when
 * it had already ended it at the announced position.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { barrier, harness } from './barrier-test-support.ts';

const TS = 1000;
/** Announced (in-band) positions, and the positions of the producers' unaligned barriers. */
const POS = [17, 23, 31];
const OVERTAKEN_AT = [12, 20, 31];
const awt = (ch: number) => barrier(1, 'aligned-with-timeout', { position: POS[ch] });
const unaligned = (ch: number) => barrier(1, 'unaligned', { position: OVERTAKEN_AT[ch] });

type Ev = { type: 'A' | 'B' | 'U'; ch: number };

/** Every interleaving of the given per-channel sequences (each kept in order). */
function interleavings(seqs: readonly Ev[][]): Ev[][] {
  if (seqs.every((s) => s.length === 0)) return [[]];
  const out: Ev[][] = [];
  seqs.forEach((s, i) => {
    if (s.length === 0) return;
    const rest = seqs.map((t, k) => (k === i ? t.slice(1) : t));
    for (const tail of interleavings(rest)) out.push([s[0]!, ...tail]);
  });
  return out;
}

/**
 * Per channel: not overtaken → announcement and in-band barrier in either order; overtaken →
 * announcement, then the unaligned barrier (same priority lane, after it), then the obsolete
 * in-band copy (a data frame published after the unaligned barrier).
 */
function orders(overtaken: ReadonlySet<number>): Ev[][] {
  const choices = [0, 1, 2].map((ch): Ev[][] =>
    overtaken.has(ch)
      ? [[{ type: 'A', ch }, { type: 'U', ch }, { type: 'B', ch }]]
      : [[{ type: 'A', ch }, { type: 'B', ch }], [{ type: 'B', ch }, { type: 'A', ch }]],
  );
  const out: Ev[][] = [];
  for (const a of choices[0]!) for (const b of choices[1]!) for (const c of choices[2]!) out.push(...interleavings([a, b, c]));
  return out;
}

describe('aligned-with-timeout with producer-side timeouts', () => {
  test('every interleaving, every subset of overtaking producers, every timeout point: each capture ends where the producer decided', () => {
    let runs = 0;
    let lowered = 0;
    for (let mask = 0; mask < 8; mask++) {
      const overtaken = new Set([0, 1, 2].filter((c) => mask & (1 << c)));
      for (const order of orders(overtaken)) {
        for (let j = 0; j <= order.length; j++) {
          // A producer overtakes only once the timeout passed: an unaligned barrier comes at or after j.
          if (order.some((ev, i) => ev.type === 'U' && i < j)) continue;
          const time = (i: number) => (i < j ? TS + 10 * i : TS + 200 + 10 * i);
          const h = harness('exactly-once', 3, TS);
          order.forEach((ev, i) => {
            h.clock.set(time(i));
            if (ev.type === 'A') h.handler.onPriorityBarrier(ev.ch, awt(ev.ch));
            else if (ev.type === 'U') h.handler.onPriorityBarrier(ev.ch, unaligned(ev.ch));
            else h.handler.onBarrier(ev.ch, awt(ev.ch));
          });
          const calls = h.calls();
          const label = `${order.map((e) => e.type + e.ch).join(' ')} overtaken=[${[...overtaken]}] timeout before ${j}`;
          const trigger = calls.find((c) => c.startsWith('trigger('));
          assert.ok(trigger, label);
          const ends = new Map<number, number[]>();
          for (const c of calls) {
            const m = /^end\(1 (\d)@(\d+)\)$/.exec(c);
            if (m) (ends.get(Number(m[1])) ?? ends.set(Number(m[1]), []).get(Number(m[1]))!).push(Number(m[2]));
          }
          if (trigger.includes(' aligned ')) {
            assert.equal(overtaken.size, 0, `${label}: aligned although a producer overtook`);
            assert.equal(ends.size, 0, label);
          } else {
            const capture = JSON.parse(/capture=(\[[\d,]*\])/.exec(trigger)![1]!) as number[];
            assert.deepEqual([...ends.keys()].sort(), capture, `${label}: every captured channel ends`);
            for (const [ch, positions] of ends) {
              const final = positions[positions.length - 1];
              assert.equal(final, overtaken.has(ch) ? OVERTAKEN_AT[ch] : POS[ch], `${label}: channel ${ch} ends at ${positions.join(' → ')}`);
              for (let k = 1; k < positions.length; k++) assert.ok(positions[k]! < positions[k - 1]!, `${label}: an end is only ever lowered`);
              if (positions.length > 1) lowered++;
            }
            for (const ch of overtaken) assert.ok(capture.includes(ch), `${label}: an overtaken channel is captured`);
          }
          assert.equal(h.handler.stateName, 'WaitingForFirstBarrier', label);
          assert.equal(h.timers.pendingCount, 0, label);
          for (const c of [0, 1, 2]) assert.equal(h.handler.isBlocked(c), false, label);
          runs++;
        }
      }
    }
    assert.ok(runs > 10_000, `runs ${runs}`);
    assert.ok(lowered > 0, 'some runs lower an announced end');
  });

  test('an announced end is lowered after the checkpoint went idle here, and confirmed by the in-band barrier', () => {
    const h = harness('exactly-once', 2, TS);
    h.handler.onPriorityBarrier(0, awt(0));
    h.handler.onPriorityBarrier(1, awt(1));
    h.timers.advanceTo(1150); // consumer times out: both captures end at the announced positions
    assert.deepEqual(h.calls(), ['trigger(1 unaligned align=0 delay=101 capture=[0,1])', 'end(1 0@17)', 'end(1 1@23)']);
    assert.equal(h.handler.stateName, 'WaitingForFirstBarrier');
    h.handler.onBarrier(1, awt(1)); // channel 1's barrier was published: its end is final
    h.handler.onPriorityBarrier(1, barrier(1, 'unaligned', { position: 5 })); // (cannot happen; ignored)
    h.handler.onPriorityBarrier(0, unaligned(0)); // channel 0's producer overtook its queued barrier
    assert.deepEqual(h.calls(), ['end(1 0@12)']);
    h.handler.onBarrier(0, awt(0)); // the obsolete in-band copy
    h.handler.onPriorityBarrier(0, unaligned(0));
    assert.deepEqual(h.calls(), []);
  });
});
