import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, ProgressBar, renderProgressLine } from './progress-bar.ts';

test('formatDuration', () => {
  assert.equal(formatDuration(0), '0s');
  assert.equal(formatDuration(42_400), '42s');
  assert.equal(formatDuration(65_000), '1m05s');
  assert.equal(formatDuration(3_720_000), '1h02m');
});

test('renderProgressLine shows the bar, counts, elapsed, an estimate and the current case', () => {
  assert.equal(renderProgressLine(0, 4, 0, 'a / none', 8), '[--------] 0/4 cases  0s elapsed  a / none');
  assert.equal(renderProgressLine(1, 4, 10_000, 'b', 8), '[##------] 1/4 cases  10s elapsed  ~30s left  b');
  assert.equal(renderProgressLine(4, 4, 40_000, '', 8), '[########] 4/4 cases  40s elapsed');
});

test('ProgressBar prints one line per update when stderr is not a terminal', () => {
  const lines: string[] = [];
  let now = 1000;
  const bar = new ProgressBar({ stream: { write: (s: string) => lines.push(s), isTTY: false }, now: () => now, width: 4 });
  bar.start(2);
  bar.update(0, 'x');
  now += 5000;
  bar.update(1, 'y');
  now += 5000;
  bar.finish();
  assert.deepEqual(lines, [
    '[----] 0/2 cases  0s elapsed  x\n',
    '[##--] 1/2 cases  5s elapsed  ~5s left  y\n',
    '[####] 2/2 cases  10s elapsed\n',
  ]);
});
