/** `weir cancel <job> [--json]`: cancel a running job (its endpoint answers once the cancel started). */
import { expectPositionals, flagOption, parseCommandArgs } from './cli-args.ts';
import { ENDPOINT_OPTIONS, JobEndpoints } from './job-endpoint.ts';

export async function cancelCommand(argv: readonly string[]): Promise<number> {
  const args = parseCommandArgs('cancel', argv, ENDPOINT_OPTIONS);
  const [ref] = expectPositionals('cancel', args, ['job']);
  const endpoints = new JobEndpoints(args);
  const job = await endpoints.find(ref!);
  await endpoints.request('PATCH', `${job.url}/jobs/${encodeURIComponent(job.jobId)}?mode=cancel`);
  if (flagOption(args, 'json')) console.log(JSON.stringify({ jobId: job.jobId, status: 'cancelling' }));
  else console.log(`job ${job.jobId} cancelling`);
  return 0;
}
