import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { computeWorkerExecArgv, hasOtherPreload, hasTsxPreload, isTsxPreload, isTypeScriptModule, locateTsx, tsxWorkerImport, workerExecArgv } from './worker-exec-argv.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PROBE = fileURLToPath(new URL('./test-support/actor-exec-argv-probe.ts', import.meta.url));
const tsx = locateTsx()!;
const REGISTER = ['--import', tsxWorkerImport(tsx)];

describe('computeWorkerExecArgv (pure)', () => {
  test('tsx is installed and its ESM api is located', () => {
    assert.ok(tsx);
    assert.match(tsx.esmApiUrl, /^file:\/\/.*\/node_modules\/tsx\/dist\/esm\/api\/index\.mjs$/);
    assert.equal(decodeURIComponent(tsxWorkerImport(tsx)), `data:text/javascript,import { register } from ${JSON.stringify(tsx.esmApiUrl)}; register();`);
  });

  test('under `node --import tsx`: the bare tsx preload is replaced by the ESM registration', () => {
    assert.deepEqual(computeWorkerExecArgv(['--import', 'tsx'], tsx), REGISTER);
    assert.deepEqual(computeWorkerExecArgv(['--import=tsx'], tsx), REGISTER);
  });

  test('under the tsx CLI: its preflight and loader entries are replaced too', () => {
    const cli = ['--require', `${tsx.packageDir}/dist/preflight.cjs`, '--import', `file://${tsx.packageDir}/dist/loader.mjs`];
    assert.deepEqual(computeWorkerExecArgv(cli, tsx), REGISTER);
  });

  test('other options keep their order; extra options are appended; nothing is duplicated', () => {
    const argv = ['--enable-source-maps', '--import', 'tsx', '--import', './my-hooks.mjs', '--conditions=development'];
    assert.deepEqual(computeWorkerExecArgv(argv, tsx, ['--no-warnings']), [
      '--enable-source-maps', '--import', './my-hooks.mjs', '--conditions=development', '--no-warnings', ...REGISTER,
    ]);
    // Feeding the result back (a worker spawning workers) is stable.
    const once = computeWorkerExecArgv(argv, tsx);
    assert.deepEqual(computeWorkerExecArgv(once, tsx), once);
  });

  test('without tsx (compiled deployment) execArgv passes through unchanged', () => {
    assert.deepEqual(computeWorkerExecArgv(['--enable-source-maps'], undefined, ['--no-warnings']), ['--enable-source-maps', '--no-warnings']);
  });

  test('a compiled Weir running a JavaScript job: workers get the parent\'s execArgv, no tsx', () => {
    assert.deepEqual(computeWorkerExecArgv(['--enable-source-maps', '--import', './hooks.mjs'], tsx, [], { typescript: false }), ['--enable-source-maps', '--import', './hooks.mjs']);
  });

  test('workers that need TypeScript get tsx even when the parent registered its loader programmatically', () => {
    assert.deepEqual(computeWorkerExecArgv(['--enable-source-maps'], tsx, [], { typescript: true }), ['--enable-source-maps', ...REGISTER]);
  });

  test('locateTsx finds the tsx the parent was started with from its execArgv, wherever it is installed', () => {
    const viaLoader = locateTsx(['--import', `file://${tsx.packageDir}/dist/loader.mjs`], '/');
    assert.deepEqual(viaLoader, tsx);
    assert.deepEqual(locateTsx([`--import=${tsx.packageDir}/dist/loader.mjs`], '/'), tsx);
    assert.ok(hasTsxPreload(['--require', `${tsx.packageDir}/dist/preflight.cjs`], undefined));
    assert.equal(hasTsxPreload(['--import', './hooks.mjs'], undefined), false);
    assert.ok(hasOtherPreload(['--import', './hooks.mjs', '--import', 'tsx'], undefined));
  });

  test('isTypeScriptModule: .ts, .mts, .cts, .tsx need a loader; JavaScript does not', () => {
    for (const f of ['file:///a/job.ts', '/a/job.mts', 'job.cts', 'x.tsx', 'file:///a/job.ts?v=1']) assert.equal(isTypeScriptModule(f), true, f);
    for (const f of ['file:///a/job.js', '/a/job.mjs', 'job.cjs', 'job.d.ts.js']) assert.equal(isTypeScriptModule(f), false, f);
  });

  test('isTsxPreload recognises tsx entries only', () => {
    assert.equal(isTsxPreload('tsx', tsx), true);
    assert.equal(isTsxPreload('tsx/esm', tsx), true);
    assert.equal(isTsxPreload('/elsewhere/node_modules/tsx/dist/loader.mjs', undefined), true);
    assert.equal(isTsxPreload('./tsx-helpers.mjs', tsx), false);
    assert.equal(isTsxPreload('ts-node/esm', tsx), false);
  });

  test('workerExecArgv() in this test process (run via node --import tsx) registers tsx once', () => {
    const argv = workerExecArgv(['--no-warnings']);
    assert.deepEqual(argv.slice(-3), ['--no-warnings', ...REGISTER]);
    assert.equal(argv.filter((a) => a === 'tsx').length, 0);
  });
});

describe('TypeScript actors load as real ES modules in workers', () => {
  const expectProbe = (stdout: string, parentExecArgv: string[]) => {
    const report = JSON.parse(stdout.trim()) as { parentExecArgv: string[]; worker: Record<string, unknown> };
    assert.deepEqual(report.parentExecArgv, parentExecArgv);
    assert.deepEqual(report.worker, { esm: true, importedTs: true, importMetaResolve: true, execArgv: REGISTER });
  };
  const env = { ...process.env, WEIR_LOG_LEVEL: 'silent' };

  test('when the parent runs under `node --import tsx`', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', PROBE], { cwd: ROOT, env, timeout: 30_000 });
    expectProbe(stdout, ['--import', 'tsx']);
  });

  test('when the parent runs under the tsx CLI', async () => {
    const { stdout } = await run(process.execPath, [`${tsx.packageDir}/dist/cli.mjs`, PROBE], { cwd: ROOT, env, timeout: 30_000 });
    expectProbe(stdout, ['--require', `${tsx.packageDir}/dist/preflight.cjs`, '--import', `file://${tsx.packageDir}/dist/loader.mjs`]);
  });

  test('the trap it avoids: with plain `--import tsx` piscina loads the host as CommonJS, and the host refuses', async () => {
    const pool = new Piscina({ filename: new URL('./actor-host-worker.ts', import.meta.url).href, minThreads: 1, maxThreads: 1, atomics: 'disabled', execArgv: ['--import', 'tsx'] });
    pool.on('error', () => undefined);
    const control = new MessageChannel();
    const events = new MessageChannel();
    try {
      const task = { index: 0, generation: 0, systemName: 'trap', logBindings: {}, control: control.port2, events: events.port2 };
      await assert.rejects(pool.run(task, { transferList: [control.port2, events.port2] }), /actor-host-worker\.ts was loaded as CommonJS/);
    } finally {
      control.port1.close();
      events.port1.close();
      await pool.destroy();
    }
  });
});
