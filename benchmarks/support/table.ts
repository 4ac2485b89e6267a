/** Plain-text result tables for benchmark output. */

/** A column: the row key to show, and optionally a header, a formatter and an alignment. */
export type Column<Row> =
  | (keyof Row & string)
  | { key: keyof Row & string; header?: string; format?: (value: unknown, row: Row) => string; align?: 'left' | 'right' };

/** Format a number with thousands separators and at most `digits` decimals (e.g. 12 345.6). */
export function formatNumber(value: number, digits = 1): string {
  if (!Number.isFinite(value)) return String(value);
  const fixed = Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(digits);
  const [int, frac] = fixed.split('.');
  const grouped = int!.replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
  return frac !== undefined ? `${grouped}.${frac}` : grouped;
}

/** Render `rows` as an aligned text table (numbers right-aligned by default). */
export function renderTable<Row extends object>(rows: readonly Row[], columns: readonly Column<Row>[]): string {
  type Spec = { key: string; header?: string; format?: (value: unknown, row: Row) => string; align?: 'left' | 'right' };
  const cols: Spec[] = columns.map((c) => (typeof c === 'string' ? { key: c } : c));
  const get = (row: Row, key: string): unknown => (row as Record<string, unknown>)[key];
  const cells = rows.map((row) =>
    cols.map((c) => {
      const v = get(row, c.key);
      if (c.format) return c.format(v, row);
      return typeof v === 'number' ? formatNumber(v) : String(v ?? '');
    }),
  );
  const headers = cols.map((c) => c.header ?? c.key);
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const right = cols.map((c) => (c.align !== undefined ? c.align === 'right' : rows.some((r) => typeof get(r, c.key) === 'number')));
  const line = (r: string[]): string => r.map((s, i) => (right[i] ? s.padStart(widths[i]!) : s.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

/** Print `rows` as a table on stdout. */
export function printTable<Row extends object>(rows: readonly Row[], columns: readonly Column<Row>[]): void {
  process.stdout.write(`${renderTable(rows, columns)}\n`);
}
