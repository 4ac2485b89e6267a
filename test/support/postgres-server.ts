/**
 * A private PostgreSQL server for tests: `initdb` into a temp directory, `pg_ctl start` on
 * 127.0.0.1 with a free port (unix sockets in the temp directory, `max_prepared_transactions`
 * > 0 for PREPARE TRANSACTION), ready when a connection succeeds (retried on the server's
 * answer, not on a timer); `stop()` stops it and deletes the directory.
 *
 * Binaries: `initdb` / `pg_ctl` on PATH, else the newest /usr/lib/postgresql/<version>/bin. None →
 * a clear error naming what to install (tests fail, never skip). PostgreSQL refuses to run as
 * root: then every server command runs as the `postgres` user (`runuser -u postgres --`), which
 * owns the temp directory.
 *
 * Roles: `weir` (superuser, trust auth) and `weir_pw` (password `weir-secret`, scram auth over
 * TCP) for the wrong-password test.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './free-port.ts';

export interface PostgresServer {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
  /** `postgres://weir@127.0.0.1:<port>/postgres` (trust auth). */
  readonly connectionString: string;
  /** A role with a password (scram): `weir_pw` / {@link PASSWORD_ROLE_PASSWORD}. */
  readonly passwordRole: { user: string; password: string };
  query<R extends Record<string, unknown> = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  /** Stops the server as a crash would (`pg_ctl stop -m immediate`): sessions cut, data (and prepared transactions) kept. */
  kill(): Promise<void>;
  /** Starts it again on the same port and directory (crash recovery); resolves when it accepts connections. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export const PASSWORD_ROLE_PASSWORD = 'weir-secret';

/** The directory holding initdb and pg_ctl: PATH first, then the newest /usr/lib/postgresql/<version>/bin. */
export function findPostgresBin(): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && fs.existsSync(path.join(dir, 'initdb')) && fs.existsSync(path.join(dir, 'pg_ctl'))) return dir;
  }
  const base = '/usr/lib/postgresql';
  const versions = fs.existsSync(base) ? fs.readdirSync(base).filter((v) => fs.existsSync(path.join(base, v, 'bin', 'initdb'))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  if (versions.length > 0) return path.join(base, versions[0]!, 'bin');
  throw new Error('PostgreSQL server binaries (initdb, pg_ctl) were not found on PATH nor in /usr/lib/postgresql/<version>/bin: '
    + 'install them (Debian/Ubuntu: `apt-get install postgresql`; macOS: `brew install postgresql`) to run the PostgreSQL sink tests');
}


/** Runs a server binary, as `postgres` when we are root (PostgreSQL refuses to run as root). */
function runAs(asUser: string | undefined, bin: string, args: string[]): void {
  const [cmd, argv] = asUser ? ['runuser', ['-u', asUser, '--', bin, ...args]] : [bin, args];
  const r = spawnSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error) throw new Error(`${cmd} ${argv.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} exited with ${r.status}:\n${r.stdout}\n${r.stderr}`);
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = findPostgresBin();
  const root = process.getuid?.() === 0;
  const asUser = root ? 'postgres' : undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-pg-'));
  const data = path.join(dir, 'data');
  const log = path.join(dir, 'server.log');
  if (root) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    fs.chownSync(dir, uid, gid);
  }
  const user = 'weir';
  try {
    runAs(asUser, path.join(bin, 'initdb'), ['-D', data, '-U', user, '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
    fs.writeFileSync(path.join(data, 'pg_hba.conf'), [
      'local all all trust',
      'host all weir_pw 127.0.0.1/32 scram-sha-256',
      'host all all 127.0.0.1/32 trust',
      '',
    ].join('\n'));
    let port = 0;
    for (let tries = 0; ; tries++) {
      port = await freePort();
      fs.appendFileSync(path.join(data, 'postgresql.conf'), [
        '',
        `port = ${port}`,
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = '${dir}'`,
        'max_prepared_transactions = 64',
        'max_connections = 200',
        'fsync = off',
        'synchronous_commit = off',
        'full_page_writes = off',
        '',
      ].join('\n'));
      try {
        runAs(asUser, path.join(bin, 'pg_ctl'), ['start', '-D', data, '-l', log, '-W']);
        break;
      } catch (e) {
        if (tries >= 2) throw e; // the port may have been taken between freePort() and the start
      }
    }
    const config = { host: '127.0.0.1', port, user, database: 'postgres' };
    let client = await connectWhenReady(config, log);
    await client.query(`CREATE ROLE weir_pw LOGIN PASSWORD '${PASSWORD_ROLE_PASSWORD}'`);
    let stopped = false;
    let down = false;
    return {
      host: '127.0.0.1',
      port,
      user,
      database: 'postgres',
      connectionString: `postgres://${user}@127.0.0.1:${port}/postgres`,
      passwordRole: { user: 'weir_pw', password: PASSWORD_ROLE_PASSWORD },
      async query<R extends Record<string, unknown>>(sql: string, params?: unknown[]) {
        return (await client.query(sql, params)).rows as R[];
      },
      async kill() {
        down = true;
        await client.end().catch(() => {});
        runAs(asUser, path.join(bin, 'pg_ctl'), ['stop', '-D', data, '-m', 'immediate', '-w']);
      },
      async restart() {
        runAs(asUser, path.join(bin, 'pg_ctl'), ['start', '-D', data, '-l', log, '-W']);
        client = await connectWhenReady(config, log);
        down = false;
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        await client.end().catch(() => {});
        try {
          if (!down) runAs(asUser, path.join(bin, 'pg_ctl'), ['stop', '-D', data, '-m', 'fast', '-w']);
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (e) {
    try {
      if (fs.existsSync(path.join(data, 'postmaster.pid'))) runAs(asUser, path.join(bin, 'pg_ctl'), ['stop', '-D', data, '-m', 'immediate', '-w']);
    } catch { /* best effort */ }
    const serverLog = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').slice(-2000) : '';
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`could not start a private PostgreSQL server (binaries in ${bin}): ${(e as Error).message}${serverLog ? `\nserver log:\n${serverLog}` : ''}`, { cause: e });
  }
}

/** Connects, retrying while the server answers "starting up" / refuses (bounded by a generous deadline: a loaded machine may be slow to start it). */
async function connectWhenReady(config: pg.ClientConfig, log: string): Promise<pg.Client> {
  let last: unknown;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const client = new pg.Client(config);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return client;
    } catch (e) {
      last = e;
      await client.end().catch(() => {});
      // The server is still starting: wait for its next state change (a short back-off between tries).
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  throw new Error(`the PostgreSQL server did not accept connections: ${(last as Error)?.message}\n${fs.existsSync(log) ? fs.readFileSync(log, 'utf8').slice(-2000) : ''}`);
}
