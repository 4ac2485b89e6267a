/**
 * The `rest` option of `execute()`: where the job's HTTP endpoint (metrics, REST API,
 * dashboard) listens and how it is protected. Off unless given.
 *
 * Security rule: loopback by default; a non-loopback host must come with a token (else
 * `WEIR_REST_INSECURE` at execute()). With a token, every request needs
 * `Authorization: Bearer <token>` (the dashboard too: open it once as `/?token=<token>`).
 */
import os from 'node:os';
import path from 'node:path';
import { WeirError, preview } from '../../common/weir-error.ts';
import { invalidArgument } from '../errors.ts';

export interface RestOptions {
  /** TCP port; 0 = an ephemeral port (read it from `client.restUrl()`). */
  port: number;
  /** Interface to bind. Default 127.0.0.1. Anything but loopback requires `token`. */
  host?: string;
  /** Bearer token every request must carry (`Authorization: Bearer <token>`). Default: none (loopback only). */
  token?: string;
  /**
   * Directory of discovery files (`<jobId>.json`: url, pid; never the token) through which
   * `weir list | cancel | …` find running jobs, like `jps` finds JVMs. Default: `WEIR_JOBS_DIR`,
   * else `<tmpdir>/weir-<user>/jobs`. `false`: write none.
   */
  discoveryDirectory?: string | false;
}

export interface ResolvedRestOptions {
  readonly port: number;
  readonly host: string;
  readonly token: string | undefined;
  readonly discoveryDirectory: string | undefined;
}

const KNOWN = new Set(['port', 'host', 'token', 'discoveryDirectory']);

/** Whether `host` binds only the loopback interface. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Where discovery files go by default (`WEIR_JOBS_DIR`, else a per-user folder under the temp directory). */
export function defaultDiscoveryDirectory(env: NodeJS.ProcessEnv = process.env): string {
  if (env.WEIR_JOBS_DIR) return path.resolve(env.WEIR_JOBS_DIR);
  let user = 'user';
  try {
    user = os.userInfo().username || user;
  } catch {
    // no user name (a container without passwd entry): one shared folder
  }
  return path.join(os.tmpdir(), `weir-${user}`, 'jobs');
}

/** Validate `execute({ rest })`; throws WEIR_INVALID_ARGUMENT or WEIR_REST_INSECURE. */
export function resolveRestOptions(o: unknown): ResolvedRestOptions | undefined {
  if (o === undefined) return undefined;
  if (typeof o !== 'object' || o === null) throw invalidArgument('execute(): rest must be an object { port, host?, token? }', { option: 'rest' });
  for (const k of Object.keys(o)) if (!KNOWN.has(k)) throw invalidArgument(`execute(): unknown option 'rest.${k}' (known: ${[...KNOWN].join(', ')})`, { option: `rest.${k}` });
  const r = o as RestOptions;
  if (!Number.isInteger(r.port) || r.port < 0 || r.port > 65535) throw invalidArgument(`execute(): rest.port must be an integer in [0, 65535], got ${preview(r.port)}`, { option: 'rest.port', value: r.port });
  const host = r.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host.length === 0) throw invalidArgument('execute(): rest.host must be a non-empty string', { option: 'rest.host' });
  if (r.token !== undefined && (typeof r.token !== 'string' || r.token.length < 8)) {
    throw invalidArgument('execute(): rest.token must be a string of at least 8 characters', { option: 'rest.token' });
  }
  if (!isLoopback(host) && r.token === undefined) {
    throw new WeirError('WEIR_REST_INSECURE', `execute(): rest.host '${host}' is not a loopback address: pass rest.token so that every request must carry it (Authorization: Bearer <token>), or bind 127.0.0.1`, { option: 'rest.host', host });
  }
  const d = r.discoveryDirectory;
  if (d !== undefined && d !== false && (typeof d !== 'string' || d.length === 0)) throw invalidArgument('execute(): rest.discoveryDirectory must be a directory path or false', { option: 'rest.discoveryDirectory' });
  return { port: r.port, host, token: r.token, discoveryDirectory: d === false ? undefined : path.resolve(d ?? defaultDiscoveryDirectory()) };
}
