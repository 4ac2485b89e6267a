/**
 * Where keyed state on LMDB keeps its working copy: `<stateDirectory>/<jobId>/<attempt>/<vertex>-<subtask>/`
 * — scratch (checkpoints hold the durable state; a new attempt never reopens an old attempt's copy,
 * state/lmdb/lmdb-keyed-state-backend.ts). The one builder of these paths: the subtask opens its
 * copy here and removes it when it closes; the job master removes the job's directory when the job
 * ends (what a killed worker left included), so a shared `stateDirectory` does not fill up with
 * the directories of jobs that ended.
 */
import { WeirError } from '../../common/weir-error.ts';
import fs, { promises as fsp } from 'node:fs';
import path from 'node:path';

/** The job's directory of working copies (every attempt's). */
export function jobWorkingStatePath(directory: string, jobId: string): string {
  const p = path.join(directory, jobId);
  // Removed recursively when the job ends: never anything but a child of `directory` ('..' would be its parent).
  if (path.dirname(path.resolve(p)) !== path.resolve(directory)) {
    throw new WeirError('WEIR_INVALID_ARGUMENT', `jobId ${JSON.stringify(jobId)} cannot name a directory inside ${directory}`, { jobId });
  }
  return p;
}

/** One subtask attempt's working copy. */
export function subtaskWorkingStatePath(directory: string, jobId: string, attempt: number, vertexId: string, subtask: number): string {
  return path.join(jobWorkingStatePath(directory, jobId), String(attempt), `${vertexId}-${subtask}`);
}

/**
 * `directory` and those of its ancestors that do not exist yet, deepest first: what a job creates
 * (its id's lock, LMDB copies) and removes again when it ends if still empty — an app running a
 * stateless job was left an empty `.weir/state/` in its working directory (a user's review).
 */
export function missingDirectories(directory: string): string[] {
  const missing: string[] = [];
  for (let d = path.resolve(directory); !fs.existsSync(d) && path.dirname(d) !== d; d = path.dirname(d)) missing.push(d);
  return missing;
}

/** Removes `directories` (deepest first) while they are empty; stops at the first that is not (another job's, the app's files). */
export async function removeEmptyDirectories(directories: readonly string[]): Promise<void> {
  for (const d of directories) {
    try {
      await fsp.rmdir(d);
    } catch {
      return;
    }
  }
}

/** Removes the job's working copies (all attempts). */
export async function removeWorkingState(directory: string, jobId: string): Promise<void> {
  await fsp.rm(jobWorkingStatePath(directory, jobId), { recursive: true, force: true });
}
