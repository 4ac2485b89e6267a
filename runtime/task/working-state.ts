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

/** The job's directory of working copies (every attempt's). */
export function jobWorkingStatePath(directory: string, jobId: string): string {
  return path.join(directory, jobId);
}

/** One subtask attempt's working copy. */
export function subtaskWorkingStatePath(directory: string, jobId: string, attempt: number, vertexId: string, subtask: number): string {
  return path.join(jobWorkingStatePath(directory, jobId), String(attempt), `${vertexId}-${subtask}`);
}

/** Removes the job's working copies (all attempts). */
export async function removeWorkingState(directory: string, jobId: string): Promise<void> {
  await fsp.rm(jobWorkingStatePath(directory, jobId), { recursive: true, force: true });
}
