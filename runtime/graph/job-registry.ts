/**
 * The job registry: which jobs each job module defined when it was imported (`defineJob`
 * registers, workers and the CLI look up).
 *
 * Why here and not beside `defineJob` in api/job-definition.ts: a worker finds its job through
 * this registry, and job-definition.ts imports the job master for `JobDefinition.execute()`.
 * Keeping the lookup in a module that imports no job layer (the definition is only a type
 * here) means a worker's subtask (runtime/task/) never loads the main thread's job master, and
 * runtime/ folders import each other without cycles (api → job → task → graph;
 * `npm run depcheck`). The registry lives on globalThis under a registered symbol so that
 * two copies of Weir in one thread (sources and dist/) still share it.
 */
import { WeirError } from '../../common/weir-error.ts';
import { RuntimeErrorCode } from '../errors.ts';
import type { JobDefinition } from '../api/job-definition.ts';

const REGISTRY_KEY = Symbol.for('weir.jobRegistry');
type Registry = Map<string, JobDefinition<any>>;
function registry(): Registry {
  const g = globalThis as { [REGISTRY_KEY]?: Registry };
  return (g[REGISTRY_KEY] ??= new Map());
}
const registryKey = (moduleUrl: string, name: string) => `${moduleUrl}::${name}`;

/** Record a definition (by `defineJob`); a second job of the same name in one module is an error. */
export function registerJob(def: JobDefinition<any>): void {
  const reg = registry();
  const key = registryKey(def.moduleUrl, def.name);
  if (reg.has(key)) {
    throw new WeirError(RuntimeErrorCode.JOB_MODULE, `defineJob('${def.name}'): a job with this name is already defined in ${def.moduleUrl}`, { job: def.name, module: def.moduleUrl });
  }
  reg.set(key, def);
}

/** In a worker: import the job module and find its definition. */
export async function loadJobDefinition(moduleUrl: string, name: string): Promise<JobDefinition<unknown>> {
  const key = registryKey(moduleUrl, name);
  let def = registry().get(key);
  if (def) return def;
  try {
    await import(moduleUrl);
  } catch (e) {
    throw new WeirError(RuntimeErrorCode.JOB_MODULE, `cannot import job module ${moduleUrl} in a worker thread: ${(e as Error)?.message ?? String(e)}`, { module: moduleUrl, job: name }, { cause: e });
  }
  def = registry().get(key);
  if (!def) {
    const known = [...registry().keys()].filter((k) => k.startsWith(`${moduleUrl}::`)).map((k) => k.split('::')[1]);
    throw new WeirError(
      RuntimeErrorCode.JOB_MODULE,
      `job '${name}' was not defined when ${moduleUrl} was imported in a worker: call defineJob('${name}', …) at the top level of that module` +
        (known.length ? ` (it defines: ${known.join(', ')})` : ''),
      { module: moduleUrl, job: name },
    );
  }
  return def;
}

/** Jobs a module defined when it was imported (for the CLI). */
export async function jobsInModule(moduleUrl: string): Promise<JobDefinition<unknown>[]> {
  try {
    await import(moduleUrl);
  } catch (e) {
    throw new WeirError(RuntimeErrorCode.JOB_MODULE, `cannot import job module ${moduleUrl}: ${(e as Error)?.message ?? String(e)}`, { module: moduleUrl }, { cause: e });
  }
  return [...registry().values()].filter((d) => d.moduleUrl === moduleUrl);
}
