/**
 * One running job per job id. Checkpoints (`<checkpoint dir>/<jobId>/chk-<n>`) and LMDB working
 * state (`<stateDirectory>/<jobId>/`) are kept per job id, so two jobs running with the same id
 * overwrite each other's checkpoints and delete each other's state (Flink refuses a duplicate job
 * id the same way: DuplicateJobSubmissionException).
 *
 * Held in two places: in this process (every job, no I/O), and — for a job that writes to those
 * directories — in a lock file `.weir-job.lock` inside them, holding the owner's pid, so a job of
 * another process is refused too. A lock file whose process is gone (killed) is stale and taken over.
 * Why files: nothing to run, per directory by construction (the discovery files use the same idea).
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { WeirError } from '../../common/weir-error.ts';
import { makeDirectory } from '../../common/make-directory.ts';

export const LOCK_FILE_NAME = '.weir-job.lock';

const heldInProcess = new Set<string>();

/** A job id held until `release()`. */
export interface JobIdLease {
  release(): Promise<void>;
}

/**
 * Takes `jobId` for this job; `directories` are the job-id directories it will write (the
 * checkpoint root, the LMDB working-state root). Throws `WEIR_JOB_ID_IN_USE` when another running
 * job holds the id.
 */
export async function acquireJobId(jobId: string, directories: readonly string[]): Promise<JobIdLease> {
  if (heldInProcess.has(jobId)) throw inUse(jobId, 'a job of this process is running with it');
  heldInProcess.add(jobId);
  const locks: string[] = [];
  try {
    for (const dir of directories) {
      const file = path.join(dir, LOCK_FILE_NAME);
      await lockFile(jobId, file);
      locks.push(file);
    }
  } catch (e) {
    heldInProcess.delete(jobId);
    await Promise.all(locks.map((f) => fsp.rm(f, { force: true })));
    throw e;
  }
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      heldInProcess.delete(jobId);
      await Promise.all(locks.map((f) => fsp.rm(f, { force: true }).catch(() => {})));
    },
  };
}

/** The job's directory cannot hold its lock: WEIR_INVALID_ARGUMENT naming it and the system error. */
function unusable(file: string, e: unknown): WeirError {
  const err = e as NodeJS.ErrnoException;
  const dir = path.dirname(file);
  return new WeirError('WEIR_INVALID_ARGUMENT', `the job's directory ${dir} cannot be used (${err.code ?? 'error'}: ${err.message}): check checkpointing.directory and stateDirectory`, { directory: dir, errno: err.code }, { cause: e });
}

async function lockFile(jobId: string, file: string): Promise<void> {
  await makeDirectory(path.dirname(file)).catch((e: unknown) => { throw unusable(file, e); });
  for (let tries = 0; tries < 3; tries++) {
    try {
      await fsp.writeFile(file, `${process.pid}\n`, { flag: 'wx' });
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        // The job that held the id just removed its emptied directory (job-checkpointing.ts): make it again.
        await makeDirectory(path.dirname(file)).catch((err: unknown) => { throw unusable(file, err); });
        continue;
      }
      if (code !== 'EEXIST') throw unusable(file, e);
    }
    const owner = Number.parseInt(await fsp.readFile(file, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(owner) && owner !== process.pid && alive(owner)) {
      throw inUse(jobId, `process ${owner} holds ${file} (if that process is not a Weir job, delete the file)`);
    }
    // Stale (its process is gone, or this process's own leftover): take it over.
    await fsp.rm(file, { force: true });
  }
  throw inUse(jobId, `could not take ${file}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, another user's
  }
}

function inUse(jobId: string, why: string): WeirError {
  return new WeirError('WEIR_JOB_ID_IN_USE', `job id '${jobId}' is in use: ${why}. Job ids must be unique among running jobs (checkpoints and working state are kept per id); pass another jobId, or let Weir generate one`, { jobId });
}
