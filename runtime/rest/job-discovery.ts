/**
 * Discovery files: how `weir list | cancel | savepoint | stop | checkpoint`, run from another
 * shell, find the jobs of this user that serve a REST endpoint — as `jps` finds JVMs through
 * per-user files under the temp directory. A job with `execute({ rest })` writes
 * `<dir>/<jobId>.json` once its endpoint listens and removes it when the job ends; a file whose
 * process is gone (killed) is ignored and removed by the next reader.
 *
 * The token is never written: a reader holds it already (`--token` / `WEIR_REST_TOKEN`); the
 * file only says whether one is required. The folder is created 0700, and both sides trust only a
 * folder and files owned by the current user that nobody else can write: in a shared temp
 * directory another user could otherwise plant a file pointing the CLI (and the token it sends)
 * at their own server.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';

/** What a discovery file holds. */
export interface DiscoveredJob {
  readonly jobId: string;
  readonly name: string;
  /** Base URL of the endpoint, e.g. http://127.0.0.1:8081 */
  readonly url: string;
  readonly pid: number;
  /** Whether requests need the bearer token. */
  readonly tokenRequired: boolean;
  /** Epoch ms of submission. */
  readonly startTime: number;
}

/** Whether `st` belongs to this user and only this user can write it (always true where there are no uids). */
function ownedPrivately(st: fs.Stats): boolean {
  const uid = process.getuid?.();
  return uid === undefined || (st.uid === uid && (st.mode & 0o022) === 0);
}

/** Write the discovery file of a job (atomically: temp file + rename). Returns its path; rejects when the folder is not this user's alone. */
export async function writeDiscoveryFile(dir: string, job: DiscoveredJob): Promise<string> {
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  if (!ownedPrivately(await fsp.stat(dir))) throw new Error(`discovery folder ${dir} is not owned by this user alone`);
  const file = path.join(dir, `${job.jobId}.json`);
  const tmp = `${file}.${process.pid}.tmp`;
  await fsp.writeFile(tmp, JSON.stringify(job), { mode: 0o600 });
  await fsp.rename(tmp, file);
  return file;
}

/** Remove a discovery file (synchronously: also called while the process exits). */
export function removeDiscoveryFile(file: string): void {
  try {
    fs.rmSync(file, { force: true });
  } catch {
    // best effort: a reader ignores files of dead processes
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The jobs discovered in `dir` whose process is alive, oldest first (files of dead processes are removed). */
export async function discoverJobs(dir: string): Promise<DiscoveredJob[]> {
  let names: string[];
  try {
    if (!ownedPrivately(await fsp.stat(dir))) return []; // not ours alone: trust nothing in it
    names = await fsp.readdir(dir);
  } catch {
    return [];
  }
  const jobs: DiscoveredJob[] = [];
  for (const n of names.filter((f) => f.endsWith('.json'))) {
    const file = path.join(dir, n);
    let job: DiscoveredJob;
    try {
      if (!ownedPrivately(await fsp.lstat(file))) continue;
      job = JSON.parse(await fsp.readFile(file, 'utf8')) as DiscoveredJob;
    } catch {
      continue; // being written or not ours
    }
    if (typeof job?.url !== 'string' || !Number.isInteger(job.pid)) continue;
    if (!alive(job.pid)) {
      removeDiscoveryFile(file);
      continue;
    }
    jobs.push(job);
  }
  return jobs.sort((a, b) => a.startTime - b.startTime);
}
