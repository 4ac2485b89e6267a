/**
 * The error registry (issue #11, defect 10): every code the source raises is in
 * common/error-codes.ts, README.md's error list is generated from it, and a lost
 * worker's message says what happened once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { ErrorCodes, errors, isRestartable, RuntimeErrorCode, WeirError } from '../index.ts';
import { README, withErrorList } from '../scripts/docs-errors.ts';
import { exitingJob } from './support/exit-jobs.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Folders whose non-test sources may raise codes. */
const SOURCE_DIRS = ['actors', 'state', 'runtime', 'cli', 'common', 'examples', 'scripts'];
/** `WEIR_…` names that are not error codes. */
const NOT_CODES = new Set(['WEIR_LOG_LEVEL', 'WEIR_LOG_FORMAT', 'WEIR_JOBS_DIR', 'WEIR_REST_TOKEN', 'WEIR_REST_URL', 'WEIR_CHROMIUM']); // environment variables

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.') || e.name === 'test-support') continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) sourceFiles(p, out);
    else if (/\.(ts|mts|mjs|js)$/.test(e.name) && !/\.test\.[mc]?[tj]s$/.test(e.name)) out.push(p);
  }
  return out;
}

test('every WEIR_… code in the source is in the registry', () => {
  const files = [...SOURCE_DIRS.filter((d) => fs.existsSync(path.join(ROOT, d))).flatMap((d) => sourceFiles(path.join(ROOT, d))), path.join(ROOT, 'index.ts')];
  const missing = new Map<string, string[]>();
  let found = 0;
  for (const file of files) {
    // Codes appear quoted ('WEIR_X' in code, `WEIR_X` in docs); bare WEIR_ identifiers are constants, not codes.
    for (const [, code] of fs.readFileSync(file, 'utf8').matchAll(/['"`](WEIR_[A-Z0-9_]+)['"`]/g)) {
      if (NOT_CODES.has(code)) continue;
      found++;
      if (!Object.hasOwn(ErrorCodes, code)) missing.set(code, [...(missing.get(code) ?? []), path.relative(ROOT, file)]);
    }
  }
  assert.ok(found > 100, `scanned the source (${found} occurrences)`);
  assert.deepEqual(Object.fromEntries(missing), {}, 'codes raised but missing from common/error-codes.ts');
  for (const code of Object.values(RuntimeErrorCode)) assert.ok(Object.hasOwn(ErrorCodes, code), `RuntimeErrorCode ${code} registered`);
});

test('the registry: one-line descriptions, restartable flags, exported as ErrorCodes and errors', () => {
  assert.equal(errors, ErrorCodes);
  for (const [code, info] of Object.entries(ErrorCodes)) {
    assert.match(code, /^WEIR_[A-Z0-9_]+$/);
    assert.ok(info.description.length > 10 && !info.description.includes('\n'), `${code}: one-line description`);
    assert.equal(typeof info.restartable, 'boolean');
  }
  assert.equal(isRestartable('WEIR_USER_FUNCTION_FAILED'), true);
  assert.equal(isRestartable('WEIR_JOB_MODULE'), false);
  assert.equal(isRestartable('WEIR_RESTORE_UNMATCHED_STATE'), false);
  assert.equal(isRestartable('SOMETHING_ELSE'), true, 'an unknown code may be transient');
  assert.equal(isRestartable(undefined), true);
});

test('README.md\'s error list is generated from the registry (run `npm run docs:errors`)', () => {
  const readme = fs.readFileSync(README, 'utf8');
  assert.equal(readme, withErrorList(readme), 'README.md is out of date: run `npm run docs:errors`');
  for (const code of Object.keys(ErrorCodes)) assert.ok(readme.includes(`\`${code}\``), `${code} in README.md`);
});

test('a lost worker\'s message says what happened once', async () => {
  const client = exitingJob.execute({ params: { at: 50, exitCode: 7 }, parallelism: 1, stateBackend: 'heap' });
  const err = await client.done.then(() => assert.fail('the job must fail'), (e: unknown) => e);
  assert.ok(err instanceof WeirError);
  assert.equal(err.code, 'WEIR_WORKER_LOST');
  assert.match(err.message, /subtask 1 of '[^']+' \(attempt 0\) was lost: its host \d+ \(worker thread \d+\) exited with exit code 7$/);
  assert.equal(err.message.split('was lost').length, 2, `"was lost" once: ${err.message}`);
  // What a logger prints (pino appends each cause's message): the lost worker's error says it once too.
  const lost = err.cause as WeirError;
  assert.equal(lost.code, 'WEIR_WORKER_LOST');
  const logged = pino.stdSerializers.err(lost).message;
  assert.match(logged, /^subtask 1 of '[^']+' \(attempt 0\) was lost: its host \d+ \(worker thread \d+\) exited with exit code 7: worker exited with code: 7$/);
});

test('instanceof WeirError holds across two copies of Weir in one process (sources and build, two versions)', async () => {
  // A second instance of the module (another URL): what the CLI run from the sources met when a job imported the build.
  const secondCopy = '../common/weir-error.ts?second-copy';
  const other = (await import(secondCopy)) as typeof import('../common/weir-error.ts');
  assert.notEqual(other.WeirError, WeirError, 'a separate copy of the class');
  const theirs = new other.WeirError('WEIR_USER_FUNCTION_FAILED', 'from the other copy');
  assert.ok(theirs instanceof WeirError);
  assert.ok(new WeirError('WEIR_INVALID_ARGUMENT', 'ours') instanceof other.WeirError);
  assert.ok(theirs instanceof Error);
  for (const notOne of [new Error('plain'), { code: 'WEIR_X', name: 'WeirError' }, null, undefined, 'WEIR_X']) assert.ok(!(notOne instanceof WeirError), String(notOne));
});
