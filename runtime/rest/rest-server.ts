/**
 * The job's HTTP endpoint (`execute({ rest })`): Prometheus metrics, a JSON REST API modelled on
 * Flink's, job control, and the dashboard. node:http, no framework: a dozen routes.
 *
 *   GET    /metrics                      Prometheus text (prom-client registry of the job)
 *   GET    /jobs                         { jobs: [overview] }
 *   GET    /jobs/:id                     overview + plan + vertex metrics + failovers
 *   GET    /jobs/:id/metrics             per-subtask metrics and rates, channel occupancy
 *   GET    /jobs/:id/checkpoints         checkpoint statistics (counts, latest, summary, history)
 *   GET    /jobs/:id/checkpoints/details/:checkpointId   one checkpoint with its per-subtask rows
 *   POST   /jobs/:id/checkpoints         trigger a checkpoint; waits for it → { checkpointId, path }
 *   POST   /jobs/:id/savepoints          { targetDirectory } → { checkpointId, path }
 *   POST   /jobs/:id/stop                { targetDirectory } stop-with-savepoint → { savepointPath }
 *   PATCH  /jobs/:id?mode=cancel, DELETE /jobs/:id, POST /jobs/:id/cancel   cancel → 202
 *   GET    /, /assets/*, /vendor/*       the dashboard (dashboard-assets.ts: a fixed table)
 *
 * Errors are JSON `{ code, message }` with the WeirError's code (401, 404, 400, 405, 409, 500).
 * Auth (rest-options.ts): with a token, every request needs `Authorization: Bearer <token>`;
 * GETs may instead carry the `weir_token` cookie that `GET /?token=<token>` sets (HttpOnly,
 * SameSite=Strict), so a browser can open the dashboard; control requests need the header.
 *
 * Lifecycle: `listen()` (the job master awaits it before deploying: a port that cannot be bound
 * fails the job with WEIR_REST_LISTEN_FAILED), `attach(client)`, `close()` when the job ends
 * (requests in progress, e.g. the stop that ended it, still get their answer).
 */
import http from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { Registry } from 'prom-client';
import { WeirError } from '../../common/weir-error.ts';
import type { JobClient } from '../job/job-client.ts';
import { createMetricsRegistry, scrapeMetrics } from '../metrics/prometheus-metrics.ts';
import { samplerFor, type MetricsSampler } from '../metrics/metrics-sampler.ts';
import { assetFor, readAsset } from './dashboard-assets.ts';
import { checkpointsView, jobDetail, jobMetricsView, jobOverview } from './rest-views.ts';
import type { ResolvedRestOptions } from './rest-options.ts';
import { removeDiscoveryFile, writeDiscoveryFile } from './job-discovery.ts';

const MAX_BODY_BYTES = 64 * 1024;

const STATUS: Record<string, number> = {
  WEIR_REST_UNAUTHORIZED: 401,
  WEIR_REST_NOT_FOUND: 404,
  WEIR_REST_BAD_REQUEST: 400,
  WEIR_INVALID_ARGUMENT: 400,
  WEIR_JOB_NOT_RUNNING: 409,
  WEIR_JOB_CANCELLED: 409,
};

/** The HTTP status of an error: 405 for a wrong method, 409 for a checkpoint refused while another runs, else by code (500 when unknown). */
function httpStatus(err: WeirError): number {
  if (typeof err.details.httpStatus === 'number') return err.details.httpStatus;
  if (err.details.reason === 'TOO_MANY_CHECKPOINT_REQUESTS') return 409;
  return STATUS[err.code] ?? 500;
}

const notFound = (what: string) => new WeirError('WEIR_REST_NOT_FOUND', what, {});
const badRequest = (what: string, details: Record<string, unknown> = {}) => new WeirError('WEIR_REST_BAD_REQUEST', what, details);

interface Reply { status: number; body: unknown }

export class RestEndpoint {
  private readonly server: http.Server;
  private client: JobClient | undefined;
  private registry: Registry | undefined;
  private sampler: MetricsSampler | undefined;
  private discoveryFile: string | undefined;
  private base: string | undefined;
  private readonly token: Buffer | undefined;
  private readonly onExit = () => this.discoveryFile && removeDiscoveryFile(this.discoveryFile);
  /** The base URL once listening; rejects when listening failed or the job ended first. */
  readonly url: Promise<string>;
  private settleUrl!: { resolve: (url: string) => void; reject: (e: Error) => void };

  constructor(private readonly opts: ResolvedRestOptions) {
    this.url = new Promise((resolve, reject) => (this.settleUrl = { resolve, reject }));
    this.url.catch(() => {});
    this.token = opts.token === undefined ? undefined : Buffer.from(opts.token);
    this.server = http.createServer((req, res) => void this.handle(req, res));
  }

  /** The job this endpoint serves; sampling starts now. */
  attach(client: JobClient): void {
    this.client = client;
    this.sampler = samplerFor(client);
    this.registry = createMetricsRegistry(client);
  }

  /** Listen; resolves with the base URL (rejects WEIR_REST_LISTEN_FAILED). Writes the discovery file. */
  async listen(): Promise<string> {
    try {
      const url = await this.bind();
      this.settleUrl.resolve(url);
      return url;
    } catch (e) {
      this.settleUrl.reject(e as Error);
      throw e;
    }
  }

  private async bind(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      const fail = (e: NodeJS.ErrnoException) => reject(new WeirError('WEIR_REST_LISTEN_FAILED', `the REST endpoint cannot listen on ${this.opts.host}:${this.opts.port}: ${e.code ?? ''} ${e.message}`, { host: this.opts.host, port: this.opts.port, errno: e.code }, { cause: e }));
      this.server.once('error', fail);
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off('error', fail);
        resolve();
      });
    });
    const addr = this.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : this.opts.port;
    const host = this.opts.host.includes(':') && !this.opts.host.startsWith('[') ? `[${this.opts.host}]` : this.opts.host;
    // A wildcard bind is reached through loopback from this host.
    this.base = `http://${host === '0.0.0.0' ? '127.0.0.1' : host === '[::]' ? '[::1]' : host}:${port}`;
    if (this.opts.discoveryDirectory && this.client) {
      this.discoveryFile = await writeDiscoveryFile(this.opts.discoveryDirectory, {
        jobId: this.client.jobId, name: this.client.name, url: this.base, pid: process.pid, tokenRequired: this.token !== undefined, startTime: this.client.startTime,
      }).catch(() => undefined); // discovery is a convenience: the endpoint works without it
      process.once('exit', this.onExit);
    }
    return this.base;
  }

  /** The base URL once listening. */
  get baseUrl(): string | undefined {
    return this.base;
  }

  /** Stop accepting requests (answers in progress complete), remove the discovery file; `url` rejects with `reason` if it never listened. */
  async close(reason?: Error): Promise<void> {
    if (reason) this.settleUrl.reject(reason);
    this.onExit();
    process.off('exit', this.onExit);
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let reply: Reply;
    const url = new URL(req.url ?? '/', 'http://weir');
    try {
      if (!this.authorized(req, url)) throw new WeirError('WEIR_REST_UNAUTHORIZED', 'this endpoint requires its token: send Authorization: Bearer <token>', {});
      if (req.method === 'GET' && (url.pathname === '/' || url.pathname.startsWith('/assets/') || url.pathname.startsWith('/vendor/') || url.pathname === '/index.html')) {
        await this.serveAsset(url, res);
        return;
      }
      if (req.method === 'GET' && url.pathname === '/metrics') {
        const text = await scrapeMetrics(this.registry!);
        res.writeHead(200, { 'content-type': this.registry!.contentType, 'cache-control': 'no-store' });
        res.end(text);
        return;
      }
      reply = await this.route(req, url);
    } catch (e) {
      const err = e instanceof WeirError ? e : new WeirError('WEIR_REST_BAD_REQUEST', (e as Error)?.message ?? String(e), {});
      reply = { status: httpStatus(err), body: { code: err.code, message: err.message, ...(typeof err.details.reason === 'string' ? { reason: err.details.reason } : {}) } };
    }
    // The job ended meanwhile (this request may have ended it): no keep-alive, so the process can exit.
    if (!this.server.listening) res.setHeader('connection', 'close');
    res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.end(JSON.stringify(reply.body));
  }

  private authorized(req: http.IncomingMessage, url: URL): boolean {
    if (!this.token) return true;
    const auth = req.headers.authorization;
    if (auth?.startsWith('Bearer ') && this.matches(auth.slice(7))) return true;
    if (req.method !== 'GET') return false; // control needs the header (no cookie: no cross-site request can carry it)
    if (url.pathname === '/' && url.searchParams.has('token') && this.matches(url.searchParams.get('token')!)) return true;
    const cookie = /(?:^|;\s*)weir_token=([^;]+)/.exec(req.headers.cookie ?? '');
    return cookie !== null && this.matches(decodeURIComponent(cookie[1]!));
  }

  private matches(candidate: string): boolean {
    const c = Buffer.from(candidate);
    return c.length === this.token!.length && timingSafeEqual(c, this.token!);
  }

  private async serveAsset(url: URL, res: http.ServerResponse): Promise<void> {
    const asset = assetFor(url.pathname);
    const bytes = asset && (await readAsset(asset));
    if (!asset || !bytes) {
      res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ code: 'WEIR_REST_NOT_FOUND', message: `no such file: ${url.pathname}` }));
      return;
    }
    const headers: Record<string, string> = { 'content-type': asset.contentType, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' };
    if (this.token && url.pathname === '/' && url.searchParams.has('token')) headers['set-cookie'] = `weir_token=${encodeURIComponent(url.searchParams.get('token')!)}; HttpOnly; SameSite=Strict; Path=/`;
    res.writeHead(200, headers);
    res.end(bytes);
  }

  private async route(req: http.IncomingMessage, url: URL): Promise<Reply> {
    const client = this.client;
    if (!client) throw notFound('the job is not attached yet');
    const parts = url.pathname.split('/').filter(Boolean).map((p) => decodeURIComponent(p));
    if (parts[0] !== 'jobs' || parts.length > 5 || (parts.length > 3 && (parts[2] !== 'checkpoints' || parts[3] !== 'details' || parts.length !== 5))) throw notFound(`no such endpoint: ${req.method} ${url.pathname}`);
    const sample = this.sampler!.latest();
    if (parts.length === 1) {
      if (req.method !== 'GET') throw badRequest(`method ${req.method} not allowed on /jobs`, { httpStatus: 405 });
      return { status: 200, body: { jobs: [jobOverview(client, sample)] } };
    }
    if (parts[1] !== client.jobId) throw notFound(`no job with id '${parts[1]}' (this endpoint serves job '${client.jobId}')`);
    const sub = parts[2];
    const method = req.method ?? 'GET';
    if (parts.length === 5) {
      if (method !== 'GET') throw badRequest(`method ${method} not allowed on ${url.pathname}`, { httpStatus: 405 });
      const id = Number(parts[4]);
      const entry = Number.isInteger(id) ? client.checkpointStats()?.history.find((h) => h.checkpointId === id) : undefined;
      if (!entry) throw notFound(`no checkpoint ${parts[4]} in the history of job '${client.jobId}'`);
      return { status: 200, body: entry };
    }
    const key = `${method} ${sub ?? ''}`;
    switch (key) {
      case 'GET ': return { status: 200, body: jobDetail(client, sample) };
      case 'GET metrics': return { status: 200, body: jobMetricsView(client, await this.sampler!.sample().catch(() => sample)) };
      case 'GET checkpoints': return { status: 200, body: checkpointsView(client) };
      case 'POST checkpoints': {
        const c = await client.triggerCheckpoint();
        return { status: 200, body: { checkpointId: c.checkpointId, path: c.directory } };
      }
      case 'POST savepoints': {
        const dir = await targetDirectory(req);
        const c = await client.triggerSavepoint(dir);
        return { status: 200, body: { checkpointId: c.checkpointId, path: c.directory } };
      }
      case 'POST stop': {
        const dir = await targetDirectory(req);
        const c = await client.stopWithSavepoint(dir);
        return { status: 200, body: { checkpointId: c.checkpointId, savepointPath: c.directory } };
      }
      case 'PATCH ':
      case 'DELETE ':
      case 'POST cancel':
        if (method === 'PATCH' && url.searchParams.get('mode') !== 'cancel') throw badRequest('PATCH /jobs/:id needs ?mode=cancel');
        void client.cancel();
        return { status: 202, body: { id: client.jobId, state: 'cancelling' } };
      default:
        if (['GET ', 'GET metrics', 'GET checkpoints', 'POST checkpoints', 'POST savepoints', 'POST stop', 'POST cancel', 'DELETE ', 'PATCH '].some((k) => k.endsWith(` ${sub ?? ''}`))) {
          throw badRequest(`method ${method} not allowed on ${url.pathname}`, { httpStatus: 405 });
        }
        throw notFound(`no such endpoint: ${method} ${url.pathname}`);
    }
  }
}

/** `{ targetDirectory }` from a JSON body (WEIR_REST_BAD_REQUEST when absent or malformed). */
async function targetDirectory(req: http.IncomingMessage): Promise<string> {
  const body = await readJson(req);
  const dir = (body as { targetDirectory?: unknown } | null)?.targetDirectory;
  if (typeof dir !== 'string' || dir.length === 0) throw badRequest('the body must be JSON { "targetDirectory": "<directory>" }', { field: 'targetDirectory' });
  return dir;
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw badRequest(`the body is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw badRequest(`the body is not valid JSON: ${(e as Error).message}`);
  }
}
