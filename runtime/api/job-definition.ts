/**
 * A Weir job: a name, a build function and the module that defines it.
 *
 * Why a module: workers cannot receive closures. Like Flink ships the user jar
 * to every TaskManager, every worker thread imports the job's module and runs
 * the same build function to rebuild the same graph, with the user's closures,
 * locally. Rules for a job module (checked, with a clear error when broken):
 *   1. `defineJob(...)` runs when the module is imported (top level), so a
 *      worker that imports the module finds the job by name.
 *   2. Importing the module has no other side effects that matter: it is
 *      imported once in every worker. Keep application code (servers, CLI
 *      parsing, `execute()` calls) out of it or behind `isMainThread` — or put
 *      the job in its own file, as `examples/embedded/` does.
 *   3. The build function is deterministic for given params: the worker's graph
 *      must equal the main thread's (`WEIR_JOB_GRAPH_MISMATCH` otherwise).
 *   4. Params cross to workers by structured clone: plain data only.
 *   5. User functions are synchronous and may only close over module-level
 *      values that every worker recomputes the same way (not over main-thread
 *      state such as a variable assigned after import).
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { StreamEnvironment } from './stream-environment.ts';
import { buildJobGraph, type JobGraph } from '../graph/job-graph.ts';
import { WeirError } from '../../common/weir-error.ts';
import { RuntimeErrorCode, invalidArgument } from '../errors.ts';
import { DEFAULT_MAX_PARALLELISM } from '../../state/index.ts';
import { startJob } from '../job/start-job.ts';
// The registry (and the lookup workers use) is in graph/job-registry.ts, so that workers never load the job master.
import { registerJob } from '../graph/job-registry.ts';
import type { ExecuteOptionFields, ExecuteOptions } from '../job/execute-options.ts';
import type { JobClient } from '../job/job-client.ts';

/** `execute()`'s arguments: options optional, and `params` too unless the job needs them. */
export type ExecuteArgs<P> = undefined extends P ? [options?: ExecuteOptions<P>] : [options: ExecuteOptions<P>];

export type JobBuildFunction<P> = (env: StreamEnvironment, params: P) => void;

export class JobDefinition<P = undefined> {
  /** @internal */
  constructor(
    readonly name: string,
    /** file: URL of the module that defines the job (what workers import). */
    readonly moduleUrl: string,
    /** @internal */ readonly build: JobBuildFunction<P>,
  ) {}

  /**
   * Run the job on worker threads. Validates the graph synchronously (throws
   * `WEIR_INVALID_GRAPH` / `WEIR_INVALID_ARGUMENT`, or `WEIR_TYPESCRIPT_LOADER_MISSING` for a
   * `.ts` job module that worker threads could not load, before anything runs) and
   * returns a client: `await client.done` for completion. A job whose build function takes
   * params (P does not include undefined) needs `options.params` — the type says so.
   */
  execute(...[options]: ExecuteArgs<P>): JobClient {
    return startJob(this, (options ?? {}) as ExecuteOptionFields<P>); // both forms of ExecuteOptions are these fields
  }

  /** Build and validate the job graph (throws WEIR_INVALID_GRAPH before anything runs). */
  graph(params: P, parallelism: number, maxParallelism: number = DEFAULT_MAX_PARALLELISM): JobGraph {
    const env = new StreamEnvironment(parallelism, maxParallelism);
    try {
      this.build(env, params);
    } catch (e) {
      if (e instanceof WeirError) throw e;
      // A build function reading p.n without params given: say so, not only "reading 'n' of undefined".
      const hint = params === undefined && e instanceof TypeError ? ' (no params were given: pass execute({ params }) / weir run --params)' : '';
      throw new WeirError(RuntimeErrorCode.INVALID_GRAPH, `job '${this.name}': the build function threw: ${(e as Error)?.message ?? String(e)}${hint}`, { job: this.name }, { cause: e });
    }
    return buildJobGraph(env.graph, { parallelism, maxParallelism });
  }
}

/**
 * Define a job. Call it at the top level of a module; `module` defaults to the
 * calling module (found from the call stack) — pass `import.meta.url` to be explicit.
 */
export function defineJob<P = undefined>(name: string, build: JobBuildFunction<P>, options: { module?: string | URL } = {}): JobDefinition<P> {
  if (typeof name !== 'string' || !/^[A-Za-z0-9._-]+$/.test(name)) {
    throw invalidArgument(`defineJob: the name must be a non-empty string of letters, digits, '.', '_' or '-', got ${JSON.stringify(name)}`);
  }
  if (typeof build !== 'function') throw invalidArgument(`defineJob('${name}'): expected a build function (env, params) => void`);
  const moduleUrl = options.module !== undefined ? normalizeModuleUrl(options.module) : callerModuleUrl();
  if (!moduleUrl) {
    // In practice: the job module was loaded as CommonJS (a `.ts` file under a package.json with
    // "type": "commonjs" or none — what `npm init -y` writes), whose stack frames are no file URLs.
    throw new WeirError(RuntimeErrorCode.JOB_MODULE,
      `defineJob('${name}'): could not tell which module defines the job. Job modules are ES modules: if this one loads as CommonJS (a package.json with "type": "commonjs", or none, next to a .ts/.js file; a .cts/.cjs file), set "type": "module" (npm pkg set type=module) or name it .mts/.mjs; in an ES module, pass { module: import.meta.url }`,
      { job: name });
  }
  const def = new JobDefinition<P>(name, moduleUrl, build);
  registerJob(def);
  return def;
}

export function normalizeModuleUrl(m: string | URL): string {
  const s = String(m);
  if (s.startsWith('file:')) return withoutScopedLoaderQuery(s);
  return pathToFileURL(s).href;
}

/**
 * tsx's scoped loaders (`tsImport()`, `register({ namespace })`) mark the modules they load with a
 * `tsx-namespace` query. Workers do not have that scoped loader: they import the plain URL with the
 * loader they get (a process-wide one, or tsx found installed) — or execute() says none can reach
 * them (WEIR_TYPESCRIPT_LOADER_MISSING). With the query they failed at import in every worker.
 */
function withoutScopedLoaderQuery(url: string): string {
  if (!url.includes('tsx-namespace=')) return url;
  const u = new URL(url);
  u.searchParams.delete('tsx-namespace');
  return u.href;
}

/**
 * The file: URL of the module that called defineJob, from V8's structured call sites: their
 * file names are the modules actually loaded (a `.js` file of the built package, or a `.ts`
 * file under a TypeScript loader), never positions rewritten by `--enable-source-maps`, which
 * would name this package's own `.ts` sources instead of the job's module.
 */
function callerModuleUrl(): string | undefined {
  const self = import.meta.url;
  const previous = Error.prepareStackTrace;
  let sites: NodeJS.CallSite[] = [];
  try {
    Error.prepareStackTrace = (_error, callSites) => callSites;
    const holder: { stack?: unknown } = {};
    Error.captureStackTrace(holder, callerModuleUrl);
    sites = Array.isArray(holder.stack) ? (holder.stack as NodeJS.CallSite[]) : [];
  } finally {
    Error.prepareStackTrace = previous;
  }
  for (const site of sites) {
    const name = site.getFileName();
    if (!name || name.startsWith('node:')) continue;
    const url = name.startsWith('file:') ? name : name.startsWith('/') || /^[A-Za-z]:[\\/]/.test(name) ? pathToFileURL(name).href : undefined;
    if (!url || url === self) continue;
    try {
      fileURLToPath(url);
    } catch {
      continue;
    }
    return withoutScopedLoaderQuery(url);
  }
  return undefined;
}
