/** `weir list [--url URL] [--jobs-dir DIR] [--token T] [--json]`: the running jobs with a REST endpoint. */
import { flagOption, parseCommandArgs } from './cli-args.ts';
import { ENDPOINT_OPTIONS, JobEndpoints } from './job-endpoint.ts';

function uptime(ms: number | undefined): string {
  if (ms === undefined) return '';
  const s = Math.floor(ms / 1000);
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export async function listCommand(argv: readonly string[]): Promise<number> {
  const args = parseCommandArgs('list', argv, ENDPOINT_OPTIONS);
  const jobs = await new JobEndpoints(args).list();
  if (flagOption(args, 'json')) {
    console.log(JSON.stringify(jobs, null, 2));
    return 0;
  }
  if (jobs.length === 0) {
    console.log('no running jobs');
    return 0;
  }
  const rows = [['JOB ID', 'NAME', 'STATE', 'UPTIME', 'RESTARTS', 'URL'], ...jobs.map((j) => [j.jobId, j.name, j.state ?? '', uptime(j.durationMs), String(j.restarts ?? Math.max(0, (j.attempts ?? 1) - 1)), j.url])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
  return 0;
}
