/**
 * `weir stop <job> --savepoint-path <dir> [--json]`: stop-with-savepoint (Flink's `flink stop`): a savepoint
 * into `dir`, then the job ends `finished` with the savepoint in its result. Prints its directory.
 */
import path from 'node:path';
import { expectPositionals, flagOption, parseCommandArgs, stringOption, usageError } from './cli-args.ts';
import { ENDPOINT_OPTIONS, JobEndpoints } from './job-endpoint.ts';

export async function stopCommand(argv: readonly string[]): Promise<number> {
  const args = parseCommandArgs('stop', argv, { ...ENDPOINT_OPTIONS, 'savepoint-path': 'string' });
  const [ref] = expectPositionals('stop', args, ['job']);
  const dir = stringOption(args, 'savepoint-path');
  if (dir === undefined || dir.trim() === '') throw usageError('stop needs --savepoint-path <dir> (use `weir cancel` to stop without a savepoint)', { command: 'stop' });
  const endpoints = new JobEndpoints(args);
  const job = await endpoints.find(ref!);
  const s = (await endpoints.request('POST', `${job.url}/jobs/${encodeURIComponent(job.jobId)}/stop`, { targetDirectory: path.resolve(dir) })) as { savepointPath: string };
  if (flagOption(args, 'json')) {
    console.log(JSON.stringify({ jobId: job.jobId, savepointPath: s.savepointPath }));
    return 0;
  }
  console.log(`job ${job.jobId} stopped with savepoint ${s.savepointPath}`);
  console.log(`  restore with: --restore ${s.savepointPath}`);
  return 0;
}
