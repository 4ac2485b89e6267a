/**
 * `weir run job.ts`: a TypeScript job module needs a loader on the CLI's main thread (which
 * imports it to find the job) and in the workers. Weir's own sources run under tsx in the repo;
 * the installed package runs compiled JavaScript, so for a `.ts` job the CLI registers tsx
 * (the app's, an optional peer dependency) unless Node strips types itself or a loader was
 * preloaded. Workers then get tsx too (runtime/job/embedding.ts, actors/worker-exec-argv.ts).
 */
import { hasOtherPreload, hasTsxPreload, isTypeScriptModule, locateTsx, nodeStripsTypes, WEIR_RUNS_FROM_SOURCES } from '../actors/index.ts';
import { WeirError } from '../common/weir-error.ts';
import { TYPESCRIPT_LOADER_MISSING } from '../runtime/job/embedding.ts';

/** Make `moduleUrl` importable when it is TypeScript; throws `WEIR_TYPESCRIPT_LOADER_MISSING` when no loader can be found. */
export async function ensureTypeScriptLoader(moduleUrl: string): Promise<void> {
  if (!isTypeScriptModule(moduleUrl) || WEIR_RUNS_FROM_SOURCES || nodeStripsTypes()) return;
  if (hasTsxPreload(process.execArgv, undefined) || hasOtherPreload(process.execArgv, undefined)) return;
  const tsx = locateTsx();
  if (!tsx) {
    throw new WeirError(
      TYPESCRIPT_LOADER_MISSING,
      `the job module ${moduleUrl} is TypeScript and no TypeScript loader is available: install tsx in your project ` +
        '(`npm install --save-dev tsx`), or run a compiled .js/.mjs job, or on Node >= 22.6 pass `--experimental-strip-types` (NODE_OPTIONS).',
      { module: moduleUrl, node: process.version },
    );
  }
  const api = (await import(tsx.esmApiUrl)) as { register(): unknown };
  api.register();
}
