/**
 * `_metadata` appears only for complete checkpoints: a process killed (SIGKILL)
 * in the middle of a checkpoint leaves that chk-n without `_metadata`, every
 * earlier checkpoint intact and loadable, and discovery picks the newest complete one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CheckpointStorage } from '../runtime/checkpoint/checkpoint-storage.ts';

const CHILD = fileURLToPath(new URL('./support/checkpointing-child.ts', import.meta.url));

function chkDirs(jobDir: string): Array<{ id: number; complete: boolean }> {
  if (!fs.existsSync(jobDir)) return [];
  return fs.readdirSync(jobDir)
    .filter((d) => /^chk-\d+$/.test(d))
    .map((d) => ({ id: Number(d.slice(4)), complete: fs.existsSync(path.join(jobDir, d, '_metadata')) }))
    .sort((a, b) => a.id - b.id);
}

test('a process killed mid-checkpoint leaves no _metadata for it and earlier checkpoints intact', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-kill-'));
  const jobDir = path.join(dir, 'checkpoints', 'crash-test');
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WEIR_LOG_LEVEL: 'error' } });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  try {
    // Wait (bounded) for ≥ 2 complete checkpoints and a newer one in progress, then kill.
    const deadline = Date.now() + 60_000;
    let killedDuring: number | undefined;
    while (Date.now() < deadline) {
      const dirs = chkDirs(jobDir);
      const complete = dirs.filter((d) => d.complete);
      const inProgress = dirs.filter((d) => !d.complete && d.id > (complete.at(-1)?.id ?? Infinity));
      if (complete.length >= 2 && inProgress.length > 0) {
        child.kill('SIGKILL');
        killedDuring = inProgress[0]!.id;
        break;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    await exited;
    assert.ok(killedDuring !== undefined, `no checkpoint was caught in progress; child stderr: ${stderr.slice(0, 2000)}`);
    const after = chkDirs(jobDir);
    const torn = after.find((d) => d.id === killedDuring)!;
    assert.equal(torn.complete, false, `chk-${killedDuring} must not have _metadata`);
    const complete = after.filter((d) => d.complete);
    assert.ok(complete.length >= 2);
    for (const c of complete) {
      const loaded = await CheckpointStorage.load(path.join(jobDir, `chk-${c.id}`));
      assert.equal(loaded.metadata.checkpointId, c.id);
    }
    const storage = new CheckpointStorage({ directory: path.join(dir, 'checkpoints'), jobId: 'crash-test' });
    const latest = await storage.findLatestValid();
    assert.ok(latest);
    assert.equal(latest.metadata.checkpointId, complete.at(-1)!.id);
    assert.ok(latest.skipped.some((s) => s.path.endsWith(`chk-${killedDuring}`)), 'the torn checkpoint is reported as skipped');
  } finally {
    child.kill('SIGKILL');
    await exited;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
