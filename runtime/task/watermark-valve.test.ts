import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WatermarkValve } from './watermark-valve.ts';

test('the watermark is the minimum over open channels, emitted only when it advances', () => {
  const v = new WatermarkValve(3);
  assert.equal(v.onWatermark(0, 10), undefined, 'channels 1 and 2 are still at -Infinity');
  assert.equal(v.onWatermark(1, 5), undefined);
  assert.equal(v.onWatermark(2, 7), 5);
  assert.equal(v.onWatermark(1, 4), undefined, 'a channel going back is ignored');
  assert.equal(v.onWatermark(1, 8), 7);
  assert.equal(v.current, 7);
});

test('a channel that ended its data no longer holds the watermark back; all ended emits nothing', () => {
  const v = new WatermarkValve(2);
  v.onWatermark(0, 3);
  assert.equal(v.onDataEnded(1), 3, 'channel 1 never sent a watermark: its end releases channel 0');
  assert.equal(v.onDataEnded(1), undefined, 'idempotent');
  assert.equal(v.onWatermark(0, 9), 9);
  assert.equal(v.onDataEnded(0), undefined, 'the end of the data emits its own maximum watermark (sources)');
});
