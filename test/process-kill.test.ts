/**
 * A process running a job with an exactly-once file sink is killed (SIGKILL)
 * mid-run after ≥ 2 complete checkpoints; the same job started again with
 * `restore: 'latest'` (same job id, checkpoint and state directories) runs to
 * completion and the committed files hold every record exactly once. And
 * `restore: 'latest'` skips a chk-n without `_metadata` and one whose state
 * file was corrupted, with a warning each, falling back to the previous one
 * (on the keyed counting job, whose checkpoints have LMDB state files).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { CheckpointStorage } from '../runtime/checkpoint/checkpoint-storage.ts';
import { resolveInitialRestore } from '../runtime/recovery/restore-source.ts';
import { fileSinkJob, readCommitted, sinkRecord } from './support/sink-jobs.ts';
import { assertContinues, expectationOf, recoveryCountJob, whenRunning } from './support/recovery-jobs.ts';
import type { Counted } from './support/checkpoint-jobs.ts';
import { KILL_N } from './support/recovery-kill-child.ts';

const CHILD = fileURLToPath(new URL('./support/recovery-kill-child.ts', import.meta.url));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-pkill-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function completeIds(jobDir: string): number[] {
  if (!fs.existsSync(jobDir)) return [];
  return fs.readdirSync(jobDir).filter((d) => /^chk-\d+$/.test(d) && fs.existsSync(path.join(jobDir, d, '_metadata'))).map((d) => Number(d.slice(4))).sort((a, b) => a - b);
}

function restoreLatest(checkpoints: string, out: string) {
  return fileSinkJob.execute({
    jobId: 'kill-test',
    params: { n: KILL_N, directory: out, format: 'jsonl', spinMicros: 0, rebalance: false },
    parallelism: 2,
    stateBackend: 'lmdb',
    stateDirectory: path.join(dir, 'state'),
    bufferBytes: 4096,
    checkpointing: { intervalMs: 30, directory: checkpoints, retained: 100, retention: 'retain-on-cancel' },
    restore: 'latest',
  }).done;
}

// Long enough (~8 s at 400 µs per record) that three aligned checkpoints (~1.5 s each with 1 KiB rings)
// complete before it ends even on a loaded machine; the first run is cancelled after the third.
const FB_N = 24_000;
const FB_KEYS = 8;

test('killed with SIGKILL after 2 checkpoints, restored from latest: every record committed exactly once', { timeout: 60_000 }, async () => {
  const jobDir = path.join(dir, 'checkpoints', 'kill-test');
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WEIR_LOG_LEVEL: 'error' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_code, signal) => r(signal)));
  try {
    const deadline = Date.now() + 40_000;
    while (Date.now() < deadline && completeIds(jobDir).length < 2 && child.exitCode === null) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL', `the child was killed mid-run (stdout ${stdout}, stderr ${stderr.slice(0, 2000)})`);
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
  assert.ok(!stdout.includes('finished'), 'killed before the job finished');
  const killedAt = completeIds(jobDir);
  assert.ok(killedAt.length >= 2, `complete checkpoints at the kill: ${killedAt.join(', ')}`);

  const result = await restoreLatest(path.join(dir, 'checkpoints'), path.join(dir, 'out'));
  assert.equal(result.status, 'finished');
  assert.equal(result.jobId, 'kill-test');
  assert.equal(result.restoredFrom?.checkpointId, killedAt.at(-1), 'restored the newest complete checkpoint');
  const records = readCommitted(path.join(dir, 'out'), 'jsonl').sort((a, b) => a.i - b.i);
  assert.equal(records.length, KILL_N);
  assert.deepEqual(records, Array.from({ length: KILL_N }, (_, i) => sinkRecord(i)), 'every record exactly once, intact');
});

test("restore: 'latest' skips a chk-n without _metadata and one with a corrupted state file, with warnings", { timeout: 60_000 }, async () => {
  // The file-sink job keeps all its state inline in _metadata; the counting job has LMDB keyed state files.
  const checkpoints = path.join(dir, 'fallback-checkpoints');
  const jobDir = path.join(checkpoints, 'fallback');
  const run = (restore?: 'latest') => recoveryCountJob.execute({
    jobId: 'fallback',
    params: { n: FB_N, keys: FB_KEYS, spinMicros: restore ? 0 : 400 },
    parallelism: 2,
    stateBackend: 'lmdb',
    stateDirectory: path.join(dir, 'fallback-state'),
    bufferBytes: 1024,
    checkpointing: { intervalMs: 30, directory: checkpoints, retained: 100, retention: 'retain-on-cancel' },
    ...(restore ? { restore } : {}),
  });
  const first = run();
  try {
    await whenRunning(first, 0);
    const deadline = Date.now() + 30_000;
    // Count completions the coordinator registered: a chk-n whose _metadata was just written is
    // still discarded if the cancel aborts it before its completion is registered.
    const completed = async () => (await first.checkpointStats())?.counts.completed ?? 0;
    while ((await completed()) < 3 && Date.now() < deadline && first.status === 'running') await new Promise((r) => setTimeout(r, 5));
  } finally {
    await first.cancel();
  }
  assert.equal((await first.done).status, 'cancelled');
  const ids = completeIds(jobDir);
  assert.ok(ids.length >= 3, `complete checkpoints: ${ids.join(', ')}`);
  const [previous, newest] = ids.slice(-2) as [number, number];
  // 1. A torn checkpoint after the newest (what a crash during a checkpoint leaves).
  const torn = path.join(jobDir, `chk-${newest + 1}`);
  fs.rmSync(torn, { recursive: true, force: true });
  fs.mkdirSync(torn);
  fs.writeFileSync(path.join(torn, 'keyed-0'), 'partial');
  // 2. The newest complete one gets a corrupted state file (bytes flipped, size unchanged).
  const newestLoaded = await CheckpointStorage.load(path.join(jobDir, `chk-${newest}`));
  const file = newestLoaded.metadata.files.find((f) => f.bytes > 8 && !f.shared && f.path.startsWith(`chk-${newest}/`))!;
  assert.ok(file, `the newest checkpoint has a state file: ${JSON.stringify(newestLoaded.metadata.files)}`);
  const abs = path.join(jobDir, ...file.path.split('/'));
  const bytes = fs.readFileSync(abs);
  for (let i = 0; i < 4; i++) bytes[i] = bytes[i]! ^ 0x5a;
  fs.writeFileSync(abs, bytes);

  const warnings: Array<{ path: string; reason: string }> = [];
  const logger = { warn: (o: { path: string; reason: string }) => warnings.push({ path: o.path, reason: o.reason }), info() {}, debug() {}, error() {}, child() { return logger; } };
  const initial = await resolveInitialRestore('latest', { checkpointDirectory: checkpoints, jobName: 't-recovery-count', jobId: 'fallback', loggerFor: () => logger as unknown as Logger });
  assert.equal(initial.checkpoint.checkpointId, previous, 'fell back to the previous complete checkpoint');
  assert.deepEqual(warnings.map((w) => w.path), [torn, path.join(jobDir, `chk-${newest}`)]);
  assert.equal(warnings[0]!.reason, '_metadata missing (checkpoint incomplete)');
  assert.match(warnings[1]!.reason, new RegExp(`referenced file ${file.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} fails its sha256 check`));
  assert.deepEqual(initial.skipped, warnings);

  // The job itself restores from the previous checkpoint and continues exactly from it.
  const expected = await expectationOf(initial.checkpoint, FB_KEYS);
  assert.ok(expected.rest.length > 0 && expected.rest.length < FB_N, `mid-run: ${expected.rest.length} of ${FB_N} left`);
  const result = await run('latest').done;
  assert.equal(result.restoredFrom?.checkpointId, previous);
  assertContinues(result.collected.out as Counted[], expected, FB_N, FB_KEYS, 'fallback restore');
});
