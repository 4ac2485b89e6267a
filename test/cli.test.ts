/**
 * The `weir` command end to end, in child processes (`node cli/weir.mjs …`):
 * run a job with periodic checkpoints, list them, inspect one, detect
 * corruption; stop a running job with a savepoint on SIGTERM and restore
 * from it (exactly-once counts); usage errors.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CheckpointStorage } from '../runtime/checkpoint/checkpoint-storage.ts';
import { completedCheckpointFromMetadata } from '../runtime/checkpoint/checkpoint-metadata.ts';
import { countsByKey } from './support/checkpoint-reader.ts';
import { WeirError } from '../common/weir-error.ts';
import { listCheckpoints, type CheckpointsReport } from '../cli/checkpoints-command.ts';
import { inspectCheckpoint } from '../cli/inspect-command.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const JOB = 'test/support/cli-job.ts';
const KEYS = 10;

interface Outcome { code: number | null; stdout: string; stderr: string }

/** Run `weir …`; `onStart` gets the child (to signal it). Killed (and the test failed) after 90 s. */
function weir(args: string[], onStart?: (child: ReturnType<typeof spawn>) => void): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['cli/weir.mjs', ...args], { cwd: ROOT, env: { ...process.env, WEIR_LOG_LEVEL: 'error' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`weir ${args.join(' ')} did not end within 90 s\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, 90_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    onStart?.(child);
  });
}

/** Resolves once `jobDir` holds a complete checkpoint (a `chk-<n>/_metadata`); false after 60 s. */
async function completeCheckpointIn(jobDir: string): Promise<boolean> {
  const end = Date.now() + 60_000;
  for (;;) {
    const dirs = fs.existsSync(jobDir) ? fs.readdirSync(jobDir) : [];
    if (dirs.some((d) => /^chk-\d+$/.test(d) && fs.existsSync(path.join(jobDir, d, '_metadata')))) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Checkpoint options of the runs below. The checkpoint timeout and tolerance work around a
 * runtime bug (reproducible at commit 187d1d4, not in the CLI): when the sources can put their
 * whole input into the channel rings at once (default 256 KiB buffers), in about half of the runs
 * the first checkpoint (periodic, or the final one when it is the first) never receives a single
 * acknowledgement and the job waits for it forever. With them it expires after 3 s and the job
 * goes on (the final checkpoint is retried). Small buffers (--buffer-bytes 4096) avoid it.
 */
const CHECKPOINT_SAFETY = ['--checkpoint-timeout', '3000', '--tolerable-failures', '10'];

/** What `checkpoints --json` must say about a complete checkpoint, read straight from its `_metadata`. */
function expectedEntry(dir: string): Record<string, unknown> {
  const m = JSON.parse(fs.readFileSync(path.join(dir, '_metadata'), 'utf8'));
  return {
    id: m.checkpointId, path: dir, complete: true, status: 'complete', kind: m.kind, trigger: m.trigger, alignment: m.alignment,
    triggerTimestamp: m.triggerTimestamp, completionTimestamp: m.completionTimestamp,
    bytes: m.files.reduce((s: number, f: { bytes: number }) => s + f.bytes, 0), files: m.files.length,
  };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-cli-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('weir run with checkpoints, then weir checkpoints and weir inspect', () => {
  const cpDir = path.join(tmp, 'checkpoints');
  const jobDir = path.join(cpDir, 'cli-a');
  let run: Outcome;
  let chkDirs: string[];

  before(async () => {
    run = await weir(['run', JOB, '--job-id', 'cli-a', '--params', JSON.stringify({ n: 20_000, keys: KEYS, sinkMicros: 20 }), '--parallelism', '2',
      '--state-dir', path.join(tmp, 'state'), '--checkpoint-dir', cpDir, '--checkpoint-interval', '20', '--buffer-bytes', '4096', ...CHECKPOINT_SAFETY, '--retained', '100', '--retention', 'retain-on-cancel', '--print', '0']);
    chkDirs = fs.readdirSync(jobDir).filter((d) => /^chk-\d+$/.test(d)).sort((a, b) => Number(a.slice(4)) - Number(b.slice(4))).map((d) => path.join(jobDir, d));
  });

  test('run prints the job, its records and its checkpoints', () => {
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.split('\n');
    assert.equal(lines[0], 'job cli-a (t-cli) submitted');
    assert.equal(lines[1], `  checkpoints: every 20 ms, aligned, exactly-once, into ${cpDir}`);
    assert.match(run.stdout, /^job cli-a finished in \d+ ms$/m);
    assert.match(run.stdout, /^collect 'out': 20000 records$/m);
    const last = chkDirs.at(-1)!;
    assert.ok(run.stdout.includes(`  latest: ${last} (restore with: --restore ${last}, or --restore latest)`), run.stdout);
    // However many periodic checkpoints ran (none on a slow machine is fine), the final one is the last.
    assert.ok(chkDirs.length >= 1, `at least the final checkpoint, got ${chkDirs.length}`);
    const incomplete = chkDirs.filter((d) => !fs.existsSync(path.join(d, '_metadata')));
    assert.deepEqual(incomplete, [], 'a finished job leaves only complete checkpoints (aborted ones are discarded)');
  });

  test('checkpoints --json lists every checkpoint, ascending, with complete flags and metadata', async () => {
    fs.mkdirSync(path.join(jobDir, 'chk-999')); // an interrupted checkpoint: no _metadata
    try {
      const r = await weir(['checkpoints', cpDir, '--json']);
      assert.equal(r.code, 0, r.stderr);
      const report = JSON.parse(r.stdout) as CheckpointsReport;
      const expected = [
        ...chkDirs.map(expectedEntry),
        { id: 999, path: path.join(jobDir, 'chk-999'), complete: false, status: 'incomplete', problem: '_metadata missing (checkpoint incomplete or still in progress)' },
      ];
      assert.deepEqual(report, { directory: cpDir, jobs: [{ jobId: 'cli-a', jobDir, checkpoints: expected }], savepoints: [] });
      const ids = report.jobs[0]!.checkpoints.map((c) => c.id);
      assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
      const triggers = report.jobs[0]!.checkpoints.slice(0, -1).map((c) => c.trigger);
      assert.deepEqual(triggers, [...triggers.slice(0, -1).map(() => 'periodic'), 'final']);

      // Given the job's own directory, or filtered by --job (in process: same code, no process start).
      assert.deepEqual((await listCheckpoints(jobDir)).jobs, report.jobs);
      assert.deepEqual((await listCheckpoints(cpDir, 'cli-a')).jobs, report.jobs);
      // A --job naming no job there is an error naming the jobs that are (a typo should not read as "0 checkpoints").
      await assert.rejects(listCheckpoints(cpDir, 'nobody'), (e: WeirError) => e.code === 'WEIR_CHECKPOINT_NOT_FOUND' && /No checkpoints or savepoints of job 'nobody' .*job ids there: .*cli-a/.test(e.message));

      const text = await weir(['checkpoints', cpDir]);
      assert.equal(text.code, 0);
      assert.match(text.stdout, new RegExp(`^job cli-a \\(${jobDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\): ${chkDirs.length + 1} checkpoint directories$`, 'm'));
      assert.match(text.stdout, /^ {2}chk-999 +no +incomplete/m);
    } finally {
      fs.rmdirSync(path.join(jobDir, 'chk-999'));
    }
  });

  test('checkpoints shows a checkpoint whose state file is truncated as damaged, with the reason', async () => {
    const last = chkDirs.at(-1)!;
    const m = JSON.parse(fs.readFileSync(path.join(last, '_metadata'), 'utf8'));
    const f = m.files.find((x: { bytes: number }) => x.bytes > 1) as { path: string; bytes: number };
    const file = path.join(jobDir, ...f.path.split('/'));
    const original = fs.readFileSync(file);
    const half = Math.floor(f.bytes / 2);
    fs.truncateSync(file, half); // what a crash or a full disk leaves; `_metadata` records every file's size
    try {
      const problem = `referenced file ${f.path} has ${half} bytes, expected ${f.bytes}`;
      const r = await weir(['checkpoints', cpDir, '--json']);
      assert.equal(r.code, 0, r.stderr);
      const entries = (JSON.parse(r.stdout) as CheckpointsReport).jobs[0]!.checkpoints;
      assert.deepEqual(entries.at(-1), { ...expectedEntry(last), complete: false, status: 'damaged', problem });
      assert.deepEqual(entries.slice(0, -1), chkDirs.slice(0, -1).map(expectedEntry), 'the other checkpoints stay complete');
      const text = await weir(['checkpoints', cpDir]);
      assert.equal(text.code, 0);
      assert.match(text.stdout, new RegExp(`^ {2}${path.basename(last)} +no +damaged `, 'm'));
      assert.ok(text.stdout.includes(`  ${path.basename(last)}: ${problem}`), text.stdout);
    } finally {
      fs.writeFileSync(file, original);
    }
  });

  test('inspect --json reports vertices, subtasks, files and stats of the final checkpoint', async () => {
    const last = chkDirs.at(-1)!;
    const r = await weir(['inspect', last, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    const m = JSON.parse(fs.readFileSync(path.join(last, '_metadata'), 'utf8'));
    assert.equal(report.jobId, 'cli-a');
    assert.equal(report.checkpointId, Number(path.basename(last).slice(4)));
    assert.equal(report.kind, 'checkpoint');
    assert.equal(report.trigger, 'final');
    assert.equal(report.alignment, 'aligned');
    assert.equal(report.directory, last);
    assert.equal(report.rootDir, jobDir);
    assert.deepEqual(report.vertices.map((v: { uid: string; parallelism: number; maxParallelism: number }) => [v.uid, v.parallelism, v.maxParallelism]),
      [['numbers', 2, 128], ['counter', 2, 128], ['slow', 1, 128]]);
    assert.deepEqual(report.subtasks.map((s: { id: string }) => s.id), ['counter#0', 'counter#1', 'numbers#0', 'numbers#1', 'slow#0']);
    const bytesOf = (subtask: string) => m.files.filter((f: { subtask: string }) => f.subtask === subtask).reduce((s: number, f: { bytes: number }) => s + f.bytes, 0);
    for (const s of report.subtasks) {
      assert.equal(s.stateBytes, bytesOf(s.id), s.id);
      assert.equal(s.channelStateBytes, 0, `${s.id}: aligned checkpoints persist no in-flight data`);
    }
    assert.ok(report.subtasks[0].stateBytes > 0 && report.subtasks[1].stateBytes > 0, 'the counter subtasks have keyed state files');
    assert.deepEqual(report.files.map((f: { path: string }) => f.path), m.files.map((f: { path: string }) => f.path));
    assert.equal(report.totals.bytes, bytesOf('counter#0') + bytesOf('counter#1'));
    assert.equal(report.totals.files, m.files.length);
    assert.equal(report.stats.acknowledged, 5);
    assert.equal(report.stats.total, 5);
    assert.equal(report.checksum, m.checksum);

    // The _metadata file itself works as the target; the text form names the same things.
    assert.deepEqual(JSON.parse(JSON.stringify(await inspectCheckpoint(path.join(last, '_metadata')))), report);
    const text = await weir(['inspect', last]);
    assert.equal(text.code, 0);
    assert.ok(text.stdout.startsWith(`checkpoint ${report.checkpointId} of job cli-a (aligned, trigger final) — verified\n`), text.stdout);
    assert.match(text.stdout, /^ {2}counter +2 +128 /m);
  });

  test('corrupt and incomplete checkpoints: exit 1 with the WeirError code', async () => {
    const bad = path.join(tmp, 'bad');
    const copy = (name: string) => {
      const dir = path.join(bad, 'cli-a', name);
      fs.cpSync(chkDirs.at(-1)!, dir, { recursive: true });
      return dir;
    };
    const wrongChecksum = copy('chk-1');
    const mdPath = path.join(wrongChecksum, '_metadata');
    fs.writeFileSync(mdPath, fs.readFileSync(mdPath, 'utf8').replace('"trigger": "final"', '"trigger": "finax"'));
    const truncated = copy('chk-2');
    const text = fs.readFileSync(path.join(truncated, '_metadata'), 'utf8');
    fs.writeFileSync(path.join(truncated, '_metadata'), text.slice(0, text.length / 2));
    copy('chk-3'); // valid _metadata, but its files stay under the original chk-<n>: listed as damaged (the listing checks sizes)

    let r = await weir(['inspect', wrongChecksum]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.ok(r.stderr.startsWith(`weir: WEIR_CHECKPOINT_CORRUPT: Checkpoint metadata ${mdPath} is corrupt: checksum mismatch (recorded sha256:`), r.stderr);

    r = await weir(['inspect', path.join(tmp, 'nothing-here')]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `weir: WEIR_CHECKPOINT_NOT_FOUND: No checkpoint or savepoint at ${path.join(tmp, 'nothing-here')}\n`);

    // The same errors in process (what the CLI prints is `code: message`, as above).
    const rejects = (target: string, code: string, message: RegExp) =>
      assert.rejects(inspectCheckpoint(target), (e: unknown) => e instanceof WeirError && e.code === code && message.test(e.message));
    await rejects(truncated, 'WEIR_CHECKPOINT_CORRUPT', /^Checkpoint metadata .*_metadata is corrupt: not valid JSON .* the file may be truncated$/);
    fs.mkdirSync(path.join(bad, 'cli-a', 'chk-4'));
    await rejects(path.join(bad, 'cli-a', 'chk-4'), 'WEIR_CHECKPOINT_INCOMPLETE', /chk-4 is not a complete checkpoint: it has no _metadata/);

    const list = await listCheckpoints(bad);
    assert.deepEqual(list.jobs[0].checkpoints.map((c: { id: number; complete: boolean; status: string }) => [c.id, c.complete, c.status]),
      [[1, false, 'corrupt'], [2, false, 'corrupt'], [3, false, 'damaged'], [4, false, 'incomplete']]);
    assert.match(list.jobs[0].checkpoints[2].problem!, /^referenced file chk-\d+\/\S+ is missing/);
  });

  test('a state file changed after the fact fails its sha256 check', async () => {
    const last = chkDirs.at(-1)!;
    const m = JSON.parse(fs.readFileSync(path.join(last, '_metadata'), 'utf8'));
    const file = path.join(jobDir, ...m.files[0].path.split('/'));
    const original = fs.readFileSync(file);
    const changed = Buffer.from(original);
    changed[0] ^= 0xff;
    fs.writeFileSync(file, changed);
    try {
      const r = await weir(['inspect', last]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr.split('\n')[0], `weir: WEIR_CHECKPOINT_CORRUPT: Checkpoint ${last} is corrupt: referenced file ${m.files[0].path} fails its sha256 check (expected ${m.files[0].sha256}, got ${r.stderr.match(/got ([0-9a-f]{64})\)/)?.[1]})`);
    } finally {
      fs.writeFileSync(file, original);
    }
  });
});

describe('weir run of a job that fails for good', () => {
  test('prints the failovers and the latest checkpoint to restore from before the error, exit 1', async () => {
    const cpDir = path.join(tmp, 'checkpoints-failing');
    const flag = path.join(tmp, 'fail-now');
    const outcome = weir(['run', JOB, '--job-id', 'cli-fail', '--params', JSON.stringify({ n: 10_000_000, keys: KEYS, sinkMicros: 20, failFlag: flag }), '--parallelism', '2',
      '--state-dir', path.join(tmp, 'state-failing'), '--checkpoint-dir', cpDir, '--checkpoint-interval', '20', ...CHECKPOINT_SAFETY,
      '--restart-strategy', JSON.stringify({ type: 'fixed-delay', attempts: 1, delayMs: 0 })]);
    assert.ok(await completeCheckpointIn(path.join(cpDir, 'cli-fail')), 'a checkpoint completed');
    fs.writeFileSync(flag, '');
    const run = await outcome;
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stdout, /^job cli-fail failed$/m);
    assert.match(run.stdout, /^failover 1: WEIR_USER_FUNCTION_FAILED: .*injected sink failure → restored checkpoint \d+, recovery \d+ ms$/m);
    assert.match(run.stdout, /^checkpoints: [1-9]\d* completed, \d+ failed \(of \d+ triggered\)$/m);
    const latest = /^ {2}latest: (\S+) \(restore with: --restore \1, or --restore latest\)$/m.exec(run.stdout);
    assert.ok(latest && fs.existsSync(path.join(latest[1]!, '_metadata')), `the latest checkpoint's path, kept: ${run.stdout}`);
    assert.match(run.stderr, /WEIR_USER_FUNCTION_FAILED/);
  });
});

describe('stop with a savepoint on SIGTERM, then restore from it', () => {
  const N = 300_000; // 6 s of sink time in the first run: the signal always comes first

  test('the restored run finishes the input exactly once', async () => {
    const cpDir = path.join(tmp, 'sp-checkpoints');
    const spDir = path.join(tmp, 'savepoints');
    // 1. A run that would take 6 s (20 µs per record in the sink); SIGTERM once it has checkpointed.
    const first = await weir(['run', JOB, '--job-id', 'cli-sp', '--params', JSON.stringify({ n: N, keys: KEYS, sinkMicros: 20 }), '--parallelism', '2',
      '--state-dir', path.join(tmp, 'state'), '--checkpoint-dir', cpDir, '--checkpoint-interval', '30', '--buffer-bytes', '4096',
      '--checkpoint-timeout', '8000', '--tolerable-failures', '10',
      '--stop-with-savepoint-on-signal', spDir, '--print', '0'],
    (child) => void completeCheckpointIn(path.join(cpDir, 'cli-sp')).then((ok) => child.kill(ok ? 'SIGTERM' : 'SIGKILL')));
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, new RegExp(`^weir: SIGTERM: stopping job cli-sp with a savepoint into ${spDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} `, 'm'));
    assert.match(first.stdout, /^job cli-sp finished in \d+ ms$/m);
    const savepoints = fs.readdirSync(spDir);
    assert.equal(savepoints.length, 1);
    assert.match(savepoints[0]!, /^savepoint-cli-sp-[0-9a-f]{12}$/);
    const sp = path.join(spDir, savepoints[0]!);
    assert.match(first.stdout, new RegExp(`^savepoint ${sp.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));

    // 2. The savepoint as the tools see it.
    const inspected = JSON.parse((await weir(['inspect', sp, '--json'])).stdout);
    assert.equal(inspected.kind, 'savepoint');
    assert.equal(inspected.trigger, 'final', 'a stop-with-savepoint savepoint is terminal: notified, so sinks committed before the stop');
    assert.equal(inspected.alignment, 'aligned');
    assert.equal(inspected.jobId, 'cli-sp');
    assert.equal(inspected.rootDir, sp);
    const listed = JSON.parse((await weir(['checkpoints', spDir, '--json'])).stdout);
    assert.deepEqual(listed.jobs, []);
    assert.deepEqual(listed.savepoints.map((s: { id: number; jobId: string; complete: boolean; kind: string; path: string }) => [s.id, s.jobId, s.complete, s.kind, s.path]),
      [[inspected.checkpointId, 'cli-sp', true, 'savepoint', sp]]);
    const loaded = await CheckpointStorage.load(sp);
    const atSavepoint = await countsByKey(completedCheckpointFromMetadata(loaded.metadata, loaded.metadataPath, loaded.directory), 'counter', KEYS);
    const counted = atSavepoint.reduce((a, b) => a + b, 0);
    assert.ok(counted > 0 && counted < N, `the savepoint was taken mid-run (${counted} of ${N} records counted)`);

    // 3. Restore (no sink delay now): the rest of the input, each record once.
    const second = await weir(['run', JOB, '--job-id', 'cli-restored', '--params', JSON.stringify({ n: N, keys: KEYS, sinkMicros: 0 }), '--parallelism', '2',
      '--state-dir', path.join(tmp, 'state'), '--checkpoint-dir', cpDir, ...CHECKPOINT_SAFETY, '--retention', 'retain-on-cancel', '--restore', sp, '--print', '0']);
    assert.equal(second.code, 0, second.stderr);
    assert.ok(second.stdout.includes(`  restore: ${sp}\n`), second.stdout);
    assert.ok(second.stdout.includes(`restored from ${sp} (id ${inspected.checkpointId})\n`), second.stdout);
    assert.match(second.stdout, new RegExp(`^collect 'out': ${N - counted} records$`, 'm'));
    const final = await new CheckpointStorage({ directory: cpDir, jobId: 'cli-restored' }).findLatestValid();
    assert.ok(final, 'the restored run took its final checkpoint');
    assert.equal(final.metadata.trigger, 'final');
    assert.deepEqual(await countsByKey(final.checkpoint, 'counter', KEYS), new Array(KEYS).fill(N / KEYS));
  });
});

describe('usage and lookup errors', () => {
  const USAGE_LINE = 'usage:\n  weir run <job-module> [options]';

  test('help prints the usage', async () => {
    const r = await weir(['help']);
    assert.equal(r.code, 0);
    assert.ok(r.stdout.startsWith(USAGE_LINE));
    for (const args of [['run', '--help'], ['savepoint', '-h']]) {
      const h = await weir(args);
      assert.equal(h.code, 0, `weir ${args.join(' ')}: ${h.stderr}`);
      assert.equal(h.stdout, r.stdout);
    }
    for (const s of ['weir checkpoints <checkpoint-dir>', 'weir inspect <chk-dir|savepoint-dir|_metadata>', '--restore latest|PATH', '--stop-with-savepoint-on-signal DIR']) {
      assert.ok(r.stdout.includes(s), s);
    }
  });

  // Each option's validation is unit-tested in cli/run-options.test.ts; here, that a usage error exits 2.
  const cases: Array<[string[], string]> = [
    [['frobnicate'], `weir: WEIR_CLI_USAGE: unknown command 'frobnicate'`],
    [['run', JOB, '--checkpoint-interval', '5'], 'weir: WEIR_CLI_USAGE: checkpoint options: Invalid checkpoint config: intervalMs must be a number >= 10 (or null to disable periodic checkpoints), got 5'],
    [['inspect', 'a', 'b'], `weir: WEIR_CLI_USAGE: inspect: unexpected argument 'b'`],
    [[], 'weir: WEIR_CLI_USAGE: no command given'],
    // Refused by execute() rather than by the flag's own check: a usage error all the same, in the flags' terms.
    [['run', JOB, '--rest-port', '99999'], 'weir: WEIR_CLI_USAGE: --rest-port must be an integer in [0, 65535], got 99999'],
    [['run', JOB, '--rest-port', '0', '--rest-host', '0.0.0.0'], "weir: WEIR_CLI_USAGE: --rest-host '0.0.0.0' is not a loopback address: pass --rest-token so that every request must carry it (Authorization: Bearer <token>), or bind 127.0.0.1 (WEIR_REST_INSECURE)"],
    [['run', JOB, '--params', '{"n":10,"keys":2,"sinkMicros":0}', '--max-parallelism', '1'], "weir: WEIR_CLI_USAGE: operator 'Sequence' (uid numbers) has parallelism 2, above the max parallelism 1 (the number of key groups) (WEIR_INVALID_GRAPH)"],
  ];
  for (const [args, message] of cases) {
    test(`exit 2: weir ${args.join(' ')}`, async () => {
      const r = await weir(args);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, '');
      assert.ok(r.stderr.startsWith(`${message}\n${USAGE_LINE}`), r.stderr);
    });
  }

  test('exit 1: a checkpoint directory that does not exist', async () => {
    const r = await weir(['checkpoints', path.join(tmp, 'absent')]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `weir: WEIR_CHECKPOINT_NOT_FOUND: No checkpoint directory at ${path.join(tmp, 'absent')}\n`);
  });
});
