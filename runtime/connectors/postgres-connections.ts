/**
 * What the PostgreSQL sink (postgres-sink.ts) needs around the `pg` client: loading it lazily,
 * a small per-subtask connection pool, SQL text for batched INSERT / upsert, and turning
 * PostgreSQL and socket errors into Weir's typed sink errors.
 *
 * `pg` is imported with a dynamic `import('pg')` when a sink opens, so jobs that do not use
 * the sink never load it (only its types are imported statically, and they are erased).
 */
import type pg from 'pg';
import { WeirError } from '../../common/weir-error.ts';
import { RuntimeErrorCode, invalidArgument } from '../errors.ts';

export type PgModule = typeof pg;

let loaded: Promise<PgModule> | undefined;

/** `pg`, imported on first use. */
export function loadPg(): Promise<PgModule> {
  loaded ??= import('pg').then((m) => ((m as { default?: PgModule }).default ?? (m as unknown as PgModule)));
  return loaded;
}

/** Where the sink connects, for messages (never the password). */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
}

export function describeEndpoint(e: Endpoint): string {
  return `${e.host}:${e.port}/${e.database} as ${e.user}`;
}

/** pg's client configuration from a connection string or parameters. */
/**
 * Refuses a `connection` option that is neither `{ host, port, … }` nor a connection string pg
 * understands as one (`postgres://` / `postgresql://` URL, or a Unix socket directory): anything
 * else was read as a host name and failed later as a *connection* failure, restarted forever.
 */
export function checkConnectionOption(what: string, connection: unknown): void {
  if (typeof connection === 'string') {
    const url = /^postgres(ql)?:\/\//i.test(connection);
    if (url) {
      try {
        new URL(connection);
        return;
      } catch { /* refused below */ }
    } else if (connection.startsWith('/')) return;
    throw invalidArgument(`${what}: connection '${connection.replace(/:[^:@/]*@/, ':***@')}' is not a connection string: expected postgres://user:password@host:port/database (or { host, port, user, password, database })`, { option: 'connection' });
  }
  if (connection === null || typeof connection !== 'object') throw invalidArgument(`${what}: connection must be a connection string or { host, port, user, password, database }`, { option: 'connection' });
}

/** `statementTimeoutMs`: the server cancels a statement running longer (PostgreSQL's statement_timeout). */
export function clientConfig(connection: string | pg.ClientConfig, connectTimeoutMs: number, statementTimeoutMs?: number): pg.ClientConfig {
  const limits = { connectionTimeoutMillis: connectTimeoutMs, ...(statementTimeoutMs !== undefined ? { statement_timeout: statementTimeoutMs } : {}) };
  return typeof connection === 'string' ? { connectionString: connection, ...limits } : { ...connection, ...limits };
}

/** Where `config` connects (pg's defaults and the connection string applied), and the password it uses. */
export function endpointOf(pgm: PgModule, config: pg.ClientConfig): { endpoint: Endpoint; password: string | undefined } {
  const probe = new pgm.Client(config);
  return {
    endpoint: { host: String(probe.host ?? 'localhost'), port: Number(probe.port ?? 5432), database: String(probe.database ?? probe.user ?? '?'), user: String(probe.user ?? '?') },
    password: typeof probe.password === 'string' ? probe.password : undefined,
  };
}

/** SQLSTATE classes and codes: which typed error a failure becomes. */
export type FailureKind = 'connection' | 'misconfigured' | 'record' | 'other';

const CONNECTION_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);
const MISCONFIGURED_SQLSTATES = new Set([
  '28P01', // invalid_password
  '28000', // invalid_authorization_specification (no pg_hba entry, role missing)
  '3D000', // invalid_catalog_name (database missing)
  '3F000', // invalid_schema_name
  '42P01', // undefined_table
  '42703', // undefined_column
  '42P10', // invalid_column_reference (ON CONFLICT target has no unique index)
  '42501', // insufficient_privilege
  '42601', // syntax_error (a bad identifier)
  '08P01', // protocol_violation: what a query gets whose $n outnumber the parameters given (not a lost connection)
]);

export function classify(e: unknown): FailureKind {
  const err = e as { code?: unknown; message?: unknown } | undefined;
  const code = typeof err?.code === 'string' ? err.code : undefined;
  if (code && CONNECTION_ERRNOS.has(code)) return 'connection';
  if (code && /^[0-9A-Z]{5}$/.test(code)) {
    if (MISCONFIGURED_SQLSTATES.has(code)) return 'misconfigured';
    if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03') return 'connection';
    if (code.startsWith('22') || code.startsWith('23')) return 'record';
    return 'other';
  }
  const msg = typeof err?.message === 'string' ? err.message : '';
  if (/Connection terminated|connection timeout|timeout expired|Client has encountered a connection error|not queryable/i.test(msg)) return 'connection';
  return 'other';
}

export function codeOf(kind: FailureKind): string {
  switch (kind) {
    case 'connection': return RuntimeErrorCode.SINK_CONNECTION_FAILED;
    case 'misconfigured': return RuntimeErrorCode.SINK_MISCONFIGURED;
    case 'record': return RuntimeErrorCode.SINK_RECORD_REJECTED;
    default: return RuntimeErrorCode.SINK_FAILED;
  }
}

/** The cause's text, with PostgreSQL's detail / SQLSTATE, and the password blanked if it ever appears. */
export function causeText(e: unknown, password: string | undefined): string {
  const err = e as { message?: unknown; code?: unknown; detail?: unknown; errors?: unknown } | undefined;
  let text = err instanceof Error || typeof err?.message === 'string' ? String(err!.message) : String(e);
  // Node's AggregateError (IPv4 + IPv6 attempts) has an empty message.
  if (text.length === 0 && Array.isArray(err?.errors)) text = err.errors.map((x) => (x as Error)?.message).join('; ');
  if (typeof err?.code === 'string') text += ` (${err.code})`;
  if (typeof err?.detail === 'string' && err.detail.length > 0) text += `: ${err.detail}`;
  if (password) text = text.split(password).join('***');
  return text;
}

/** Thrown by the pool when no connection can be made (classified by its cause). */
export class ConnectError extends Error {
  constructor(readonly original: unknown) {
    super((original as Error)?.message ?? String(original));
  }
}

/**
 * Connections of one subtask. One connection holds at most one open transaction, so the sink
 * takes one per transaction from BEGIN to PREPARE / COMMIT, and short ones for COMMIT PREPARED,
 * ROLLBACK PREPARED and recovery. At most `max` connections; more requests wait in order.
 */
export class ConnectionPool {
  private readonly idle: pg.Client[] = [];
  private readonly all = new Set<pg.Client>();
  private readonly waiters: Array<{ resolve: (c: pg.Client) => void; reject: (e: unknown) => void }> = [];
  private closed = false;
  /** Set when an idle connection broke (the server went away): surfaced by the sink. */
  brokenIdle: unknown;

  constructor(private readonly pgm: PgModule, private readonly config: pg.ClientConfig, private readonly max: number) {}

  async acquire(): Promise<pg.Client> {
    if (this.closed) throw new Error('the connection pool is closed');
    const c = this.idle.pop();
    if (c) return c;
    if (this.all.size < this.max) return this.create();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  release(c: pg.Client): void {
    if (!this.all.has(c)) return;
    const w = this.waiters.shift();
    if (w) w.resolve(c);
    else this.idle.push(c);
  }

  /** A connection whose session state is unknown (an error mid-transaction): close it. */
  discard(c: pg.Client): void {
    if (!this.all.delete(c)) return;
    const i = this.idle.indexOf(c);
    if (i >= 0) this.idle.splice(i, 1);
    c.end().catch(() => {});
    const w = this.waiters.shift();
    if (w) this.create().then(w.resolve, w.reject);
  }

  /** Runs `fn` on a pooled connection; a failure discards the connection (its session may hold an aborted transaction). */
  async run<R>(fn: (c: pg.Client) => Promise<R>): Promise<R> {
    const c = await this.acquire();
    try {
      const r = await fn(c);
      this.release(c);
      return r;
    } catch (e) {
      this.discard(c);
      throw e;
    }
  }

  async end(): Promise<void> {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w.reject(new Error('the connection pool is closed'));
    const clients = [...this.all];
    this.all.clear();
    this.idle.length = 0;
    await Promise.allSettled(clients.map((c) => c.end()));
  }

  private async create(): Promise<pg.Client> {
    const c = new this.pgm.Client(this.config);
    this.all.add(c);
    // An idle connection that breaks emits 'error': never let it crash the worker.
    c.on('error', (e) => {
      this.brokenIdle ??= e;
      this.discard(c);
    });
    try {
      await c.connect();
    } catch (e) {
      this.all.delete(c);
      c.end().catch(() => {});
      throw new ConnectError(e);
    }
    return c;
  }
}

/** `"schema"."table"` from `schema.table` or `table` (each part quoted as given). */
export function quoteQualified(pgm: PgModule, name: string): string {
  return name.split('.').map((p) => pgm.escapeIdentifier(p)).join('.');
}

/** `INSERT INTO t (c…) VALUES ($1…),(…) [ON CONFLICT (k…) DO UPDATE SET c = EXCLUDED.c …]` for `rows` rows. */
export function insertSql(pgm: PgModule, table: string, columns: readonly string[], rows: number, upsertKey: readonly string[] | undefined): string {
  const cols = columns.map((c) => pgm.escapeIdentifier(c));
  const tuples: string[] = [];
  let n = 1;
  for (let r = 0; r < rows; r++) {
    const ps: string[] = [];
    for (let c = 0; c < cols.length; c++) ps.push(`$${n++}`);
    tuples.push(`(${ps.join(',')})`);
  }
  let sql = `INSERT INTO ${quoteQualified(pgm, table)} (${cols.join(',')}) VALUES ${tuples.join(',')}`;
  if (upsertKey) {
    const keys = upsertKey.map((k) => pgm.escapeIdentifier(k));
    const rest = columns.filter((c) => !upsertKey.includes(c)).map((c) => pgm.escapeIdentifier(c));
    sql += rest.length === 0
      ? ` ON CONFLICT (${keys.join(',')}) DO NOTHING`
      : ` ON CONFLICT (${keys.join(',')}) DO UPDATE SET ${rest.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}`;
  }
  return sql;
}

/** A value as a query parameter: bigints as text (pg sends parameters as text), undefined as NULL. */
export function toParam(v: unknown): unknown {
  if (v === undefined) return null;
  if (typeof v === 'bigint') return v.toString();
  return v;
}

/** Largest number of parameters in one statement (the protocol's Int16 count). */
export const MAX_PARAMS = 65535;

export function sinkError(code: string, message: string, details: Record<string, unknown>, cause?: unknown): WeirError {
  return new WeirError(code, message, details, cause === undefined ? undefined : { cause });
}
