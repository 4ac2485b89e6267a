import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { WeirError } from '../../common/weir-error.ts';
import { CheckpointStatsTracker } from './checkpoint-stats.ts';
import { CheckpointStorage, type SharedStateRegistry, type StorageLogger } from './checkpoint-storage.ts';
import { sha256File } from './checkpoint-files.ts';
import type { CheckpointMetadataBody, CompletedCheckpointDraft, MetadataFile } from './checkpoint-metadata.ts';

let tmp: string;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

function recordingLogger(): StorageLogger & { warnings: Array<{ path?: string; reason?: string }> } {
  const warnings: Array<{ path?: string; reason?: string }> = [];
  return { warnings, warn: (obj) => warnings.push(obj as { path?: string; reason?: string }), debug: () => {} };
}

/** Write a file under `root` and describe it as a checkpoint file. */
function writeFile(root: string, rel: string, content: string, shared = false): MetadataFile {
  const abs = path.join(root, rel);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  fs.writeFileSync(abs, content);
  return { path: rel, bytes: Buffer.byteLength(content), sha256: sha(content), shared, subtask: 'map#0' };
}

function draft(jobId: string, id: number, files: MetadataFile[], kind: 'checkpoint' | 'savepoint' = 'checkpoint', targetDirectory?: string): CompletedCheckpointDraft {
  const stats = new CheckpointStatsTracker();
  stats.reportPending({ checkpointId: id, kind, trigger: 'manual', triggerTimestamp: id * 100, totalSubtasks: 1 });
  const d: CompletedCheckpointDraft = {
    jobId, checkpointId: id, kind, trigger: kind === 'savepoint' ? 'savepoint' : 'manual', alignment: 'aligned',
    triggerTimestamp: id * 100, completionTimestamp: id * 100 + 5,
    vertices: [{ vertexId: 'map', parallelism: 1, maxParallelism: 128 }],
    subtasks: [{ vertexId: 'map', subtask: 0, finished: false, stateHandles: { files: files.map((f) => f.path) }, channelStateHandles: null }],
    files, stats: stats.completedView(id, id * 100 + 5)!,
  };
  if (targetDirectory) d.targetDirectory = targetDirectory;
  return d;
}

/** A storage with checkpoints 1..n complete, each with one exclusive file. */
async function storageWith(jobId: string, n: number, logger?: StorageLogger): Promise<CheckpointStorage> {
  const s = new CheckpointStorage({ directory: tmp, jobId, ...(logger ? { logger } : {}) });
  for (let id = 1; id <= n; id++) {
    await s.initializeCheckpoint(id);
    await s.finalize(draft(jobId, id, [writeFile(s.jobDir, `chk-${id}/map-0.bin`, `state ${id} `.repeat(id))]));
  }
  return s;
}

async function expectCode(p: Promise<unknown>, code: string, messagePart: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof WeirError);
    assert.equal(e.code, code);
    assert.match(e.message, messagePart);
    return true;
  });
}

describe('CheckpointStorage layout and atomic _metadata', () => {
  test('paths follow <dir>/<jobId>/chk-<n>, shared/ and savepoint-<jobId>-<shortid>', () => {
    const s = new CheckpointStorage({ directory: tmp, jobId: 'job-p' });
    assert.equal(s.jobDir, path.join(tmp, 'job-p'));
    assert.equal(s.sharedDir, path.join(tmp, 'job-p', 'shared'));
    assert.equal(s.checkpointDir(7), path.join(tmp, 'job-p', 'chk-7'));
    assert.match(path.basename(CheckpointStorage.savepointPath(tmp, 'job-p')), /^savepoint-job-p-[0-9a-f]{12}$/);
    assert.throws(() => new CheckpointStorage({ directory: tmp, jobId: '../x' }), WeirError);
    assert.throws(() => s.checkpointDir(-1), WeirError);
  });

  test('writeMetadata leaves exactly _metadata (no tmp), readable by load', async () => {
    const s = await storageWith('job-w', 1);
    assert.deepEqual(fs.readdirSync(s.checkpointDir(1)).sort(), ['_metadata', 'map-0.bin']);
    const loaded = await CheckpointStorage.load(s.checkpointDir(1));
    assert.equal(loaded.metadata.checkpointId, 1);
    assert.equal(loaded.rootDir, s.jobDir);
    // Loading through the _metadata file itself works too.
    assert.equal((await CheckpointStorage.load(path.join(s.checkpointDir(1), '_metadata'))).metadata.jobId, 'job-w');
    // writeMetadata refuses metadata of another checkpoint.
    const body = { ...loaded.metadata, checkpointId: 2 } as CheckpointMetadataBody;
    await expectCode(s.writeMetadata(1, body), 'WEIR_INVALID_CHECKPOINT_METADATA', /chk-1/);
  });

  test('a crash before the rename (only _metadata.tmp) is an incomplete checkpoint; earlier ones stay intact', async () => {
    const log = recordingLogger();
    const s = await storageWith('job-crash', 2, log);
    await s.initializeCheckpoint(3);
    writeFile(s.jobDir, 'chk-3/map-0.bin', 'state 3');
    fs.writeFileSync(path.join(s.checkpointDir(3), '_metadata.tmp'), '{"formatVersion":1,"jobId":"job-cr');
    assert.deepEqual((await s.list()).map((d) => [d.id, d.complete]), [[1, true], [2, true], [3, false]]);
    const found = await s.findLatestValid();
    assert.equal(found!.metadata.checkpointId, 2);
    assert.equal(found!.path, s.checkpointDir(2));
    assert.equal(found!.checkpoint.checkpointId, 2);
    assert.deepEqual(found!.skipped, [{ path: s.checkpointDir(3), reason: '_metadata missing (an interrupted write left _metadata.tmp)' }]);
    assert.deepEqual(log.warnings.map((w) => w.path), [s.checkpointDir(3)]);
    await expectCode(CheckpointStorage.load(s.checkpointDir(3)), 'WEIR_CHECKPOINT_INCOMPLETE', /chk-3.*interrupted/);
  });

  test('finalize refuses a checkpoint whose reported file is missing or has the wrong size', async () => {
    const s = new CheckpointStorage({ directory: tmp, jobId: 'job-f' });
    await s.initializeCheckpoint(1);
    const f = writeFile(s.jobDir, 'chk-1/a.bin', 'abc');
    await expectCode(s.finalize(draft('job-f', 1, [{ ...f, bytes: 4 }])), 'WEIR_CHECKPOINT_INCOMPLETE', /a\.bin has 3 bytes, expected 4/);
    await expectCode(s.finalize(draft('job-f', 1, [{ ...f, path: 'chk-1/missing.bin' }])), 'WEIR_CHECKPOINT_INCOMPLETE', /missing\.bin is missing/);
    assert.equal(fs.existsSync(path.join(s.checkpointDir(1), '_metadata')), false);
  });
});

describe('CheckpointStorage.findLatestValid', () => {
  test('skips missing, truncated, tampered and wrong-sha256 checkpoints, newest first, then undefined', async () => {
    const log = recordingLogger();
    const s = await storageWith('job-v', 5, log);
    // 5: _metadata missing
    fs.rmSync(path.join(s.checkpointDir(5), '_metadata'));
    // 4: truncated _metadata
    const md4 = path.join(s.checkpointDir(4), '_metadata');
    fs.writeFileSync(md4, fs.readFileSync(md4, 'utf8').slice(0, 200));
    // 3: referenced file has the right size but the wrong content
    const f3 = path.join(s.checkpointDir(3), 'map-0.bin');
    const bytes = fs.readFileSync(f3);
    bytes[0] ^= 0xff;
    fs.writeFileSync(f3, bytes);
    // 2: referenced file missing
    fs.rmSync(path.join(s.checkpointDir(2), 'map-0.bin'));
    const found = await s.findLatestValid();
    assert.equal(found!.metadata.checkpointId, 1);
    assert.deepEqual(found!.skipped.map((k) => path.basename(k.path)), ['chk-5', 'chk-4', 'chk-3', 'chk-2']);
    const reasons = found!.skipped.map((k) => k.reason);
    assert.match(reasons[0], /_metadata missing \(checkpoint incomplete\)/);
    assert.match(reasons[1], /not valid JSON.*truncated/);
    assert.match(reasons[2], /chk-3\/map-0\.bin fails its sha256 check/);
    assert.match(reasons[3], /chk-2\/map-0\.bin is missing/);
    assert.equal(log.warnings.length, 4);
    // Size-only verification does not hash: checkpoint 3 passes it.
    assert.equal((await s.findLatestValid({ verify: 'size' }))!.metadata.checkpointId, 3);
    // Nothing valid left → undefined.
    fs.rmSync(path.join(s.checkpointDir(1), 'map-0.bin'));
    assert.equal(await s.findLatestValid(), undefined);
    assert.equal(await new CheckpointStorage({ directory: tmp, jobId: 'no-such-job' }).findLatestValid(), undefined);
  });

  test('a _metadata whose content was edited fails its checksum; one copied from another checkpoint is skipped', async () => {
    const s = await storageWith('job-t', 3);
    const md3 = path.join(s.checkpointDir(3), '_metadata');
    fs.writeFileSync(md3, fs.readFileSync(md3, 'utf8').replace('"completionTimestamp": 305', '"completionTimestamp": 306'));
    fs.copyFileSync(path.join(s.checkpointDir(1), '_metadata'), path.join(s.checkpointDir(2), '_metadata'));
    const found = await s.findLatestValid();
    assert.equal(found!.metadata.checkpointId, 1);
    assert.match(found!.skipped[0].reason, /checksum mismatch/);
    assert.match(found!.skipped[1].reason, /describes checkpoint 1 of job job-t, not checkpoint 2/);
    await expectCode(CheckpointStorage.load(s.checkpointDir(3)), 'WEIR_CHECKPOINT_CORRUPT', /chk-3\/_metadata is corrupt: checksum mismatch/);
  });
});

describe('CheckpointStorage.load, savepoints, discard and listing', () => {
  test('load: not found and corrupt file reference name the path', async () => {
    await expectCode(CheckpointStorage.load(path.join(tmp, 'nowhere')), 'WEIR_CHECKPOINT_NOT_FOUND', /nowhere/);
    const s = await storageWith('job-l', 1);
    fs.appendFileSync(path.join(s.checkpointDir(1), 'map-0.bin'), 'x');
    await expectCode(CheckpointStorage.load(s.checkpointDir(1)), 'WEIR_CHECKPOINT_CORRUPT', /chk-1 is corrupt: .*has 9 bytes, expected 8/);
    assert.equal((await CheckpointStorage.load(s.checkpointDir(1), { verify: 'none' })).metadata.checkpointId, 1);
    await expectCode(CheckpointStorage.load(s.jobDir), 'WEIR_CHECKPOINT_INCOMPLETE', /no _metadata/);
  });

  test('load: a referenced file that is missing makes the checkpoint incomplete (WEIR_CHECKPOINT_INCOMPLETE, as the registry says), not corrupt', async () => {
    const s = await storageWith('job-m', 1);
    fs.rmSync(path.join(s.checkpointDir(1), 'map-0.bin'));
    await expectCode(CheckpointStorage.load(s.checkpointDir(1)), 'WEIR_CHECKPOINT_INCOMPLETE', /chk-1 is incomplete: referenced file chk-1\/map-0\.bin is missing/);
  });

  test('a savepoint is self-contained and relocatable', async () => {
    const s = new CheckpointStorage({ directory: tmp, jobId: 'job-s' });
    const spDir = CheckpointStorage.savepointPath(path.join(tmp, 'savepoints'), 'job-s');
    const f = writeFile(spDir, 'map-0/state.bin', 'savepoint state');
    const c = await s.finalize(draft('job-s', 9, [f], 'savepoint', spDir));
    assert.equal(c.directory, spDir);
    assert.equal(c.metadataPath, path.join(spDir, '_metadata'));
    const moved = path.join(tmp, 'moved-savepoint');
    fs.renameSync(spDir, moved);
    const loaded = await CheckpointStorage.load(moved);
    assert.equal(loaded.rootDir, moved);
    assert.equal(loaded.metadata.kind, 'savepoint');
    assert.equal(await sha256File(path.join(loaded.rootDir, loaded.metadata.files[0].path)), sha('savepoint state'));
    // An aborted savepoint's directory is removed by discardCheckpoint.
    const abortedDir = CheckpointStorage.savepointPath(path.join(tmp, 'savepoints'), 'job-s');
    writeFile(abortedDir, 'partial.bin', 'x');
    await s.discardCheckpoint(10, 'aborted', { kind: 'savepoint', files: [], directory: abortedDir });
    assert.equal(fs.existsSync(abortedDir), false);
  });

  test('discardCheckpoint deletes exclusive files and the shared files the registry releases', async () => {
    const s = new CheckpointStorage({ directory: tmp, jobId: 'job-d' });
    const refs = new Map<string, Set<number>>();
    const calls: string[] = [];
    const registry: SharedStateRegistry = {
      register(id, files) {
        calls.push(`register ${id} ${files.join(',')}`);
        for (const f of files) (refs.get(f) ?? refs.set(f, new Set()).get(f)!).add(id);
      },
      async release(id) {
        calls.push(`release ${id}`);
        const gone: string[] = [];
        for (const [f, ids] of refs) if (ids.delete(id) && ids.size === 0) gone.push(f);
        for (const f of gone) refs.delete(f);
        return gone;
      },
    };
    await s.initializeCheckpoint(1);
    const a = writeFile(s.jobDir, 'shared/a.sst', 'A', true);
    const b = writeFile(s.jobDir, 'shared/b.sst', 'B', true);
    const own1 = writeFile(s.jobDir, 'chk-1/meta.bin', 'm1');
    await s.finalize(draft('job-d', 1, [a, b, own1]), registry);
    await s.initializeCheckpoint(2);
    const c = writeFile(s.jobDir, 'shared/c.sst', 'C', true);
    const own2 = writeFile(s.jobDir, 'chk-2/meta.bin', 'm2');
    await s.finalize(draft('job-d', 2, [b, c, own2]), registry);
    // Retention drops checkpoint 1: a.sst only it referenced goes, b.sst stays.
    await s.discardCheckpoint(1, 'retention', { kind: 'checkpoint', files: [a, b, own1] }, registry);
    assert.equal(fs.existsSync(s.checkpointDir(1)), false);
    assert.deepEqual(fs.readdirSync(s.sharedDir).sort(), ['b.sst', 'c.sst']);
    // An aborted checkpoint 3 uploaded d.sst and referenced c.sst: only d.sst goes.
    const d = writeFile(s.jobDir, 'shared/d.sst', 'D', true);
    writeFile(s.jobDir, 'chk-3/partial.bin', 'p');
    await s.discardCheckpoint(3, 'aborted', { kind: 'checkpoint', files: [c, d] }, registry);
    assert.deepEqual(fs.readdirSync(s.sharedDir).sort(), ['b.sst', 'c.sst']);
    assert.equal(fs.existsSync(s.checkpointDir(3)), false);
    assert.deepEqual(calls, ['register 1 shared/a.sst,shared/b.sst', 'register 2 shared/b.sst,shared/c.sst', 'release 1', 'register 3 shared/c.sst,shared/d.sst', 'release 3']);
    // Discarding twice is harmless.
    await s.discard(1);
    assert.deepEqual((await s.list()).map((x) => x.id), [2]);
  });

  test('listJob lists jobs and their checkpoints with status', async () => {
    const root = path.join(tmp, 'listing');
    const s = new CheckpointStorage({ directory: root, jobId: 'alpha' });
    for (const id of [1, 2]) {
      await s.initializeCheckpoint(id);
      await s.finalize(draft('alpha', id, [writeFile(s.jobDir, `chk-${id}/x.bin`, 'xx')]));
    }
    await s.initializeCheckpoint(3);
    fs.mkdirSync(path.join(root, 'beta', 'chk-1'), { recursive: true });
    fs.writeFileSync(path.join(root, 'beta', 'chk-1', '_metadata'), 'garbage');
    fs.mkdirSync(path.join(root, 'not-a-job'), { recursive: true });
    const all = await CheckpointStorage.listJob(root);
    assert.deepEqual(all.map((j) => j.jobId), ['alpha', 'beta']);
    assert.deepEqual(all[0].checkpoints.map((c) => [c.id, c.status, c.bytes ?? null]), [[1, 'complete', 2], [2, 'complete', 2], [3, 'incomplete', null]]);
    assert.equal(all[0].checkpoints[1].completionTimestamp, 205);
    assert.equal(all[1].checkpoints[0].status, 'corrupt');
    assert.match(all[1].checkpoints[0].problem!, /not valid JSON/);
    assert.deepEqual((await CheckpointStorage.listJob(root, 'alpha')).map((j) => j.checkpoints.length), [3]);
    assert.deepEqual(await CheckpointStorage.listJob(path.join(tmp, 'nothing-here')), []);
  });
});
