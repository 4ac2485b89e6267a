/**
 * What an application embedding Weir hands to `execute()` besides the job's own options:
 * an AbortSignal, its logger (or a level), and whether worker threads can load the job module.
 *
 * Logging (decided here, documented in docs/operations.md "Logs"):
 *   - nothing passed: main thread and workers log to stderr at `WEIR_LOG_LEVEL` (default warn);
 *   - `logger: 'info'` (a level): the same, at that level;
 *   - `logger: pinoLogger`: main-thread lines go through `pinoLogger.child({ job })`; workers
 *     log at the logger's level and post each line to the main thread, where it is re-logged
 *     through `pinoLogger` with the worker's bindings (system, thread, host, actor, vertex,
 *     subtask, attempt) as fields — so the app's destination, transport, redaction and bindings
 *     apply to every line. The level is read once at execute().
 *
 * TypeScript job modules: workers import the job module. A `.js`/`.mjs` module needs nothing.
 * A `.ts` module needs a loader that reaches the workers (see actors/worker-exec-argv.ts); when
 * none can, execute() throws `WEIR_TYPESCRIPT_LOADER_MISSING` before anything runs.
 */
import type { Logger } from 'pino';
import {
  createLogger, hasOtherPreload, hasTsxPreload, isTypeScriptModule, LOG_LEVELS, locateTsx, nodeStripsTypes, standardLevelOf, WEIR_RUNS_FROM_SOURCES,
  type LogLevel, type WorkerLogOptions,
} from '../../actors/index.ts';
import { WeirError } from '../../common/weir-error.ts';
import { invalidArgument } from '../errors.ts';

/** A `.ts` job module whose workers would have no TypeScript loader (new code; see the error registry). */
export const TYPESCRIPT_LOADER_MISSING = 'WEIR_TYPESCRIPT_LOADER_MISSING';

/** The embedding options of `execute()`, validated. */
export interface EmbeddingOptions {
  readonly signal: AbortSignal | undefined;
  /** The application's logger, if it passed one. */
  readonly logger: Logger | undefined;
  /** Level for Weir's own loggers when no logger was passed (undefined: `WEIR_LOG_LEVEL`). */
  readonly logLevel: LogLevel | undefined;
}

/** Validate `signal` and `logger` (throws `WEIR_INVALID_ARGUMENT`). */
export function resolveEmbeddingOptions(o: { signal?: unknown; logger?: unknown }): EmbeddingOptions {
  const { signal, logger } = o;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw invalidArgument('execute(): signal must be an AbortSignal', { option: 'signal' });
  if (logger === undefined) return { signal, logger: undefined, logLevel: undefined };
  if (typeof logger === 'string') {
    if (!(LOG_LEVELS as readonly string[]).includes(logger)) throw invalidArgument(`execute(): logger must be a pino logger or a level (${LOG_LEVELS.join(', ')}), got '${logger}'`, { option: 'logger', value: logger });
    return { signal, logger: undefined, logLevel: logger as LogLevel };
  }
  const l = logger as Partial<Logger>;
  if (typeof l !== 'object' || l === null || typeof l.child !== 'function' || typeof l.bindings !== 'function' || typeof l.level !== 'string' || typeof l.levels !== 'object') {
    throw invalidArgument('execute(): logger must be a pino logger (with child(), bindings(), level, levels) or a level name', { option: 'logger' });
  }
  return { signal, logger: logger as Logger, logLevel: undefined };
}

/** The job master's logger: `logger.child({ job })`, or Weir's own at the level asked for. */
export function jobLogger(e: EmbeddingOptions, jobId: string): Logger {
  return e.logger ? e.logger.child({ job: jobId }) : createLogger({ job: jobId }, e.logLevel ? { level: e.logLevel } : {});
}

/**
 * The logger of the job's actor system (worker pool, hosts) on the main thread: the app's, or
 * Weir's stderr logger at the level `execute({ logger: '<level>' })` named — without it, the
 * system's own logger read `WEIR_LOG_LEVEL` and `logger: 'silent'` still printed a lost worker.
 */
export function actorSystemLogger(e: EmbeddingOptions): Logger | undefined {
  return e.logger ?? (e.logLevel ? createLogger({}, { level: e.logLevel }) : undefined);
}

/** How worker threads log (undefined: their default, stderr at `WEIR_LOG_LEVEL`). */
export function workerLogOptions(e: EmbeddingOptions): WorkerLogOptions | undefined {
  if (e.logger) return { level: standardLevelOf(e.logger), forward: true };
  if (e.logLevel) return { level: e.logLevel, forward: false };
  return undefined;
}

/**
 * Whether workers must load TypeScript for this job module; throws
 * `WEIR_TYPESCRIPT_LOADER_MISSING` when they must and no loader can reach them.
 */
export function checkWorkersCanLoad(moduleUrl: string, job: string, env: { execArgv?: readonly string[]; stripsTypes?: boolean; tsxFound?: boolean } = {}): { typescript: boolean } {
  if (!isTypeScriptModule(moduleUrl)) return { typescript: false };
  const execArgv = env.execArgv ?? process.execArgv;
  const ok = (env.stripsTypes ?? nodeStripsTypes()) || hasTsxPreload(execArgv, undefined) || (env.tsxFound ?? locateTsx(execArgv) !== undefined) || hasOtherPreload(execArgv, undefined);
  if (ok) return { typescript: true };
  throw new WeirError(
    TYPESCRIPT_LOADER_MISSING,
    `job '${job}' is defined in a TypeScript module (${moduleUrl}) and worker threads, which import it, have no TypeScript loader. ` +
      'Either compile the job to JavaScript, or run the app under a loader the workers inherit: `npm install --save-dev tsx` and ' +
      '`node --import tsx app.ts` (or `npx tsx app.ts`), or on Node >= 22.6 `node --experimental-strip-types app.ts` (Node >= 23.6 strips types by default).',
    { job, module: moduleUrl, execArgv: [...execArgv], node: process.version },
  );
}

/**
 * Make a job module importable on this (main) thread when it is TypeScript, for tools that import
 * it to find its jobs (`weir run job.ts`; exported by `weir/tools`). Weir's own sources run under
 * tsx in the repo; an installed Weir runs compiled JavaScript, so for a `.ts` module this
 * registers tsx (the app's, an optional peer dependency) unless Node strips types itself or a
 * loader was preloaded. Workers then get tsx too (actors/worker-exec-argv.ts). Throws
 * `WEIR_TYPESCRIPT_LOADER_MISSING` when no loader can be found.
 */
export async function registerTypeScriptLoader(moduleUrl: string): Promise<void> {
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
