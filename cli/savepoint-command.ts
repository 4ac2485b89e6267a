/**
 * `weir savepoint <job> [dir] [--json]`: take a savepoint of a running job into `dir` (default
 * `./savepoints`, resolved here: the job's process may have another working directory); the job
 * keeps running. Prints the savepoint's directory and how to restore from it.
 */
import path from 'node:path';
import { flagOption, parseCommandArgs, usageError } from './cli-args.ts';
import { ENDPOINT_OPTIONS, JobEndpoints } from './job-endpoint.ts';

export async function savepointCommand(argv: readonly string[]): Promise<number> {
  const args = parseCommandArgs('savepoint', argv, ENDPOINT_OPTIONS);
  const [ref, dir, extra] = args.positionals;
  if (ref === undefined) throw usageError('savepoint needs <job>', { command: 'savepoint' });
  if (extra !== undefined) throw usageError(`savepoint: unexpected argument '${extra}'`, { command: 'savepoint' });
  const endpoints = new JobEndpoints(args);
  const job = await endpoints.find(ref);
  const target = path.resolve(dir ?? 'savepoints');
  const s = (await endpoints.request('POST', `${job.url}/jobs/${encodeURIComponent(job.jobId)}/savepoints`, { targetDirectory: target })) as { checkpointId: number; path: string };
  if (flagOption(args, 'json')) {
    console.log(JSON.stringify({ jobId: job.jobId, checkpointId: s.checkpointId, path: s.path }));
    return 0;
  }
  console.log(`savepoint ${s.path}`);
  console.log(`  restore with: --restore ${s.path}`);
  return 0;
}
