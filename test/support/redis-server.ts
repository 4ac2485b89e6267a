/**
 * A private Redis server for tests: `redis-server` on 127.0.0.1 with a free port, its own
 * temporary `--dir`, no RDB snapshots (`--save ''`), no AOF unless asked (`appendonly: true`
 * keeps the data across `restart()`). Started by event (PING answers), never by a delay.
 * When `redis-server` is not on PATH, `startRedis` throws saying what to install: tests that
 * need it fail, they never skip.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createClient } from 'redis';
import { freePort } from './free-port.ts';

export interface RedisServerOptions {
  password?: string;
  /** Keep the data in an append-only file, so it survives `restart()`. */
  appendonly?: boolean;
}

export type RedisTestClient = ReturnType<typeof createClient>;

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** A connected client (closed by stop()). */
  readonly client: RedisTestClient;
  /** XADD many entries with pipelining (batches of 1 000); returns their ids in order. */
  xaddMany(stream: string, entries: ReadonlyArray<Record<string, string>>): Promise<string[]>;
  /** Stop the server process (data kept on disk with appendonly), waiting for its exit. */
  kill(): Promise<void>;
  /** Start it again on the same port and directory; resolves when it answers PING. */
  restart(): Promise<void>;
  /** Freeze the server (SIGSTOP): connections stay open and get no reply, until `resume()` (SIGCONT). */
  pause(): void;
  resume(): void;
  /** Shut down and delete the directory. */
  stop(): Promise<void>;
}

function redisServerBinary(): string {
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error('redis-server is not installed or not on PATH: the Redis Streams tests need it. ' +
      'Install it (Debian/Ubuntu: `apt-get install -y --no-install-recommends redis-server`; macOS: `brew install redis`).');
  }
  return 'redis-server';
}


/** Resolves when the server answers PING; rejects when the process exits first. */
async function untilReady(proc: ChildProcess, port: number, password: string | undefined): Promise<void> {
  let exited: string | undefined;
  const onExit = (code: number | null, signal: string | null) => { exited = `exited (${code ?? signal})`; };
  proc.once('exit', onExit);
  let stderr = '';
  proc.stdout?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-2000); });
  try {
    for (;;) {
      if (exited) throw new Error(`redis-server on port ${port} ${exited}: ${stderr}`);
      const ok = await new Promise<boolean>((resolve) => {
        const sock = net.connect(port, '127.0.0.1');
        let buf = '';
        sock.once('connect', () => sock.write(password ? `AUTH ${password}\r\nPING\r\n` : 'PING\r\n'));
        sock.on('data', (d) => {
          buf += d.toString();
          if (buf.includes('+PONG')) { sock.destroy(); resolve(true); }
          else if (buf.includes('-')) { sock.destroy(); resolve(false); } // LOADING …
        });
        sock.once('error', () => { sock.destroy(); resolve(false); });
      });
      if (ok) return;
      // Not listening yet: wait for the next line the server logs (or its exit) before retrying.
      await new Promise<void>((resolve) => {
        const done = () => { proc.stdout?.off('data', done); proc.off('exit', done); clearTimeout(t); resolve(); };
        const t = setTimeout(done, 50); // a retry tick, not an assertion
        proc.stdout?.once('data', done);
        proc.once('exit', done);
      });
    }
  } finally {
    proc.off('exit', onExit);
  }
}

export async function startRedis(opts: RedisServerOptions = {}): Promise<RedisServer> {
  const bin = redisServerBinary();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-redis-'));
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', opts.appendonly ? 'yes' : 'no',
    '--appendfsync', 'always', '--daemonize', 'no', '--protected-mode', 'no', '--loglevel', 'notice'];
  if (opts.password) args.push('--requirepass', opts.password);
  let proc: ChildProcess | undefined;
  const launch = async () => {
    proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stderr?.resume();
    await untilReady(proc, port, opts.password);
  };
  const killProc = async () => {
    const p = proc;
    proc = undefined;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGKILL');
    });
  };
  try {
    await launch();
  } catch (e) {
    await killProc();
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const auth = opts.password ? `:${encodeURIComponent(opts.password)}@` : '';
  const url = `redis://${auth}127.0.0.1:${port}`;
  const client: RedisTestClient = createClient({ url, socket: { reconnectStrategy: 50 } });
  client.on('error', () => {}); // reconnects across kill()/restart()
  await client.connect();
  return {
    port,
    url,
    client,
    async xaddMany(stream, entries) {
      const ids: string[] = [];
      for (let i = 0; i < entries.length; i += 1000) {
        const multi = client.multi();
        for (const e of entries.slice(i, i + 1000)) multi.xAdd(stream, '*', e);
        ids.push(...((await multi.execAsPipeline()) as unknown as string[]));
      }
      return ids;
    },
    kill: killProc,
    pause() {
      proc?.kill('SIGSTOP');
    },
    resume() {
      proc?.kill('SIGCONT');
    },
    async restart() {
      await launch();
    },
    async stop() {
      client.destroy();
      proc?.kill('SIGCONT'); // a paused server must not outlive its test
      await killProc();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
