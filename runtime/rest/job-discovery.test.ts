import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { discoverJobs, removeDiscoveryFile, writeDiscoveryFile } from './job-discovery.ts';

test('discovery files: written 0600 in a 0700 folder, read back, files of dead processes ignored and removed', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-disc-'));
  const dir = path.join(root, 'jobs');
  try {
    const file = await writeDiscoveryFile(dir, { jobId: 'a', name: 'job-a', url: 'http://127.0.0.1:1', pid: process.pid, tokenRequired: true, startTime: 2 });
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    await writeDiscoveryFile(dir, { jobId: 'b', name: 'job-b', url: 'http://127.0.0.1:2', pid: process.pid, tokenRequired: false, startTime: 1 });
    // A process that no longer exists (pid beyond pid_max): its file is skipped and removed.
    await writeDiscoveryFile(dir, { jobId: 'dead', name: 'x', url: 'http://127.0.0.1:3', pid: 2 ** 30, tokenRequired: false, startTime: 0 });
    fs.writeFileSync(path.join(dir, 'garbage.json'), '{not json');
    const jobs = await discoverJobs(dir);
    assert.deepEqual(jobs.map((j) => j.jobId), ['b', 'a'], 'oldest first');
    assert.ok(!fs.existsSync(path.join(dir, 'dead.json')));
    assert.ok(!JSON.stringify(jobs).includes('token"'), 'no token in the files');
    removeDiscoveryFile(file);
    assert.deepEqual((await discoverJobs(dir)).map((j) => j.jobId), ['b']);
    assert.deepEqual(await discoverJobs(path.join(root, 'missing')), []);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('discovery: a folder or file others can write is not trusted', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-disc-'));
  const dir = path.join(root, 'jobs');
  try {
    await writeDiscoveryFile(dir, { jobId: 'a', name: 'job-a', url: 'http://127.0.0.1:1', pid: process.pid, tokenRequired: false, startTime: 1 });
    fs.chmodSync(path.join(dir, 'a.json'), 0o666);
    assert.deepEqual(await discoverJobs(dir), [], 'a world-writable file is ignored');
    fs.chmodSync(path.join(dir, 'a.json'), 0o600);
    fs.chmodSync(dir, 0o777);
    assert.deepEqual(await discoverJobs(dir), [], 'a world-writable folder is ignored');
    await assert.rejects(writeDiscoveryFile(dir, { jobId: 'b', name: 'b', url: 'http://127.0.0.1:2', pid: process.pid, tokenRequired: false, startTime: 2 }), /not owned by this user alone/);
    fs.chmodSync(dir, 0o700);
    assert.deepEqual((await discoverJobs(dir)).map((j) => j.jobId), ['a']);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
