import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { createLogger, DEFAULT_LOG_LEVEL, logLevelFromEnv } from './logger.ts';

test('logLevelFromEnv: warn by default, WEIR_LOG_LEVEL raises it, unknown levels are refused', () => {
  assert.equal(DEFAULT_LOG_LEVEL, 'warn');
  assert.equal(logLevelFromEnv({}), 'warn');
  assert.equal(logLevelFromEnv({ WEIR_LOG_LEVEL: '' }), 'warn');
  assert.equal(logLevelFromEnv({ WEIR_LOG_LEVEL: 'debug' }), 'debug');
  assert.equal(logLevelFromEnv({ WEIR_LOG_LEVEL: ' INFO ' }), 'info');
  assert.equal(logLevelFromEnv({ WEIR_LOG_LEVEL: 'silent' }), 'silent');
  assert.throws(() => logLevelFromEnv({ WEIR_LOG_LEVEL: 'loud' }), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'WEIR_LOG_LEVEL_INVALID');
    assert.equal(e.message, 'WEIR_LOG_LEVEL="loud" is not a log level; use one of fatal, error, warn, info, debug, trace, silent');
    return true;
  });
});

test('createLogger writes synchronous JSON lines with bindings; child loggers add theirs', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-'));
  try {
    const file = path.join(dir, 'log.ndjson');
    const destination = pino.destination({ dest: file, sync: true });
    const logger = createLogger({ system: 's1', host: 0 }, { level: 'info', destination });
    const child = logger.child({ actor: 'a1', host: 0, job: 'j' });
    logger.debug('hidden below the level');
    logger.info({ n: 1 }, 'root line');
    child.warn('child line');
    // sync destination: already on disk, no flush needed
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 2);
    const pick = ({ level, system, host, actor, job, n, msg, pid }: Record<string, unknown>) => ({ level, system, host, actor, job, n, msg, pid });
    assert.deepEqual(pick(lines[0]!), { level: 30, system: 's1', host: 0, actor: undefined, job: undefined, n: 1, msg: 'root line', pid: process.pid });
    assert.deepEqual(pick(lines[1]!), { level: 40, system: 's1', host: 0, actor: 'a1', job: 'j', n: undefined, msg: 'child line', pid: process.pid });
    destination.end();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an error with a cause is logged with its own message (not the causes\' appended) and its cause as a field', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-'));
  try {
    const file = path.join(dir, 'log.ndjson');
    const destination = pino.destination({ dest: file, sync: true });
    const err = new Error('map threw on record 5: boom at 5', { cause: new Error('boom at 5') });
    createLogger({}, { level: 'info', destination }).warn({ err }, 'failover');
    const line = JSON.parse(fs.readFileSync(file, 'utf8').trim()) as { err: { message: string; cause: { message: string } } };
    assert.equal(line.err.message, 'map threw on record 5: boom at 5');
    assert.equal(line.err.cause.message, 'boom at 5');
    destination.end();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('createLogger defaults to WEIR_LOG_LEVEL', () => {
  const saved = process.env.WEIR_LOG_LEVEL;
  try {
    process.env.WEIR_LOG_LEVEL = 'error';
    assert.equal(createLogger({}, { destination: pino.destination({ dest: os.devNull, sync: true }) }).level, 'error');
    delete process.env.WEIR_LOG_LEVEL;
    assert.equal(createLogger({}, { destination: pino.destination({ dest: os.devNull, sync: true }) }).level, 'warn');
  } finally {
    if (saved === undefined) delete process.env.WEIR_LOG_LEVEL;
    else process.env.WEIR_LOG_LEVEL = saved;
  }
});

test('actor loggers in workers write JSON lines to stderr with their bindings (WEIR_LOG_LEVEL=info)', async () => {
  const probe = fileURLToPath(new URL('./test-support/actor-exec-argv-probe.ts', import.meta.url));
  const { stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', probe], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: { ...process.env, WEIR_LOG_LEVEL: 'info' },
    timeout: 30_000,
  });
  const lines = stderr.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  const line = lines.find((l) => l.msg === 'probe actor created');
  assert.ok(line, `no actor line in stderr:\n${stderr}`);
  const { level, system, host, actor, probe: flag, thread } = line;
  assert.deepEqual({ level, system, host, actor, probe: flag }, { level: 30, system: 'weir', host: 0, actor: 'probe', probe: true });
  assert.equal(typeof thread, 'number');
  // Each binding appears once in the raw line.
  const raw = stderr.split('\n').find((l) => l.includes('probe actor created'))!;
  assert.equal(raw.match(/"host":/g)?.length, 1);
});
