/**
 * `weir list | checkpoint | savepoint | stop | cancel` against jobs started by another process
 * (`weir run … --rest-port 0`), found through discovery files; restoring from the savepoint that
 * `weir stop --savepoint-path` took gives exactly the rest of the input.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CheckpointStorage } from '../runtime/checkpoint/checkpoint-storage.ts';
import { completedCheckpointFromMetadata } from '../runtime/checkpoint/checkpoint-metadata.ts';
import { countsByKey } from './support/checkpoint-reader.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const JOB = 'test/support/cli-job.ts';
const KEYS = 10;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-ctl-'));
const JOBS_DIR = path.join(tmp, 'jobs');
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Outcome { code: number | null; stdout: string; stderr: string }

/** A running `weir run` child: resolves `url` when it printed its REST endpoint, `done` when it exits. */
function startRun(args: string[]): { child: ChildProcess; url: Promise<string>; done: Promise<Outcome> } {
  const child = spawn(process.execPath, ['cli/weir.mjs', 'run', ...args], { cwd: ROOT, env: { ...process.env, WEIR_LOG_LEVEL: 'error', WEIR_JOBS_DIR: JOBS_DIR }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let gotUrl: (u: string) => void;
  const url = new Promise<string>((r) => (gotUrl = r));
  child.stdout!.on('data', (d) => {
    stdout += d;
    const m = /^rest (http:\/\/\S+)/m.exec(stdout);
    if (m) gotUrl(m[1]!);
  });
  child.stderr!.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const done = new Promise<Outcome>((resolve) => child.on('close', (code) => {
    clearTimeout(timer);
    resolve({ code, stdout, stderr });
  }));
  void done.then((o) => gotUrl(`(exited ${o.code}: ${o.stderr})`));
  return { child, url, done };
}

/** Run one `weir …` command to its end. */
function weir(args: string[]): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['cli/weir.mjs', ...args], { cwd: ROOT, env: { ...process.env, WEIR_LOG_LEVEL: 'error', WEIR_JOBS_DIR: JOBS_DIR }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const runArgs = (jobId: string, n: number, sinkMicros: number, extra: string[] = []) => [JOB, '--job-id', jobId, '--params', JSON.stringify({ n, keys: KEYS, sinkMicros }), '--parallelism', '2',
  '--state-dir', path.join(tmp, 'state'), '--checkpoint-dir', path.join(tmp, 'chk'), '--buffer-bytes', '4096', '--checkpoint-timeout', '8000', '--tolerable-failures', '10', '--print', '0', ...extra];

test('list, checkpoint, savepoint, stop --savepoint-path against another process; the restore from the stop savepoint is exact', async () => {
  const N = 1_500_000; // 30 s of sink time at 20 µs per record: stopped long before the end, even on a loaded machine
  const run = startRun(runArgs('ctl-a', N, 20, ['--rest-port', '0']));
  try {
    const url = await run.url;
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(fs.existsSync(path.join(JOBS_DIR, 'ctl-a.json')), 'a discovery file');
    assert.doesNotMatch(fs.readFileSync(path.join(JOBS_DIR, 'ctl-a.json'), 'utf8'), /token"\s*:\s*"/);

    const list = await weir(['list']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^JOB ID\s+NAME\s+STATE\s+UPTIME\s+RESTARTS\s+URL$/m);
    assert.match(list.stdout, new RegExp(`^ctl-a\\s+t-cli\\s+(initializing|running)\\s+\\d+s\\s+0\\s+${url}$`, 'm'));
    const listed = JSON.parse((await weir(['list', '--json'])).stdout);
    assert.deepEqual(listed.map((j: { jobId: string }) => j.jobId), ['ctl-a']);

    const cp = await weir(['checkpoint', 'ctl-a']);
    assert.equal(cp.code, 0, cp.stderr);
    assert.match(cp.stdout, /^checkpoint \d+ \S+chk-\d+$/m);
    const cpJson = await weir(['checkpoint', 'ctl-a', '--json']);
    assert.equal(cpJson.code, 0, cpJson.stderr);
    const cpDone = JSON.parse(cpJson.stdout) as { jobId: string; checkpointId: number; path: string };
    assert.equal(cpDone.jobId, 'ctl-a');
    assert.ok(cpDone.checkpointId > Number(/^checkpoint (\d+)/m.exec(cp.stdout)![1]), cpJson.stdout);
    assert.ok(cpDone.path.endsWith(`chk-${cpDone.checkpointId}`), cpDone.path);

    const spDir = path.join(tmp, 'savepoints');
    const sp = await weir(['savepoint', 't-cli', spDir]); // by name: the only running t-cli
    assert.equal(sp.code, 0, sp.stderr);
    const spPath = /^savepoint (\S+)$/m.exec(sp.stdout)![1]!;
    assert.ok(fs.existsSync(path.join(spPath, '_metadata')));

    const stopDir = path.join(tmp, 'stop');
    const stop = await weir(['stop', 'ctl', '--savepoint-path', stopDir]); // a unique id prefix
    assert.equal(stop.code, 0, stop.stderr);
    const stopPath = /^job ctl-a stopped with savepoint (\S+)$/m.exec(stop.stdout)![1]!;
    const first = await run.done;
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^job ctl-a finished in \d+ ms$/m);
    assert.ok(first.stdout.includes(`stopped with savepoint ${stopPath}\n`), first.stdout);
    assert.ok(!fs.existsSync(path.join(JOBS_DIR, 'ctl-a.json')), 'the discovery file is removed at the end');

    const loaded = await CheckpointStorage.load(stopPath);
    const atStop = await countsByKey(completedCheckpointFromMetadata(loaded.metadata, loaded.metadataPath, loaded.directory), 'counter', KEYS);
    const counted = atStop.reduce((a, b) => a + b, 0);
    assert.ok(counted > 0 && counted < N, `stopped mid-run (${counted} of ${N})`);

    // Restore (no sink delay): the rest of the input, each record once.
    const second = await weir(['run', ...runArgs('ctl-restored', N, 0, ['--retention', 'retain-on-cancel', '--restore', stopPath])]);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, new RegExp(`^collect 'out': ${N - counted} records$`, 'm'));
    const final = await new CheckpointStorage({ directory: path.join(tmp, 'chk'), jobId: 'ctl-restored' }).findLatestValid();
    assert.ok(final);
    assert.deepEqual(await countsByKey(final.checkpoint, 'counter', KEYS), new Array(KEYS).fill(N / KEYS));
  } finally {
    run.child.kill('SIGKILL');
  }
});

test('cancel a job of another process (with its token); unknown jobs and unreachable endpoints are errors with a code', async () => {
  const token = 'ctl-b-secret-token';
  const run = startRun(runArgs('ctl-b', 1_000_000, 20, ['--rest-port', '0', '--rest-token', token]));
  try {
    await run.url;
    // Without the token the job is still listed (from its discovery file), saying what it needs.
    const listed = await weir(['list']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^ctl-b\s+t-cli\s+token required \(pass --token or set WEIR_REST_TOKEN\)/m);
    const refused = await weir(['cancel', 'ctl-b']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^weir: WEIR_REST_UNAUTHORIZED: /m);
    assert.match((await weir(['list', '--token', token])).stdout, /^ctl-b\s+t-cli\s+(initializing|running)\s/m);
    const unknown = await weir(['cancel', 'no-such-job']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^weir: WEIR_CLI_JOB_NOT_FOUND: no running job 'no-such-job' .*running: ctl-b/m);
    const cancel = await weir(['cancel', 'ctl-b', '--token', token]);
    assert.equal(cancel.code, 0, cancel.stderr);
    assert.match(cancel.stdout, /^job ctl-b cancelling$/m);
    const end = await run.done;
    assert.equal(end.code, 0, end.stderr);
    assert.match(end.stdout, /^job ctl-b cancelled in \d+ ms$/m);
    const none = await weir(['list']);
    assert.equal(none.stdout, 'no running jobs\n');
    const gone = await weir(['checkpoint', 'x', '--url', 'http://127.0.0.1:1']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /^weir: WEIR_CLI_JOB_NOT_FOUND: cannot reach http:\/\/127\.0\.0\.1:1\/jobs/m);
    const usage = await weir(['stop', 'ctl-b']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /stop needs --savepoint-path/);
  } finally {
    run.child.kill('SIGKILL');
  }
});
