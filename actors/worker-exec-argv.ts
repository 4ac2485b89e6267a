/**
 * execArgv for worker threads that run TypeScript from source (Weir runs through tsx on Node 20).
 *
 * Measured trap (tsx 4.23, Node 20.20): tsx's `--import tsx` entry (`tsx/dist/loader.mjs`)
 * registers its ESM hooks only on the main thread for Node < 22.22; in a worker it installs
 * just the CommonJS `require` hook. Consequences inside a worker started with `--import tsx`:
 *   - `import('./x.ts')` fails with ERR_UNKNOWN_FILE_EXTENSION (tsx issue #354);
 *   - piscina loads its filename with `require()` first, so a `.ts` worker entry is silently
 *     transpiled to CommonJS (no `import.meta.resolve`, no top-level await, and modules it
 *     imports exist twice if anything later loads them as ESM).
 * So this module strips tsx's own entries from the parent's execArgv and instead adds one
 * `--import data:` module that calls `register()` from `tsx/esm/api`, which installs the ESM
 * hooks in the worker on every Node version ≥ 20.6. Then `.ts` entries and `import()` of
 * `.ts` actor modules load as real ES modules, exactly as on the main thread.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where tsx lives, for recognising and re-adding its loader. */
export interface TsxLocation {
  /** Absolute directory of the tsx package (ends without a separator). */
  readonly packageDir: string;
  /** file: URL of `tsx/esm/api` (exports `register()`). */
  readonly esmApiUrl: string;
}

/** Options that name a module to preload; tsx puts its loader behind these. */
const PRELOAD_FLAGS = new Set(['--import', '--loader', '--experimental-loader', '--require', '-r']);

/** Resolve tsx from this package; `undefined` when tsx is not installed (compiled deployments). */
export function locateTsx(): TsxLocation | undefined {
  try {
    const esmApiUrl = import.meta.resolve('tsx/esm/api');
    const packageJson = fileURLToPath(import.meta.resolve('tsx/package.json'));
    return { packageDir: path.dirname(packageJson), esmApiUrl };
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

/**
 * Pure core of {@link workerExecArgv}: drop tsx preloads from `execArgv` and `extra`, then add
 * one tsx ESM registration (when tsx is known). Other options keep their order.
 */
export function computeWorkerExecArgv(
  execArgv: readonly string[],
  tsx: TsxLocation | undefined,
  extra: readonly string[] = [],
): string[] {
  const kept = [...withoutTsx(execArgv, tsx), ...withoutTsx(extra, tsx)];
  if (tsx) kept.push('--import', tsxWorkerImport(tsx));
  return kept;
}

/**
 * execArgv for piscina workers: this process's `process.execArgv` plus `extra`, with tsx's
 * ESM loader registered in the worker (works under `node --import tsx` and under the `tsx` CLI).
 */
export function workerExecArgv(extra: string[] = []): string[] {
  return computeWorkerExecArgv(process.execArgv, locateTsx(), extra);
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
