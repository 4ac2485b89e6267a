import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderBarChart } from './bar-chart.ts';

test('a grouped bar chart: one bar per present value, none for a missing one, escaped labels', () => {
  const svg = renderBarChart({
    title: 'per core <log>', xLabel: 'query', yLabel: 'events/s', categories: ['q0', 'q3'], yScale: 'log',
    series: [{ name: 'Weir', values: [2_000_000, 800_000] }, { name: 'Flink & co', values: [155_000, null] }],
  });
  assert.ok(svg.startsWith('<svg') && svg.trimEnd().endsWith('</svg>'));
  assert.equal((svg.match(/<rect [^>]*><title>/g) ?? []).length, 3, 'three bars: the missing value draws none');
  assert.ok(svg.includes('per core &lt;log&gt;') && svg.includes('Flink &amp; co'));
  assert.ok(svg.includes('(log scale)'));
});
