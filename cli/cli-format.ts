/** Plain-text formatting helpers of the `weir` command: sizes, times, aligned tables. */

/** `1536` → `1.5 KiB`; bytes below 1 KiB stay exact (`528 B`). */
export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined) return '-';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** Epoch ms → ISO 8601 (UTC), `-` when absent. */
export function formatTime(ms: number | undefined | null): string {
  return ms === undefined || ms === null ? '-' : new Date(ms).toISOString();
}

/** Milliseconds with at most one decimal. */
export function formatMs(ms: number | undefined | null): string {
  if (ms === undefined || ms === null) return '-';
  return Number.isInteger(ms) ? String(ms) : ms.toFixed(1);
}

/** Rows under a header, columns padded to their widest cell, two spaces apart, indented. */
export function renderTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>, indent = '  '): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]): string => `${indent}${cells.map((cell, c) => (c === cells.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ')}`.trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
