/**
 * Line charts for benchmark results, as standalone SVG (no dependencies), and
 * PNG through @resvg/resvg-js (a devDependency; `svgToPng` returns false when
 * it cannot be loaded).
 *
 * Layout (pixels, default 760 × 440):
 *
 *   ┌──────────────────────────── title ───────────────────────────┐
 *   │ y  ┤ tick labels │ plot area (categorical x, linear/log y)  │ legend │
 *   │    └──────────── x tick labels, x label ──────────────────────┘
 *   │ note (one line, optional)
 *
 * x is categorical (evenly spaced categories, e.g. backpressure levels); each
 * series is a polyline through its non-null points, drawn with its own colour,
 * dash pattern and marker shape so overlapping lines stay distinguishable.
 * A point flagged `lowerBound` is drawn hollow with a "≥" mark: the true value
 * is at least that high (e.g. no checkpoint completed within the run).
 */

/** One point of a series: `y` null = no value (a gap). */
export interface ChartPoint { x: string; y: number | null; lowerBound?: boolean }
/** A named line. */
export interface ChartSeries { name: string; points: readonly ChartPoint[] }

/** What to draw. */
export interface LineChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  /** The x categories, left to right. */
  categories: readonly string[];
  series: readonly ChartSeries[];
  /** Default 'linear'. On 'log', values ≤ 0 are drawn on the bottom edge. */
  yScale?: 'linear' | 'log';
  /** Formats y tick labels (default: {@link formatTickValue}). */
  formatY?: (v: number) => string;
  /** Linear y in bytes: ticks are round numbers of KiB / MiB / GiB (label them with {@link formatBytes}). */
  yBytes?: boolean;
  /** One line of text under the chart. */
  note?: string;
  width?: number;
  height?: number;
}

/** Okabe–Ito colours (colour-blind safe). */
const COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];
const DASHES = ['', '6 3', '2 3', '8 3 2 3', '4 4', '1 2', '10 4'];
const MARKERS = ['circle', 'square', 'triangle', 'diamond', 'cross', 'circle', 'square'] as const;
const FONT = `font-family="DejaVu Sans, Verdana, Arial, sans-serif"`;

/** About `count` round linear ticks covering [min, max] (step 1, 2 or 5 × 10^k). */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  const step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
  const ticks: number[] = [];
  for (let v = Math.floor(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1]! < max) ticks.push(Number((ticks[ticks.length - 1]! + step).toPrecision(12)));
  return ticks;
}

/** Powers of ten from ≤ min to ≥ max (both > 0). */
export function logTicks(min: number, max: number): number[] {
  const lo = Math.floor(Math.log10(min));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(max)));
  const ticks: number[] = [];
  for (let e = lo; e <= hi; e++) ticks.push(Number((10 ** e).toPrecision(12)));
  return ticks;
}

/** A compact tick label: 0.5, 20, 1.5k, 2M, 3G. */
export function formatTickValue(v: number): string {
  const abs = Math.abs(v);
  const units: Array<[number, string]> = [[1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (const [f, s] of units) if (abs >= f) return `${trim(v / f)}${s}`;
  return trim(v);
}

/** Byte tick labels in binary units: 512 B, 64 KiB, 1.5 MiB. */
export function formatBytes(v: number): string {
  const abs = Math.abs(v);
  const units: Array<[number, string]> = [[2 ** 30, 'GiB'], [2 ** 20, 'MiB'], [2 ** 10, 'KiB']];
  for (const [f, s] of units) if (abs >= f) return `${trim(v / f)} ${s}`;
  return `${trim(v)} B`;
}

function trim(v: number): string {
  return Number(v.toPrecision(3)).toString();
}

/** Escape text for SVG content and attributes. */
export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Maps a y value to a pixel row, given the plot's top and bottom rows. */
export interface YAxis { ticks: number[]; toPx(v: number): number }

/**
 * The y axis of `values` on a `scale` between pixel rows `top` (max) and `bottom` (min);
 * `bytes`: linear ticks at round multiples of the largest binary unit below the maximum.
 */
export function yAxis(values: readonly number[], scale: 'linear' | 'log', top: number, bottom: number, bytes = false): YAxis {
  if (scale === 'log') {
    const pos = values.filter((v) => v > 0);
    const ticks = pos.length ? logTicks(Math.min(...pos), Math.max(...pos)) : [1, 10];
    const lo = Math.log10(ticks[0]!);
    const hi = Math.log10(ticks[ticks.length - 1]!);
    return { ticks, toPx: (v) => (v <= 0 ? bottom : bottom - ((Math.log10(v) - lo) / (hi - lo)) * (bottom - top)) };
  }
  const max = values.length ? Math.max(0, ...values) : 1;
  const min = values.length ? Math.min(0, ...values) : 0;
  const unit = bytes ? 1024 ** Math.max(0, Math.floor(Math.log2(Math.max(1, max - min)) / 10)) : 1;
  const ticks = niceTicks(min / unit, (max > min ? max : min + 1) / unit).map((t) => t * unit);
  const lo = ticks[0]!;
  const hi = ticks[ticks.length - 1]!;
  return { ticks, toPx: (v) => bottom - ((v - lo) / (hi - lo)) * (bottom - top) };
}

function marker(shape: (typeof MARKERS)[number], x: number, y: number, color: string, hollow: boolean): string {
  const fill = hollow ? '#ffffff' : color;
  const a = `fill="${fill}" stroke="${color}" stroke-width="1.6"`;
  const r = 4.5;
  switch (shape) {
    case 'circle': return `<circle cx="${f(x)}" cy="${f(y)}" r="${r}" ${a}/>`;
    case 'square': return `<rect x="${f(x - r)}" y="${f(y - r)}" width="${2 * r}" height="${2 * r}" ${a}/>`;
    case 'triangle': return `<polygon points="${f(x)},${f(y - r - 1)} ${f(x + r + 1)},${f(y + r)} ${f(x - r - 1)},${f(y + r)}" ${a}/>`;
    case 'diamond': return `<polygon points="${f(x)},${f(y - r - 1)} ${f(x + r + 1)},${f(y)} ${f(x)},${f(y + r + 1)} ${f(x - r - 1)},${f(y)}" ${a}/>`;
    case 'cross': return `<path d="M${f(x - r)},${f(y - r)}L${f(x + r)},${f(y + r)}M${f(x - r)},${f(y + r)}L${f(x + r)},${f(y - r)}" stroke="${color}" stroke-width="2.2"/>`;
  }
}

function f(v: number): string {
  return Number(v.toFixed(1)).toString();
}

/** Render `spec` as a standalone SVG document. */
export function renderLineChart(spec: LineChartSpec): string {
  const W = spec.width ?? 760;
  const H = spec.height ?? 440;
  const scale = spec.yScale ?? 'linear';
  const fmt = spec.formatY ?? formatTickValue;
  const series = spec.series.filter((s) => s.points.some((p) => p.y !== null));
  const legendW = 170;
  const left = 78, right = W - legendW - 16, top = 46, bottom = H - 64 - (spec.note ? 18 : 0);
  const values = series.flatMap((s) => s.points.flatMap((p) => (p.y === null ? [] : [p.y])));
  const axis = yAxis(values, scale, top, bottom, spec.yBytes === true);
  const n = spec.categories.length;
  const xPx = (x: string) => {
    const i = spec.categories.indexOf(x);
    return n <= 1 ? (left + right) / 2 : left + 24 + (i / (n - 1)) * (right - left - 48);
  };
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${W / 2}" y="26" text-anchor="middle" font-size="16" font-weight="bold" ${FONT}>${escapeXml(spec.title)}</text>`);
  // 1. Grid and y ticks.
  for (const t of axis.ticks) {
    const y = axis.toPx(t);
    out.push(`<line x1="${left}" y1="${f(y)}" x2="${right}" y2="${f(y)}" stroke="#e3e3e3" stroke-width="1"/>`);
    out.push(`<text x="${left - 8}" y="${f(y + 4)}" text-anchor="end" font-size="12" fill="#333" ${FONT}>${escapeXml(fmt(t))}</text>`);
  }
  // 2. Axes, x ticks and labels.
  out.push(`<line x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}" stroke="#333" stroke-width="1.2"/>`);
  out.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${bottom}" stroke="#333" stroke-width="1.2"/>`);
  for (const c of spec.categories) {
    const x = xPx(c);
    out.push(`<line x1="${f(x)}" y1="${bottom}" x2="${f(x)}" y2="${bottom + 5}" stroke="#333" stroke-width="1.2"/>`);
    out.push(`<text x="${f(x)}" y="${bottom + 20}" text-anchor="middle" font-size="12" fill="#333" ${FONT}>${escapeXml(c)}</text>`);
  }
  out.push(`<text x="${(left + right) / 2}" y="${bottom + 42}" text-anchor="middle" font-size="13" ${FONT}>${escapeXml(spec.xLabel)}</text>`);
  const yLabel = `${spec.yLabel}${scale === 'log' ? ' (log scale)' : ''}`;
  out.push(`<text x="18" y="${(top + bottom) / 2}" text-anchor="middle" font-size="13" transform="rotate(-90 18 ${(top + bottom) / 2})" ${FONT}>${escapeXml(yLabel)}</text>`);
  // 3. Series: a polyline per run of consecutive points, then the markers.
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const dash = DASHES[i % DASHES.length]!;
    const pts = s.points.filter((p) => p.y !== null && spec.categories.includes(p.x)).sort((a, b) => spec.categories.indexOf(a.x) - spec.categories.indexOf(b.x));
    const coords = pts.map((p) => `${f(xPx(p.x))},${f(axis.toPx(p.y!))}`).join(' ');
    out.push(`<g class="series" data-name="${escapeXml(s.name)}">`);
    if (pts.length > 1) out.push(`<polyline points="${coords}" fill="none" stroke="${color}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`);
    for (const p of pts) {
      const x = xPx(p.x), y = axis.toPx(p.y!);
      out.push(marker(MARKERS[i % MARKERS.length]!, x, y, color, p.lowerBound === true));
      if (p.lowerBound) out.push(`<text x="${f(x + 8)}" y="${f(y - 6)}" font-size="12" fill="${color}" ${FONT}>≥</text>`);
    }
    out.push('</g>');
  });
  if (series.length === 0) out.push(`<text x="${(left + right) / 2}" y="${(top + bottom) / 2}" text-anchor="middle" font-size="14" fill="#777" ${FONT}>no data</text>`);
  // 4. Legend.
  const lx = right + 22;
  series.forEach((s, i) => {
    const y = top + 10 + i * 24;
    const color = COLORS[i % COLORS.length]!;
    const dash = DASHES[i % DASHES.length]!;
    out.push(`<line x1="${lx}" y1="${y}" x2="${lx + 30}" y2="${y}" stroke="${color}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`);
    out.push(marker(MARKERS[i % MARKERS.length]!, lx + 15, y, color, false));
    out.push(`<text x="${lx + 38}" y="${y + 4}" font-size="12" ${FONT}>${escapeXml(s.name)}</text>`);
  });
  if (spec.note) out.push(`<text x="${left}" y="${H - 12}" font-size="11" fill="#555" ${FONT}>${escapeXml(spec.note)}</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/**
 * Rasterize an SVG to PNG with @resvg/resvg-js (system fonts; DejaVu Sans by
 * default). Returns the PNG bytes, or null when the renderer is not installed.
 */
export async function svgToPng(svg: string, options: { scale?: number } = {}): Promise<Buffer | null> {
  let mod: typeof import('@resvg/resvg-js');
  try {
    mod = await import('@resvg/resvg-js');
  } catch {
    return null;
  }
  const Resvg = mod.Resvg ?? (mod as unknown as { default: typeof import('@resvg/resvg-js') }).default.Resvg;
  const r = new Resvg(svg, {
    background: '#ffffff',
    fitTo: { mode: 'zoom', value: options.scale ?? 1.5 },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
  });
  return Buffer.from(r.render().asPng());
}
