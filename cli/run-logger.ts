/**
 * Logs of `weir run`: on a terminal, human-readable lines (pino-pretty: time, level, message,
 * then the fields); otherwise — or with `WEIR_LOG_FORMAT=json` — Weir's JSON lines on stderr, for
 * log collectors. The level is `WEIR_LOG_LEVEL` (default warn; `info` shows the job's life:
 * submitted, deployed, running, checkpoints, failovers, restores, the end).
 */
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);

/**
 * The logger `weir run` passes to execute(), or undefined for Weir's default JSON lines.
 * `beforeLine` runs before each line is written (the status line clears itself there).
 */
export function runLogger(stream: { isTTY?: boolean; write(s: string): unknown } = process.stderr, env: NodeJS.ProcessEnv = process.env, beforeLine: () => void = () => {}): Logger | undefined {
  if (!stream.isTTY || env.WEIR_LOG_FORMAT === 'json') return undefined;
  const level = env.WEIR_LOG_LEVEL && LEVELS.has(env.WEIR_LOG_LEVEL) ? env.WEIR_LOG_LEVEL : 'warn';
  const destination = new Writable({
    write(chunk, _encoding, done) {
      beforeLine();
      stream.write(String(chunk));
      done();
    },
  });
  return pino({ level }, pretty({ destination, colorize: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l' }));
}
