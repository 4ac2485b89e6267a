/** `weir checkpoint <job> [--json]`: trigger a checkpoint of a running job; prints it once complete. */
import { expectPositionals, flagOption, parseCommandArgs } from './cli-args.ts';
import { ENDPOINT_OPTIONS, JobEndpoints } from './job-endpoint.ts';

export async function checkpointCommand(argv: readonly string[]): Promise<number> {
  const args = parseCommandArgs('checkpoint', argv, ENDPOINT_OPTIONS);
  const [ref] = expectPositionals('checkpoint', args, ['job']);
  const endpoints = new JobEndpoints(args);
  const job = await endpoints.find(ref!);
  const c = (await endpoints.request('POST', `${job.url}/jobs/${encodeURIComponent(job.jobId)}/checkpoints`)) as { checkpointId: number; path: string };
  if (flagOption(args, 'json')) console.log(JSON.stringify({ jobId: job.jobId, checkpointId: c.checkpointId, path: c.path }));
  else console.log(`checkpoint ${c.checkpointId} ${c.path}`);
  return 0;
}
