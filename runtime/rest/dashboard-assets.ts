/**
 * The only files the endpoint serves: the dashboard's own assets (runtime/rest/dashboard/, shipped
 * as dist/dashboard/) and two vendored libraries from the package's dependencies (htm's preact
 * bundle, uPlot). A fixed table from URL path to file: nothing outside it can be named, so a
 * path traversal (`/../`, encoded or not) is simply not in the table → 404.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The dashboard folder: beside this module in the sources (runtime/rest/dashboard), beside the bundle in dist/ (dist/dashboard). */
export const DASHBOARD_DIR = fileURLToPath(new URL('./dashboard/', import.meta.url));

export interface Asset {
  readonly file: string;
  readonly contentType: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

let table: Map<string, Asset> | undefined;

function assets(): Map<string, Asset> {
  if (table) return table;
  const require = createRequire(import.meta.url);
  const entries: Array<[string, string]> = [
    ['/', path.join(DASHBOARD_DIR, 'index.html')],
    ['/assets/app.js', path.join(DASHBOARD_DIR, 'app.js')],
    ['/assets/views.js', path.join(DASHBOARD_DIR, 'views.js')],
    ['/assets/style.css', path.join(DASHBOARD_DIR, 'style.css')],
  ];
  // htm's export map names a CommonJS file it does not ship; its ES module bundle sits beside its main.
  try {
    entries.push(['/vendor/preact-htm.mjs', path.join(path.dirname(require.resolve('htm')), '..', 'preact', 'standalone.mjs')]);
  } catch {
    // not installed: the dashboard page reports the missing module
  }
  try {
    entries.push(['/vendor/uplot.mjs', require.resolve('uplot/dist/uPlot.esm.js')]);
    entries.push(['/vendor/uplot.css', require.resolve('uplot/dist/uPlot.min.css')]);
  } catch {
    // likewise
  }
  table = new Map(entries.map(([url, file]) => [url, { file, contentType: TYPES[path.extname(file)] ?? 'application/octet-stream' }]));
  return table;
}

/** The asset a GET of `urlPath` serves, or undefined (→ 404). `urlPath` is the raw path, without query. */
export function assetFor(urlPath: string): Asset | undefined {
  return assets().get(urlPath === '/index.html' ? '/' : urlPath);
}

/** The asset's bytes (undefined when the file is missing). */
export async function readAsset(a: Asset): Promise<Buffer | undefined> {
  try {
    return await fsp.readFile(a.file);
  } catch {
    return undefined;
  }
}
