/**
 * How the job-control commands (`weir list | cancel | savepoint | stop | checkpoint`) reach a
 * running job: through its REST endpoint, found
 *   1. with `--url URL` (or `WEIR_REST_URL`): that endpoint, asked for its jobs; or
 *   2. through discovery files (`--jobs-dir DIR`, else `WEIR_JOBS_DIR`, else the per-user default
 *      that every `execute({ rest })` and `weir run --rest-port` writes into; see
 *      runtime/rest/job-discovery.ts).
 * The bearer token comes from `--token` or `WEIR_REST_TOKEN` (discovery files never hold it).
 * A job is named by its id, a unique id prefix, or its name when only one running job has it.
 */
import { WeirError } from '../index.ts';
import { defaultDiscoveryDirectory, discoverJobs } from '../tools.ts';
import { stringOption, type OptionSpec, type ParsedArgs } from './cli-args.ts';

/** Options every job-control command accepts. */
export const ENDPOINT_OPTIONS: OptionSpec = { url: 'string', token: 'string', 'jobs-dir': 'string', json: 'boolean' };

export const JOB_NOT_FOUND = 'WEIR_CLI_JOB_NOT_FOUND';

/** The state `list` gives a job whose endpoint wants a token we do not have. */
export const TOKEN_REQUIRED = 'token required (pass --token or set WEIR_REST_TOKEN)';

/** A job and the endpoint serving it. */
export interface JobTarget {
  readonly jobId: string;
  readonly name: string;
  readonly url: string;
  readonly state?: string;
  readonly durationMs?: number;
  readonly attempts?: number;
  /** Failovers so far (a restarting job counts the one in progress). */
  readonly restarts?: number;
}

export class JobEndpoints {
  private readonly url: string | undefined;
  private readonly token: string | undefined;
  private readonly jobsDir: string;

  constructor(args: ParsedArgs, env: NodeJS.ProcessEnv = process.env) {
    this.url = (stringOption(args, 'url') ?? env.WEIR_REST_URL)?.replace(/\/+$/, '');
    this.token = stringOption(args, 'token') ?? env.WEIR_REST_TOKEN;
    this.jobsDir = stringOption(args, 'jobs-dir') ?? defaultDiscoveryDirectory(env);
  }

  /**
   * Every reachable job (discovered ones whose endpoint does not answer are skipped). A discovered
   * endpoint that refuses us for want of a token still lists its jobs (from their discovery files),
   * in state `token required`: hiding them made `weir list` say "no running jobs".
   */
  async list(): Promise<JobTarget[]> {
    const discovered = this.url ? [] : await discoverJobs(this.jobsDir);
    const urls = this.url ? [this.url] : [...new Set(discovered.map((j) => j.url))];
    const out: JobTarget[] = [];
    for (const url of urls) {
      try {
        const body = (await this.request('GET', `${url}/jobs`)) as { jobs: Array<{ id: string; name: string; state: string; durationMs: number; attempts: number; restarts?: number }> };
        for (const j of body.jobs) out.push({ jobId: j.id, name: j.name, url, state: j.state, durationMs: j.durationMs, attempts: j.attempts, ...(j.restarts !== undefined ? { restarts: j.restarts } : {}) });
      } catch (e) {
        if (this.url) throw e; // the endpoint named explicitly must answer
        if ((e as WeirError).details?.status === 401) {
          for (const j of discovered) if (j.url === url) out.push({ jobId: j.jobId, name: j.name, url, state: TOKEN_REQUIRED });
        }
      }
    }
    return out;
  }

  /** The one job `ref` names (id, unique id prefix or unique name). */
  async find(ref: string): Promise<JobTarget> {
    const jobs = await this.list();
    const where = this.url ? `at ${this.url}` : `in ${this.jobsDir}`;
    const exact = jobs.filter((j) => j.jobId === ref);
    const matches = exact.length > 0 ? exact : jobs.filter((j) => j.name === ref).length > 0 ? jobs.filter((j) => j.name === ref) : jobs.filter((j) => j.jobId.startsWith(ref));
    if (matches.length === 1) return matches[0]!;
    if (matches.length === 0) {
      throw new WeirError(JOB_NOT_FOUND, `no running job '${ref}' ${where} (running: ${jobs.length ? jobs.map((j) => j.jobId).join(', ') : 'none'}); start one with --rest-port, or pass --url`, { job: ref });
    }
    throw new WeirError(JOB_NOT_FOUND, `'${ref}' names several running jobs ${where}: ${matches.map((j) => j.jobId).join(', ')}; give the job id`, { job: ref });
  }

  /** A JSON request; a non-2xx answer rejects with the endpoint's WeirError (code and message). */
  async request(method: string, url: string, body?: unknown): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (e) {
      throw new WeirError(JOB_NOT_FOUND, `cannot reach ${url}: ${(e as Error).message}`, { url });
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new WeirError(JOB_NOT_FOUND, `${url} answered ${res.status} with something that is not Weir's JSON`, { url, status: res.status });
    }
    if (!res.ok) {
      const e = json as { code?: string; message?: string };
      throw new WeirError(e.code ?? JOB_NOT_FOUND, e.message ?? `${url} answered ${res.status}`, { url, status: res.status });
    }
    return json;
  }
}
