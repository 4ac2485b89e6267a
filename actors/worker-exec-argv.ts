/**
 * execArgv for worker threads: workers inherit the parent's loader, and get a TypeScript loader
 * when they must import TypeScript modules (Weir's own sources in the repo, or a `.ts` job module).
 *
 * The rule (decided once, when the pool is created):
 *   - the parent's execArgv is passed on (other `--import`/`--loader` hooks, `--conditions`,
 *     `--experimental-strip-types` … reach the workers unchanged);
 *   - tsx in the parent (`node --import tsx`, the tsx CLI) → tsx is registered in the workers;
 *   - TypeScript needed but the parent has no tsx preload (tsx registered programmatically, or
 *     no loader at all) → tsx is registered in the workers if it can be found (the parent's, the
 *     app's in the current directory, or one next to Weir); with Node's own type stripping
 *     (`process.features.typescript`) nothing is added;
 *   - otherwise (a compiled Weir and a JavaScript job) workers get plain Node: no tsx is loaded.
 *
 * Measured trap (tsx 4.23, Node 20.20): tsx's `--import tsx` entry (`tsx/dist/loader.mjs`)
 * registers its ESM hooks only on the main thread for Node < 22.22; in a worker it installs
 * just the CommonJS `require` hook. Consequences inside a worker started with `--import tsx`:
 *   - `import('./x.ts')` fails with ERR_UNKNOWN_FILE_EXTENSION (tsx issue #354);
 *   - piscina loads its filename with `require()` first, so a `.ts` worker entry is silently
 *     transpiled to CommonJS (no `import.meta.resolve`, no top-level await, and modules it
 *     imports exist twice if anything later loads them as ESM).
 * So tsx's own entries are stripped from the parent's execArgv and replaced by one
 * `--import data:` module that calls `register()` from `tsx/esm/api`, which installs the ESM
 * hooks in the worker on every Node version ≥ 20.6.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Where tsx lives, for recognising and re-adding its loader. */
export interface TsxLocation {
  /** Absolute directory of the tsx package (ends without a separator). */
  readonly packageDir: string;
  /** file: URL of `tsx/esm/api` (exports `register()`). */
  readonly esmApiUrl: string;
}

/** Options of {@link workerExecArgv} / {@link computeWorkerExecArgv}. */
export interface WorkerLoaderOptions {
  /** Workers must import TypeScript modules (default: whether Weir itself runs from `.ts` sources). */
  typescript?: boolean;
}

/** Options that name a module to preload; tsx puts its loader behind these. */
const PRELOAD_FLAGS = new Set(['--import', '--loader', '--experimental-loader', '--require', '-r']);

/** True when Weir itself runs from its TypeScript sources (the repo), false in the built package. */
export const WEIR_RUNS_FROM_SOURCES = import.meta.url.endsWith('.ts');

/** True for module URLs or paths that need a TypeScript loader (.ts, .mts, .cts, .tsx). */
export function isTypeScriptModule(specifier: string): boolean {
  return /\.(?:[mc]?ts|tsx)(?:[?#].*)?$/.test(specifier);
}

/** tsx's location from a directory holding its package.json; `undefined` if it is not tsx. */
function tsxAt(packageDir: string): TsxLocation | undefined {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { name?: string; exports?: Record<string, unknown> };
    if (pkg.name !== 'tsx') return undefined;
    const entry = (pkg.exports?.['./esm/api'] as { import?: { default?: string } | string } | undefined)?.import;
    const rel = typeof entry === 'string' ? entry : entry?.default ?? './dist/esm/api/index.mjs';
    const file = path.join(packageDir, rel);
    return fs.existsSync(file) ? { packageDir, esmApiUrl: pathToFileURL(file).href } : undefined;
  } catch {
    return undefined;
  }
}

/** The tsx package a preload value points into (`/…/node_modules/tsx/dist/loader.mjs`), if any. */
function tsxFromPreload(value: string): TsxLocation | undefined {
  const file = value.startsWith('file:') ? safeFileUrlToPath(value) : value;
  const m = /^(.*[\\/]node_modules[\\/]tsx)(?:[\\/]|$)/.exec(file);
  return m ? tsxAt(m[1]!) : undefined;
}

/** tsx resolved from a directory (as Node resolves a bare `--import tsx` from the working directory). */
function tsxFromDirectory(dir: string): TsxLocation | undefined {
  try {
    return tsxAt(path.dirname(createRequire(path.join(dir, 'noop.js')).resolve('tsx/package.json')));
  } catch {
    return undefined;
  }
}

/**
 * Find tsx: the one the parent was started with (a path in `execArgv`), else the app's (resolved
 * from `cwd`), else one next to Weir. `undefined` when tsx is not installed (it is an optional peer).
 */
export function locateTsx(execArgv: readonly string[] = process.execArgv, cwd: string = process.cwd()): TsxLocation | undefined {
  for (const value of execArgv) {
    const eq = value.indexOf('=');
    const found = tsxFromPreload(eq > 0 && PRELOAD_FLAGS.has(value.slice(0, eq)) ? value.slice(eq + 1) : value);
    if (found) return found;
  }
  const fromCwd = tsxFromDirectory(cwd);
  if (fromCwd) return fromCwd;
  try {
    return tsxAt(path.dirname(fileURLToPath(import.meta.resolve('tsx/package.json'))));
  } catch {
    return undefined;
  }
}

/** The `--import` value that installs tsx's ESM hooks in the thread that loads it. */
export function tsxWorkerImport(tsx: TsxLocation): string {
  const source = `import { register } from ${JSON.stringify(tsx.esmApiUrl)}; register();`;
  return `data:text/javascript,${encodeURIComponent(source)}`;
}

/** True when a preload value refers to tsx (bare `tsx`, `tsx/…`, a file in its package, or our data: URL). */
export function isTsxPreload(value: string, tsx: TsxLocation | undefined): boolean {
  if (value === 'tsx' || value.startsWith('tsx/')) return true;
  let decoded = value;
  if (value.startsWith('data:')) {
    try {
      decoded = decodeURIComponent(value);
    } catch {
      return false;
    }
  }
  const asPath = decoded.startsWith('file:') ? safeFileUrlToPath(decoded) : decoded;
  if (/[\\/]node_modules[\\/]tsx[\\/]/.test(asPath) || /[\\/]node_modules[\\/]tsx[\\/]/.test(decoded)) return true;
  if (tsx && (asPath.startsWith(tsx.packageDir + path.sep) || decoded.includes(tsx.esmApiUrl))) return true;
  return false;
}

/** True when `execArgv` preloads tsx in any form. */
export function hasTsxPreload(execArgv: readonly string[], tsx: TsxLocation | undefined): boolean {
  return withoutTsx(execArgv, tsx).length !== execArgv.length;
}

/** True when `execArgv` preloads some module other than tsx (a custom loader may be among them). */
export function hasOtherPreload(execArgv: readonly string[], tsx: TsxLocation | undefined): boolean {
  return withoutTsx(execArgv, tsx).some((a) => PRELOAD_FLAGS.has(a) || PRELOAD_FLAGS.has(a.slice(0, Math.max(0, a.indexOf('=')))));
}

/** Node strips types itself (Node ≥ 22.6 with --experimental-strip-types, by default from 23.6). */
export function nodeStripsTypes(): boolean {
  return Boolean((process.features as { typescript?: unknown }).typescript);
}

/**
 * Pure core of {@link workerExecArgv}: drop tsx preloads from `execArgv` and `extra`, then add
 * one tsx ESM registration when tsx is known and the parent had tsx or workers need TypeScript.
 * Other options keep their order.
 */
export function computeWorkerExecArgv(
  execArgv: readonly string[],
  tsx: TsxLocation | undefined,
  extra: readonly string[] = [],
  options: WorkerLoaderOptions = {},
): string[] {
  const parentHasTsx = hasTsxPreload(execArgv, tsx) || hasTsxPreload(extra, tsx);
  const kept = [...withoutTsx(execArgv, tsx), ...withoutTsx(extra, tsx)];
  if (tsx && (parentHasTsx || options.typescript === true)) kept.push('--import', tsxWorkerImport(tsx));
  return kept;
}

/**
 * execArgv for piscina workers: this process's `process.execArgv` plus `extra`, with tsx's ESM
 * loader registered in the worker when the parent runs under tsx or workers need TypeScript.
 */
export function workerExecArgv(extra: string[] = [], options: WorkerLoaderOptions = {}): string[] {
  const typescript = options.typescript === true || WEIR_RUNS_FROM_SOURCES;
  const execArgv = process.execArgv;
  const needTsx = typescript && !nodeStripsTypes();
  const tsx = needTsx || hasTsxPreload(execArgv, undefined) ? locateTsx(execArgv) : undefined;
  return computeWorkerExecArgv(execArgv, tsx, extra, { typescript: needTsx });
}

function withoutTsx(args: readonly string[], tsx: TsxLocation | undefined): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (PRELOAD_FLAGS.has(arg) && i + 1 < args.length) {
      const value = args[i + 1]!;
      if (!isTsxPreload(value, tsx)) out.push(arg, value);
      i++;
      continue;
    }
    const eq = arg.indexOf('=');
    if (eq > 0 && PRELOAD_FLAGS.has(arg.slice(0, eq)) && isTsxPreload(arg.slice(eq + 1), tsx)) continue;
    out.push(arg);
  }
  return out;
}

function safeFileUrlToPath(url: string): string {
  try {
    return fileURLToPath(url);
  } catch {
    return url;
  }
}
