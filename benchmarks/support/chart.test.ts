import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeXml, formatBytes, formatTickValue, logTicks, niceTicks, renderLineChart, svgToPng, yAxis, type LineChartSpec } from './chart.ts';

describe('ticks and labels', () => {
  test('niceTicks covers the range with 1/2/5 × 10^k steps', () => {
    assert.deepEqual(niceTicks(0, 95), [0, 20, 40, 60, 80, 100]);
    assert.deepEqual(niceTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
    assert.deepEqual(niceTicks(0, 3_000_000), [0, 1_000_000, 2_000_000, 3_000_000]);
    assert.deepEqual(niceTicks(0, 2_400_000), [0, 500_000, 1_000_000, 1_500_000, 2_000_000, 2_500_000]);
    assert.deepEqual(niceTicks(5, 5), [5]);
  });

  test('logTicks are the powers of ten around the values (at least two)', () => {
    assert.deepEqual(logTicks(3, 2500), [1, 10, 100, 1000, 10000]);
    assert.deepEqual(logTicks(100, 100), [100, 1000]);
    assert.deepEqual(logTicks(0.5, 20), [0.1, 1, 10, 100]);
  });

  test('tick labels are compact', () => {
    assert.equal(formatTickValue(1500), '1.5k');
    assert.equal(formatTickValue(2_000_000), '2M');
    assert.equal(formatTickValue(20), '20');
    assert.equal(formatTickValue(0.5), '0.5');
    assert.equal(formatBytes(65_536), '64 KiB');
    assert.equal(formatBytes(1_572_864), '1.5 MiB');
    assert.equal(formatBytes(512), '512 B');
    assert.equal(escapeXml('a < b & "c" > d'), 'a &lt; b &amp; &quot;c&quot; &gt; d');
  });
});

describe('yAxis', () => {
  test('linear: from a nice zero-based range to pixel rows', () => {
    const a = yAxis([0, 95], 'linear', 0, 100);
    assert.deepEqual(a.ticks, [0, 20, 40, 60, 80, 100]);
    assert.equal(a.toPx(0), 100);
    assert.equal(a.toPx(50), 50);
    assert.equal(a.toPx(100), 0);
  });

  test('bytes: ticks at round KiB / MiB', () => {
    assert.deepEqual(yAxis([0, 900_000], 'linear', 0, 100, true).ticks, [0, 200 * 1024, 400 * 1024, 600 * 1024, 800 * 1024, 1000 * 1024]);
    assert.deepEqual(yAxis([0, 3 * 2 ** 20], 'linear', 0, 100, true).ticks, [0, 2 ** 20, 2 * 2 ** 20, 3 * 2 ** 20]);
    assert.deepEqual(yAxis([0, 500], 'linear', 0, 100, true).ticks, [0, 100, 200, 300, 400, 500]);
  });

  test('log: decades are evenly spaced; values <= 0 sit on the bottom edge', () => {
    const a = yAxis([3, 2500, 0], 'log', 0, 100);
    assert.deepEqual(a.ticks, [1, 10, 100, 1000, 10000]);
    assert.equal(a.toPx(100), 50);
    assert.equal(a.toPx(10_000), 0);
    assert.equal(a.toPx(0), 100);
  });
});

const spec: LineChartSpec = {
  title: 'Duration <p50>',
  xLabel: 'backpressure',
  yLabel: 'ms',
  yScale: 'log',
  categories: ['a', 'b', 'c'],
  series: [
    { name: 'first', points: [{ x: 'a', y: 10 }, { x: 'b', y: 100 }, { x: 'c', y: 1000, lowerBound: true }] },
    { name: 'second', points: [{ x: 'a', y: null }, { x: 'c', y: 20 }, { x: 'b', y: 10 }] },
    { name: 'empty', points: [{ x: 'a', y: null }] },
  ],
};

describe('renderLineChart', () => {
  const svg = renderLineChart(spec);

  test('is a standalone SVG document with escaped text', () => {
    assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="760" height="440" viewBox="0 0 760 440">'));
    assert.ok(svg.trimEnd().endsWith('</svg>'));
    assert.ok(svg.includes('>Duration &lt;p50&gt;</text>'));
    assert.ok(svg.includes('>ms (log scale)</text>'));
    assert.equal(svg.split('<g class="series"').length - 1, 2, 'series without values are left out');
    assert.ok(!svg.includes('>empty</text>'));
  });

  test('places points on a categorical x axis and a log y axis', () => {
    // Plot area: x 78..574 (categories inset by 24 px), y 46 (1000) .. 376 (10).
    assert.ok(svg.includes('<polyline points="102,376 326,211 550,46"'), svg);
    // Points are sorted by category; log10(20) is 15.05 % of the two decades above 10.
    assert.ok(svg.includes('<polyline points="326,376 550,326.3"'), svg);
    for (const label of ['>10</text>', '>100</text>', '>1k</text>', '>a</text>', '>b</text>', '>c</text>', '>first</text>', '>second</text>']) {
      assert.ok(svg.includes(label), label);
    }
  });

  test('draws lower bounds as hollow markers with a ≥ mark', () => {
    assert.equal(svg.split('fill="#ffffff" stroke=').length - 1, 1);
    assert.equal(svg.split('>≥</text>').length - 1, 1);
  });

  test('linear scale with a note', () => {
    const s = renderLineChart({ ...spec, yScale: 'linear', note: 'a note', formatY: formatBytes });
    assert.ok(s.includes('>0 B</text>'));
    assert.ok(s.includes('>1000 B</text>'));
    assert.ok(s.includes('>a note</text>'));
    assert.ok(s.includes('>ms</text>'));
  });

  test('an empty chart says so', () => {
    const s = renderLineChart({ ...spec, series: [{ name: 'none', points: [{ x: 'a', y: null }] }] });
    assert.ok(s.includes('>no data</text>'));
    assert.equal(s.split('<g class="series"').length - 1, 0);
  });
});

test('svgToPng renders a PNG of the chart at 1.5× scale', async () => {
  const png = await svgToPng(renderLineChart(spec));
  assert.ok(png, '@resvg/resvg-js is installed (devDependency)');
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.equal(png.toString('latin1', 12, 16), 'IHDR');
  assert.equal(png.readUInt32BE(16), 1140);
  assert.equal(png.readUInt32BE(20), 660);
});
