import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WatermarkValve } from './watermark-valve.ts';

/** A valve over `channels` recording what it emits: numbers (watermarks) and 'idle' / 'active'. */
function valve(channels: number): { v: WatermarkValve; out: Array<number | 'idle' | 'active'>; take(): Array<number | 'idle' | 'active'> } {
  const out: Array<number | 'idle' | 'active'> = [];
  const v = new WatermarkValve(channels, { watermark: (t) => out.push(t), status: (idle) => out.push(idle ? 'idle' : 'active') });
  return { v, out, take: () => out.splice(0) };
}

test('the watermark is the minimum over open channels, emitted only when it advances', () => {
  const { v, take } = valve(3);
  v.onWatermark(0, 10);
  assert.deepEqual(take(), [], 'channels 1 and 2 are still at -Infinity');
  v.onWatermark(1, 5);
  v.onWatermark(2, 7);
  assert.deepEqual(take(), [5]);
  v.onWatermark(1, 4);
  assert.deepEqual(take(), [], 'a channel going back is ignored');
  v.onWatermark(1, 8);
  assert.deepEqual(take(), [7]);
  assert.equal(v.current, 7);
});

test('a channel that ended its data no longer holds the watermark back; all ended emits nothing', () => {
  const { v, take } = valve(2);
  v.onWatermark(0, 3);
  v.onDataEnded(1);
  assert.deepEqual(take(), [3], 'channel 1 never sent a watermark: its end releases channel 0');
  v.onDataEnded(1);
  assert.deepEqual(take(), [], 'idempotent');
  v.onWatermark(0, 9);
  v.onDataEnded(0);
  assert.deepEqual(take(), [9], 'the end of the data emits its own maximum watermark (sources)');
});

test('an idle channel leaves the minimum and its watermarks are ignored until it is active again', () => {
  const { v, take } = valve(3);
  v.onWatermark(0, 10);
  v.onWatermark(1, 20);
  assert.deepEqual(take(), [], 'channel 2 has sent nothing: it holds the watermark at -Infinity');
  v.onStatus(2, true);
  assert.deepEqual(take(), [10], 'channel 2 idle: the minimum of 0 and 1');
  v.onWatermark(2, 50);
  assert.deepEqual(take(), [], 'a watermark of an idle channel is ignored');
  v.onWatermark(0, 30);
  assert.deepEqual(take(), [20]);
  v.onStatus(2, false);
  assert.deepEqual(take(), [], 'active again, at -Infinity: behind the output, so not holding it back');
  v.onWatermark(2, 15);
  v.onWatermark(1, 40);
  assert.deepEqual(take(), [30], 'channel 2 (15) is still behind the output (20): 0 and 1 decide');
  v.onWatermark(2, 35);
  v.onWatermark(0, 45);
  assert.deepEqual(take(), [35], 'channel 2 caught up (35 ≥ 30): it is in the minimum again');
  assert.equal(v.isIdle, false);
});

test('every open channel idle: the maximum is flushed, the subtask reports idle; the first active channel ends it', () => {
  const { v, take } = valve(3);
  v.onWatermark(0, 10);
  v.onWatermark(1, 25);
  v.onDataEnded(2);
  assert.deepEqual(take(), [10]);
  v.onStatus(0, true);
  assert.deepEqual(take(), [25], 'channel 1 alone');
  v.onStatus(1, true);
  assert.deepEqual(take(), ['idle'], 'all open channels idle; their maximum (25) was emitted already');
  assert.equal(v.isIdle, true);
  v.onStatus(1, true);
  assert.deepEqual(take(), [], 'idempotent');
  v.onStatus(0, false);
  assert.deepEqual(take(), ['active']);
  v.onWatermark(0, 12);
  assert.deepEqual(take(), [], 'channel 0 is behind the output (25): it does not move it back');
  v.onWatermark(0, 30);
  assert.deepEqual(take(), [30]);
});

test('going idle flushes the largest watermark of the idle channels first', () => {
  const { v, take } = valve(2);
  v.onWatermark(0, 5);
  v.onWatermark(1, 9);
  assert.deepEqual(take(), [5]);
  v.onStatus(1, true);
  assert.deepEqual(take(), []);
  v.onStatus(0, true);
  assert.deepEqual(take(), [9, 'idle'], 'nothing will advance them any more: the maximum, then idle');
});

test('an ended channel ignores status; the last active channel ending leaves the idle ones idle', () => {
  const { v, take } = valve(2);
  v.onStatus(1, true);
  v.onWatermark(0, 7);
  assert.deepEqual(take(), [7]);
  v.onDataEnded(0);
  assert.deepEqual(take(), ['idle'], 'only idle channel 1 is left open');
  v.onStatus(0, false);
  assert.deepEqual(take(), [], 'an ended channel cannot turn active');
  v.onStatus(1, false);
  assert.deepEqual(take(), ['active']);
});
