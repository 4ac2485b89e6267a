import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { IndexedFrame } from '../../actors/index.ts';
import { ChannelStateCapture } from './channel-state-capture.ts';

/** Deterministic payload of frame `index` on `channel` (0..12 bytes). */
function payloadOf(channel: number, index: number): Uint8Array {
  const n = (index * 7 + channel * 3) % 13;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (index * 31 + channel * 17 + i) & 0xff;
  return out;
}

const kindOf = (index: number) => 1 + (index % 5);

/** A view over a scratch buffer that the test scribbles over after each offer (like a ring being reused). */
const scratch = new Uint8Array(64);
function view(channel: number, index: number): Uint8Array {
  const p = payloadOf(channel, index);
  scratch.set(p, 0);
  return scratch.subarray(0, p.length);
}
const scribble = () => scratch.fill(0xee);

function summary(frames: IndexedFrame[] | undefined): Array<[number, number, number[]]> {
  return (frames ?? []).map((f) => [f.index, f.kind, [...f.payload]]);
}
function expectedSummary(channel: number, start: number, end: number): Array<[number, number, number[]]> {
  const out: Array<[number, number, number[]]> = [];
  for (let i = start; i < end; i++) out.push([i, kindOf(i), [...payloadOf(channel, i)]]);
  return out;
}

describe('ChannelStateCapture', () => {
  test('queued and processed frames are captured once, ordered, copied; frames beyond the end are dropped', () => {
    const cap = new ChannelStateCapture();
    assert.equal(cap.capturing, false);
    cap.begin(4, new Map([[0, 3], [1, 10]]));
    assert.equal(cap.capturing, true);
    // Channel 0: frame 3 was read but not processed; 4..7 still queued in the ring.
    const queued0 = [4, 5, 6, 7].map((i) => ({ index: i, kind: kindOf(i), payload: payloadOf(0, i) }));
    cap.offerQueued(0, queued0);
    for (const f of queued0) f.payload.fill(0xee); // the caller's buffers get reused
    cap.offerProcessed(0, 3, kindOf(3), view(0, 3));
    scribble();
    cap.offerProcessed(0, 4, kindOf(4), view(0, 4)); // already captured from the peek
    scribble();
    cap.offerProcessed(0, 2, kindOf(2), view(0, 2)); // before the start
    assert.deepEqual(cap.missing(4), new Map([[0, [8, Infinity]], [1, [10, Infinity]]]));
    cap.setEnd(4, 0, 6); // the barrier sat before frame 6: frames 6 and 7 are after it
    assert.equal(cap.isComplete(4), false);
    cap.setEnd(4, 1, 12);
    assert.deepEqual(cap.missing(4), new Map([[1, [10, 12]]]));
    cap.offerProcessed(1, 11, kindOf(11), view(1, 11));
    assert.deepEqual(cap.missing(4), new Map([[1, [10, 11]]]));
    cap.offerQueued(1, [10, 11, 12].map((i) => ({ index: i, kind: kindOf(i), payload: payloadOf(1, i) })));
    assert.equal(cap.isComplete(4), true);
    assert.equal(cap.capturing, false);
    const bytes = [3, 4, 5].reduce((s, i) => s + payloadOf(0, i).length, 0) + [10, 11].reduce((s, i) => s + payloadOf(1, i).length, 0);
    assert.equal(cap.bytes(4), bytes);
    const taken = cap.take(4);
    assert.deepEqual(summary(taken.get(0)), expectedSummary(0, 3, 6));
    assert.deepEqual(summary(taken.get(1)), expectedSummary(1, 10, 12));
    assert.deepEqual(cap.checkpointIds, []);
    assert.throws(() => cap.take(4), { code: 'WEIR_CHANNEL_STATE_UNKNOWN_CHECKPOINT' });
  });

  test('a prefix (input off the ring, not processed) comes first; awaitingPublished names the first missing frame', () => {
    const cap = new ChannelStateCapture();
    const rest = new Uint8Array([9, 9, 9]);
    cap.begin(2, new Map([[0, 5], [1, 0]]), new Map([[0, [{ kind: 1, payload: rest }]]]));
    assert.equal(cap.bytes(2), 3, 'prefix bytes count');
    assert.deepEqual(cap.awaitingPublished(), new Map(), 'no end known yet');
    cap.setEnd(2, 0, 8);
    cap.setEnd(2, 1, 0); // nothing in flight on channel 1
    cap.offerQueued(0, [5].map((i) => ({ index: i, kind: kindOf(i), payload: payloadOf(0, i) })));
    assert.deepEqual(cap.awaitingPublished(), new Map([[0, 6]]), 'frames 6 and 7 are not published yet');
    cap.offerQueued(0, [6, 7].map((i) => ({ index: i, kind: kindOf(i), payload: payloadOf(0, i) })));
    assert.deepEqual(cap.awaitingPublished(), new Map());
    const taken = cap.take(2);
    assert.deepEqual(summary(taken.get(0)), [[-1, 1, [9, 9, 9]], ...expectedSummary(0, 5, 8)]);
    assert.deepEqual(summary(taken.get(1)), []);
  });

  test('an empty range is complete at once; take of an incomplete checkpoint throws naming what is missing', () => {
    const cap = new ChannelStateCapture();
    cap.begin(1, new Map([[0, 5], [2, 7]]));
    cap.setEnd(1, 0, 5);
    assert.equal(cap.isComplete(1), false);
    assert.throws(() => cap.take(1), (err: Error & { code?: string; details?: Record<string, unknown> }) => {
      assert.equal(err.code, 'WEIR_CHANNEL_STATE_INCOMPLETE');
      assert.deepEqual(err.details?.missing, { 2: [7, Infinity] });
      return true;
    });
    cap.setEnd(1, 2, 7);
    assert.deepEqual([...cap.take(1)].map(([c, f]) => [c, f.length]), [[0, 0], [2, 0]]);
    assert.equal(cap.capturing, false);
  });

  test('two checkpoints capturing the same channel each get their own range', () => {
    const cap = new ChannelStateCapture();
    cap.begin(1, new Map([[0, 0]]));
    cap.offerProcessed(0, 0, 1, payloadOf(0, 0));
    cap.offerProcessed(0, 1, 1, payloadOf(0, 1));
    cap.begin(2, new Map([[0, 2]]));
    cap.offerProcessed(0, 2, 1, payloadOf(0, 2));
    cap.setEnd(1, 0, 3);
    cap.setEnd(2, 0, 4);
    cap.offerQueued(0, [{ index: 3, kind: 1, payload: payloadOf(0, 3) }]);
    assert.deepEqual(cap.take(1).get(0)!.map((f) => f.index), [0, 1, 2]);
    assert.deepEqual(cap.take(2).get(0)!.map((f) => f.index), [2, 3]);
  });

  test('abort forgets a checkpoint and stops capturing; late setEnd/abort are ignored', () => {
    const cap = new ChannelStateCapture();
    cap.begin(3, new Map([[1, 0]]));
    cap.offerProcessed(1, 0, 1, payloadOf(1, 0));
    cap.abort(3);
    assert.equal(cap.capturing, false);
    cap.setEnd(3, 1, 5);
    cap.abort(3);
    assert.throws(() => cap.isComplete(3), { code: 'WEIR_CHANNEL_STATE_UNKNOWN_CHECKPOINT' });
    cap.begin(3, new Map([[1, 0]])); // the id may be begun again after an abort
    assert.equal(cap.capturing, true);
  });

  test('invalid use is rejected with codes', () => {
    const cap = new ChannelStateCapture();
    cap.begin(1, new Map([[0, 10]]));
    assert.throws(() => cap.begin(1, new Map()), { code: 'WEIR_CHANNEL_STATE_DUPLICATE' });
    assert.throws(() => cap.begin(2, new Map([[0, -1]])), { code: 'WEIR_INVALID_ARGUMENT' });
    assert.throws(() => cap.setEnd(1, 3, 12), { code: 'WEIR_CHANNEL_STATE_UNKNOWN_CHANNEL' });
    assert.throws(() => cap.setEnd(1, 0, 9), { code: 'WEIR_CHANNEL_STATE_BAD_END' });
    cap.setEnd(1, 0, 12);
    cap.setEnd(1, 0, 12);
    assert.throws(() => cap.setEnd(1, 0, 13), { code: 'WEIR_CHANNEL_STATE_END_CONFLICT' });
  });

  test('a lower end replaces an announced one: frames beyond it are dropped (producer-side timeout)', () => {
    const cap = new ChannelStateCapture();
    cap.begin(1, new Map([[0, 10]]));
    cap.setEnd(1, 0, 14);
    cap.offerQueued(0, [10, 11, 12].map((index) => ({ index, kind: 1, payload: new Uint8Array([index]) })));
    assert.equal(cap.isComplete(1), false);
    cap.setEnd(1, 0, 12); // the producer's unaligned barrier: frames 12 and 13 are its output state
    assert.equal(cap.isComplete(1), true);
    assert.deepEqual(cap.take(1).get(0)!.map((f) => f.index), [10, 11]);
  });

  test('property: any interleaving of peeks, processed frames and ends captures exactly [start, end) once, in order', () => {
    const command = fc.record({
      op: fc.constantFrom('publish', 'process', 'peek', 'end'),
      ch: fc.nat(2),
      n: fc.integer({ min: 1, max: 6 }),
    });
    const channelSpec = fc.record({ start: fc.nat(6), length: fc.nat(15), extra: fc.nat(8) });
    fc.assert(
      fc.property(fc.array(channelSpec, { minLength: 1, maxLength: 3 }), fc.array(command, { maxLength: 80 }), (specs, commands) => {
        const cap = new ChannelStateCapture();
        const chans = specs.map((s) => ({
          start: s.start,
          end: s.start + s.length,
          total: s.start + s.length + s.extra,
          published: s.start, // frames < start were published and processed before the trigger
          next: s.start,
          ended: false,
        }));
        cap.begin(9, new Map(chans.map((c, i) => [i, c.start])));
        const peek = (i: number) => {
          const c = chans[i]!;
          const frames = [];
          for (let k = c.next; k < c.published; k++) frames.push({ index: k, kind: kindOf(k), payload: payloadOf(i, k).slice() });
          cap.offerQueued(i, frames);
          for (const f of frames) f.payload.fill(0xee); // the ring slots get reused
        };
        const process = (i: number) => {
          const c = chans[i]!;
          cap.offerProcessed(i, c.next, kindOf(c.next), view(i, c.next));
          scribble();
          c.next++;
        };
        const end = (i: number) => {
          const c = chans[i]!;
          cap.setEnd(9, i, c.end);
          c.ended = true;
        };
        for (const cmd of commands) {
          const i = cmd.ch % chans.length;
          const c = chans[i]!;
          if (cmd.op === 'publish') {
            c.published = Math.min(c.total, c.published + cmd.n);
          } else if (cmd.op === 'peek') {
            peek(i);
          } else if (cmd.op === 'process') {
            // A frame at or after the barrier is never processed before the barrier's position is known.
            for (let k = 0; k < cmd.n && c.next < c.published && (c.ended || c.next < c.end); k++) process(i);
          } else if (!c.ended && c.published >= c.end) {
            end(i); // the barrier is published after frame end-1
          }
        }
        // Finish: every channel's barrier arrives, then the task consumes everything.
        chans.forEach((c, i) => {
          c.published = c.total;
          if (!c.ended) end(i);
          while (c.next < c.total) process(i);
        });
        assert.equal(cap.isComplete(9), true);
        assert.equal(cap.capturing, false);
        const taken = cap.take(9);
        chans.forEach((c, i) => assert.deepEqual(summary(taken.get(i)), expectedSummary(i, c.start, c.end)));
      }),
      { numRuns: 400 },
    );
  });
});
