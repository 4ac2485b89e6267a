/**
 * Weir as a package: `npm pack` (which builds dist/ through `prepare`), install the tarball
 * into a fresh app that has no tsx, typescript or @types, and use it the way a user would —
 * plain ESM and CommonJS apps, the `weir` CLI through npx, a TypeScript job under the
 * parent's loader, and a strict type-check of a consumer against the shipped declarations.
 * One pack and one install are shared by every subtest (a few seconds each on 2 cores).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'package-app');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const TSX_LOADER = pathToFileURL(path.join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

/** A clean environment: no loader preloaded through NODE_OPTIONS, no test-runner context, quiet logs. */
const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '', WEIR_LOG_LEVEL: 'error' };
delete env.NODE_TEST_CONTEXT;

let tmp = '';
let app = '';

async function run(cmd: string, args: string[], cwd = app, timeout = 120_000): Promise<{ stdout: string; stderr: string }> {
  return exec(cmd, args, { cwd, env, timeout, maxBuffer: 16 << 20 });
}

/** Run and expect failure: the error's exit code, stdout and stderr. */
async function runFailing(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    await run(cmd, args);
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
  assert.fail(`${cmd} ${args.join(' ')} succeeded; expected a failure`);
}

const lastJsonLine = (stdout: string): Record<string, unknown> => JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;

describe('the packed package, installed into a fresh app', { timeout: 600_000 }, () => {
  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-package-'));
    await run('npm', ['pack', '--pack-destination', tmp, '--no-fund', '--no-audit'], ROOT, 300_000);
    const tarball = fs.readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    assert.ok(tarball, 'npm pack wrote a tarball');
    app = path.join(tmp, 'app');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'weir-consumer-app', version: '1.0.0', private: true, type: 'module' }));
    // Dependencies come from npm's cache (npm ci filled it); only missing metadata is fetched.
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', path.join(tmp, tarball)], app, 300_000);
    for (const f of fs.readdirSync(FIXTURES)) fs.copyFileSync(path.join(FIXTURES, f), path.join(app, f));
  });

  after(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('ships dist (JavaScript, declarations, source maps), the CLI launcher, docs, README and LICENSE — nothing else', () => {
    const pkg = path.join(app, 'node_modules', 'weir');
    const files = walk(pkg).map((f) => path.relative(pkg, f).split(path.sep).join('/'));
    for (const f of ['dist/index.js', 'dist/index.d.ts', 'dist/index.js.map', 'dist/tools.js', 'dist/tools.d.ts', 'dist/weir-cli.js', 'dist/actor-host-worker.js', 'dist/stream-task-actor.js', 'cli/weir.mjs', 'README.md', 'LICENSE', 'package.json', 'docs/operations.md', 'dist/dashboard/index.html', 'dist/dashboard/app.js', 'dist/dashboard/views.js', 'dist/dashboard/style.css']) {
      assert.ok(files.includes(f), `${f} is shipped`);
    }
    const unexpected = files.filter((f) => !/^(dist\/|docs\/|cli\/weir\.mjs$|README\.md$|LICENSE$|package\.json$)/.test(f));
    assert.deepEqual(unexpected, []);
    assert.deepEqual(files.filter((f) => (f.endsWith('.ts') && !f.endsWith('.d.ts')) || /\.test\.|test-support|benchmarks|\.ci\//.test(f)), []);
    // Declarations import .js files: consumers need no allowImportingTsExtensions.
    assert.doesNotMatch(fs.readFileSync(path.join(pkg, 'dist', 'index.d.ts'), 'utf8'), /from '\.[^']*\.ts'/);
    for (const dep of ['tsx', 'typescript', '@types']) assert.equal(fs.existsSync(path.join(app, 'node_modules', dep)), false, `${dep} is not installed`);
  });

  test('a worker loads no more than it needs: its entries, and `weir` (a job module imports it there), import no piscina (the main thread\'s pool) and no optional connector driver', () => {
    const dist = path.join(app, 'node_modules', 'weir', 'dist');
    for (const entry of ['actor-host-worker.js', 'stream-task-actor.js', 'index.js']) {
      const packages = staticPackageImports(dist, entry);
      assert.deepEqual(packages.filter((p) => /^(piscina|lmdb|pg|redis|prom-client)$/.test(p)), [], `${entry} loads ${packages.join(', ')}`);
    }
  });

  test('a plain-ESM JavaScript job: keyed state, checkpoints, one injected failover, exactly-once output (`node app.mjs`)', async () => {
    const { stdout } = await run(process.execPath, ['app.mjs']);
    assert.deepEqual(lastJsonLine(stdout), { status: 'finished', failovers: 1, keys: 4, records: 2400, exactlyOnce: true, weirError: true });
  });

  test('a CommonJS app loads Weir with `await import(\'weir\')` (and --enable-source-maps does not confuse job lookup)', async () => {
    const { stdout } = await run(process.execPath, ['--enable-source-maps', 'app.cjs']);
    assert.deepEqual(lastJsonLine(stdout), { defineJob: 'function', status: 'finished', squares: [1, 4, 9, 16, 25, 36, 49, 64, 81, 100] });
  });

  test('an app started with V8 options a Worker refuses (`node --max-old-space-size=4096 --expose-gc app.cjs`) runs its jobs', async () => {
    // Before: every job failed with ERR_WORKER_INVALID_EXEC_ARGV. V8 options are process-wide, so workers run with them anyway.
    const { stdout } = await run(process.execPath, ['--max-old-space-size=4096', '--expose-gc', '--stack-size=2000', 'app.cjs']);
    assert.deepEqual(lastJsonLine(stdout), { defineJob: 'function', status: 'finished', squares: [1, 4, 9, 16, 25, 36, 49, 64, 81, 100] });
  });

  test('`npx weir --help` and `npx weir run job.mjs` run the compiled CLI without tsx', async () => {
    const help = await run('npx', ['--offline', 'weir', '--help']);
    assert.match(help.stdout, /^usage:\n {2}weir run <job-module>/);
    const { stdout } = await run('npx', ['--offline', 'weir', 'run', 'cli-job.mjs', '--params', '{"n":10}', '--parallelism', '2', '--state', 'heap']);
    assert.match(stdout, /finished in \d+ ms/);
    assert.match(stdout, /collect 'evens': 5 records/);
  });

  test('a TypeScript job with no loader available fails with WEIR_TYPESCRIPT_LOADER_MISSING and says what to install', async () => {
    const r = await runFailing('npx', ['--offline', 'weir', 'run', 'ts-job.ts', '--params', '{"n":3}']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /WEIR_TYPESCRIPT_LOADER_MISSING/);
    assert.match(r.stderr, /npm install --save-dev tsx/);
  });

  test('a TypeScript app and job under the parent\'s tsx loader: workers inherit it', async () => {
    const { stdout } = await run(process.execPath, ['--import', TSX_LOADER, 'ts-app.ts']);
    assert.deepEqual(lastJsonLine(stdout), { status: 'finished', plus: [1001, 1002, 1003, 1004, 1005] });
  });

  test('a consumer type-checks against the declarations: strict, exactOptionalPropertyTypes, noUncheckedIndexedAccess, no skipLibCheck', async () => {
    const compilerOptions = {
      target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2023'], noEmit: true,
      strict: true, exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true, skipLibCheck: false,
      // A TypeScript app has @types/node; the repo's copy stands in for it (the app installs none).
      types: ['node'], typeRoots: [path.join(ROOT, 'node_modules', '@types')],
    };
    fs.writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['consumer.ts'] }));
    fs.writeFileSync(path.join(app, 'tsconfig.bad.json'), JSON.stringify({ compilerOptions, files: ['bad.ts'] }));
    const ok = await run(process.execPath, [TSC, '-p', 'tsconfig.json', '--pretty', 'false', '--listFiles']);
    assert.ok(ok.stdout.split('\n').some((f) => f.includes('node_modules/weir/dist/index.d.ts')), 'the shipped declarations were checked');
    assert.ok(ok.stdout.split('\n').some((f) => f.includes('node_modules/weir/dist/tools.d.ts')), 'weir/tools resolves to its declarations');
    // The check can fail: one deliberate error, reported in the consumer's file only.
    const bad = await runFailing(process.execPath, [TSC, '-p', 'tsconfig.bad.json', '--pretty', 'false']);
    const errors = bad.stdout.split('\n').filter((l) => /error TS\d+/.test(l));
    assert.equal(errors.length, 1, bad.stdout);
    assert.match(errors[0]!, /^bad\.ts\(5,\d+\): error TS2322/);
  });
});

/** The npm packages `entry` (a file of `dir`) loads through static imports, its chunks' included. */
function staticPackageImports(dir: string, entry: string): string[] {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    for (const m of text.matchAll(/^(?:import|export)\s[^;]*?\bfrom\s*"([^"]+)";|^import\s*"([^"]+)";/gms)) {
      const spec = m[1] ?? m[2]!;
      if (spec.startsWith('./')) visit(spec.slice(2));
      else if (!spec.startsWith('node:')) packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
  };
  visit(entry);
  return [...packages].sort();
}

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}
