/**
 * Where keyed state on LMDB keeps its working copy: `<stateDirectory>/<jobId>/<attempt>/<vertex>-<subtask>/`
 * — scratch (checkpoints hold the durable state; a new attempt never reopens an old attempt's copy,
 * state/lmdb/lmdb-keyed-state-backend.ts). The one builder of these paths: the subtask opens its
 * copy here and removes it when it closes; the job master removes the job's directory when the job
 * ends (what a killed worker left included), so a shared `stateDirectory` does not fill up with
 * the directories of jobs that ended.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';

/** The job's directory of working copies, or a subtask's copy in it. */
export function workingStatePath(directory: string, jobId: string, subtask?: { attempt: number; vertexId: string; subtask: number }): string {
  const job = path.join(directory, jobId);
  return subtask ? path.join(job, String(subtask.attempt), `${subtask.vertexId}-${subtask.subtask}`) : job;
}

/** Removes the job's working copies (all attempts); resolves whether it succeeded (a failure is not the job's). */
export async function removeWorkingState(directory: string, jobId: string): Promise<{ ok: true } | { ok: false; error: Error }> {
  try {
    await fsp.rm(workingStatePath(directory, jobId), { recursive: true, force: true });
    return { ok: true };
  } catch (e) {
    return { ok: false, error: e as Error };
  }
}
