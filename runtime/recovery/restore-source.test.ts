import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { resolveInitialRestore } from './restore-source.ts';
import { generatedJobId, isRunOfJob } from '../checkpoint/job-ids.ts';
import type { WeirError } from '../../common/weir-error.ts';

test("restore: 'latest' warns about a damaged checkpoint with the id of the job it belongs to (not the new run's)", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-restore-source-'));
  try {
    fs.mkdirSync(path.join(dir, 'orders-0a1b2c3d', 'chk-7'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'orders-0a1b2c3d', 'chk-7', '_metadata'), 'not a checkpoint');
    const raw: string[] = [];
    const sink = new Writable({ write(chunk, _enc, done) { raw.push(String(chunk)); done(); } });
    const base = pino({ level: 'warn' }, sink);
    await assert.rejects(resolveInitialRestore('latest', { checkpointDirectory: dir, jobName: 'orders', jobId: undefined, loggerFor: (id) => base.child({ job: id }) }), { code: 'WEIR_RESTORE_NOTHING' });
    const line = raw.find((l) => l.includes('skipping checkpoint'));
    assert.ok(line, raw.join(''));
    assert.equal(JSON.parse(line).job, 'orders-0a1b2c3d');
    assert.equal(line.split('"job":').length - 1, 1, `one job key: ${line}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("restore: 'latest' finding only other jobs' checkpoints names their ids and says how to continue one", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-restore-source-'));
  try {
    fs.mkdirSync(path.join(dir, 'dk', 'chk-6'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'dk', 'chk-6', '_metadata'), '{}');
    const base = pino({ level: 'silent' });
    await assert.rejects(resolveInitialRestore('latest', { checkpointDirectory: dir, jobName: 'seqjob', jobId: undefined, loggerFor: (id) => base.child({ job: id }) }), (e: WeirError) => {
      assert.equal(e.code, 'WEIR_RESTORE_NOTHING');
      assert.match(e.message, /found no complete checkpoint of job 'seqjob' .* \(no checkpoints of it\)\. The directory holds checkpoints of job ids 'dk': pass the one to continue as the job id/);
      assert.deepEqual(e.details.otherJobIds, ['dk']);
      return true;
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("restore: 'latest' takes runs of this job only: a job named '<name>-v2' is not one (its checkpoints were taken over)", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-restore-source-'));
  try {
    for (const id of ['upg-v2-40e90b3c', 'upg-v2']) {
      fs.mkdirSync(path.join(dir, id, 'chk-1'), { recursive: true });
      fs.writeFileSync(path.join(dir, id, 'chk-1', '_metadata'), '{}');
    }
    const base = pino({ level: 'silent' });
    await assert.rejects(resolveInitialRestore('latest', { checkpointDirectory: dir, jobName: 'upg', jobId: undefined, loggerFor: (id) => base.child({ job: id }) }), (e: WeirError) => {
      assert.equal(e.code, 'WEIR_RESTORE_NOTHING');
      assert.match(e.message, /\(no checkpoints of it\)/, 'neither directory is a run of upg: nothing of it was skipped');
      assert.deepEqual([...(e.details.otherJobIds as string[])].sort(), ['upg-v2', 'upg-v2-40e90b3c']);
      return true;
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the runs of a job: its name, or its name and a generated suffix', () => {
  assert.ok(isRunOfJob('upg', 'upg'));
  assert.ok(isRunOfJob('upg', generatedJobId('upg')));
  assert.ok(!isRunOfJob('upg', 'upg-v2'));
  assert.ok(!isRunOfJob('upg', 'upg-v2-40e90b3c'));
  assert.ok(!isRunOfJob('upg', 'upgrade-40e90b3c'));
  assert.ok(isRunOfJob('upg-v2', 'upg-v2-40e90b3c'));
});
