/**
 * Grouped bar charts as standalone SVG, for results over categories that are not a sequence
 * (e.g. Nexmark queries): a line through them would suggest values between categories, and a
 * series with gaps would be drawn across them. Same look as chart.ts (its axis, colours and
 * fonts); rasterize with chart.ts's `svgToPng`.
 *
 *   ┌──────────────────────────── title ─────────────────────────────┐
 *   │ y ┤ per category: one bar per series (missing values: no bar)  │ legend │
 *   │   └──── category labels, x label ───────────────────────────────┘
 *   │ note
 */
import { escapeXml, formatTickValue, yAxis } from './chart.ts';

export interface BarSeries { name: string; values: ReadonlyArray<number | null> }
export interface BarChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  categories: readonly string[];
  /** `values[i]` belongs to `categories[i]`. */
  series: readonly BarSeries[];
  yScale?: 'linear' | 'log';
  note?: string;
  width?: number;
  height?: number;
}

const COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];
const FONT = `font-family="DejaVu Sans, Verdana, Arial, sans-serif"`;
const f = (v: number): string => Number(v.toFixed(1)).toString();

export function renderBarChart(spec: BarChartSpec): string {
  const W = spec.width ?? 860;
  const H = spec.height ?? 440;
  const scale = spec.yScale ?? 'linear';
  const legendW = 190;
  const left = 78, right = W - legendW - 16, top = 46, bottom = H - 64 - (spec.note ? 18 : 0);
  const values = spec.series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const axis = yAxis(values, scale, top, bottom);
  const base = scale === 'log' ? bottom : axis.toPx(0);
  const groupW = (right - left) / Math.max(1, spec.categories.length);
  const barW = (groupW * 0.8) / Math.max(1, spec.series.length);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${W / 2}" y="26" text-anchor="middle" font-size="16" font-weight="bold" ${FONT}>${escapeXml(spec.title)}</text>`);
  // 1. Grid and y ticks.
  for (const t of axis.ticks) {
    const y = axis.toPx(t);
    out.push(`<line x1="${left}" y1="${f(y)}" x2="${right}" y2="${f(y)}" stroke="#e3e3e3" stroke-width="1"/>`);
    out.push(`<text x="${left - 8}" y="${f(y + 4)}" text-anchor="end" font-size="12" fill="#333" ${FONT}>${escapeXml(formatTickValue(t))}</text>`);
  }
  // 2. Bars, one group per category.
  spec.categories.forEach((c, i) => {
    const x0 = left + i * groupW + groupW * 0.1;
    spec.series.forEach((s, j) => {
      const v = s.values[i];
      if (v === null || v === undefined) return;
      const y = axis.toPx(v);
      out.push(`<rect x="${f(x0 + j * barW)}" y="${f(Math.min(y, base))}" width="${f(barW - 1)}" height="${f(Math.abs(base - y))}" fill="${COLORS[j % COLORS.length]}"><title>${escapeXml(`${s.name} ${c}: ${formatTickValue(v)}`)}</title></rect>`);
    });
    out.push(`<text x="${f(left + (i + 0.5) * groupW)}" y="${bottom + 20}" text-anchor="middle" font-size="12" fill="#333" ${FONT}>${escapeXml(c)}</text>`);
  });
  // 3. Axes and labels.
  out.push(`<line x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}" stroke="#333" stroke-width="1.2"/>`);
  out.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${bottom}" stroke="#333" stroke-width="1.2"/>`);
  out.push(`<text x="${(left + right) / 2}" y="${bottom + 42}" text-anchor="middle" font-size="13" ${FONT}>${escapeXml(spec.xLabel)}</text>`);
  const yLabel = `${spec.yLabel}${scale === 'log' ? ' (log scale)' : ''}`;
  out.push(`<text x="18" y="${(top + bottom) / 2}" text-anchor="middle" font-size="13" transform="rotate(-90 18 ${(top + bottom) / 2})" ${FONT}>${escapeXml(yLabel)}</text>`);
  // 4. Legend.
  spec.series.forEach((s, j) => {
    const y = top + 10 + j * 24;
    out.push(`<rect x="${right + 22}" y="${y - 7}" width="22" height="14" fill="${COLORS[j % COLORS.length]}"/>`);
    out.push(`<text x="${right + 52}" y="${y + 4}" font-size="12" ${FONT}>${escapeXml(s.name)}</text>`);
  });
  if (spec.note) out.push(`<text x="${left}" y="${H - 12}" font-size="11" fill="#555" ${FONT}>${escapeXml(spec.note)}</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
