/**
 * Restoring a job from a retained unaligned checkpoint taken under
 * backpressure: the persisted in-flight data matters (restored normally the
 * counts are exact; with the channel state dropped from the checkpoint,
 * exactly the in-flight records are lost), and restore failures are clear
 * errors (corrupt checkpoint, nothing to restore, unmatched uid, changed max
 * parallelism), while a new stateful operator starts empty.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WeirError } from '../index.ts';
import { CheckpointStorage } from '../runtime/checkpoint/checkpoint-storage.ts';
import { serializeMetadata, type CheckpointMetadataBody, type CompletedCheckpoint } from '../runtime/checkpoint/checkpoint-metadata.ts';
import { inFlightRecords } from './support/checkpoint-reader.ts';
import type { Counted, Rec } from './support/checkpoint-jobs.ts';
import {
  assertContinues, finalCounts, recoveryCountJob, totalOfKey, unalignedWithInFlight, whenRunning,
  type Expectation, type RecoveryJobParams, type Recounted,
} from './support/recovery-jobs.ts';

const N = 20_000;
const KEYS = 10;
const P = 2;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-recovery-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

let checkpoint: CompletedCheckpoint;
let expectation: Expectation;

/** A restored run of the counting job (no spinning, no checkpointing): its output. */
async function restoreRun(restore: string, extra: { params?: Partial<RecoveryJobParams>; allowNonRestoredState?: boolean; maxParallelism?: number } = {}): Promise<Counted[]> {
  const result = await recoveryCountJob.execute({
    params: { n: N, keys: KEYS, spinMicros: 0, ...extra.params },
    parallelism: P,
    stateBackend: 'lmdb',
    stateDirectory: path.join(root, 'state'),
    bufferBytes: 1024,
    restore,
    ...(extra.allowNonRestoredState ? { allowNonRestoredState: true } : {}),
    ...(extra.maxParallelism ? { maxParallelism: extra.maxParallelism } : {}),
  }).done;
  assert.equal(result.status, 'finished');
  assert.equal(result.restoredFrom?.path, path.resolve(restore));
  return result.collected.out as Counted[];
}

/** Copy the checkpoint's job dir elsewhere; returns the copy's chk-n path. */
function copyCheckpoint(name: string): string {
  const jobDir = path.dirname(checkpoint.directory);
  const copy = path.join(root, name, path.basename(jobDir));
  fs.cpSync(jobDir, copy, { recursive: true });
  return path.join(copy, path.basename(checkpoint.directory));
}

before(async () => {
  const client = recoveryCountJob.execute({
    params: { n: N, keys: KEYS, spinMicros: 100 },
    parallelism: P,
    stateBackend: 'lmdb',
    stateDirectory: path.join(root, 'state'),
    bufferBytes: 1024,
    checkpointing: { directory: path.join(root, 'checkpoints'), unaligned: true, retention: 'retain-on-cancel', retained: 10 },
  });
  try {
    await whenRunning(client);
    ({ checkpoint, expectation } = await unalignedWithInFlight(client, KEYS));
  } finally {
    await client.cancel();
  }
  assert.equal((await client.done).status, 'cancelled');
  assert.ok(fs.existsSync(path.join(checkpoint.directory, '_metadata')), 'the checkpoint is retained on cancel');
});

describe('in-flight data of an unaligned checkpoint matters', () => {
  test('the checkpoint was taken mid-run with records in flight', () => {
    assert.equal(checkpoint.metadata.alignment, 'unaligned');
    assert.ok(expectation.inFlight.length > 0);
    assert.ok(expectation.rest.length > expectation.inFlight.length && expectation.rest.length < N, `mid-run: ${expectation.rest.length} of ${N} records still to process`);
    const subtasksWithChannelState = checkpoint.metadata.subtasks.filter((s) => s.channelStateHandles !== null);
    assert.ok(subtasksWithChannelState.length > 0);
  });

  test('restored normally: every record counted exactly once', async () => {
    const out = await restoreRun(checkpoint.directory);
    assertContinues(out, expectation, N, KEYS, 'normal restore');
    assert.deepEqual(finalCounts(out, KEYS), Array.from({ length: KEYS }, (_, k) => totalOfKey(N, KEYS, k)));
  });

  test('restored with the channel state dropped: exactly the in-flight records are lost', async () => {
    const chk = copyCheckpoint('no-channel-state');
    const body = JSON.parse(fs.readFileSync(path.join(chk, '_metadata'), 'utf8')) as CheckpointMetadataBody & { checksum?: string };
    delete body.checksum;
    body.subtasks = body.subtasks.map((s) => ({ ...s, channelStateHandles: null }));
    fs.writeFileSync(path.join(chk, '_metadata'), serializeMetadata(body));
    const out = await restoreRun(chk);
    const inFlight = new Set(expectation.inFlight.map((r) => r.i));
    const lost: Expectation = { counted: expectation.counted, rest: expectation.rest.filter((i) => !inFlight.has(i)), inFlight: [] };
    assert.deepEqual(out.map((c) => c.i).sort((a, b) => a - b), lost.rest, 'only the records the sources had not emitted yet');
    const perKeyInFlight = new Array<number>(KEYS).fill(0);
    for (const r of expectation.inFlight) perKeyInFlight[r.k]!++;
    const finals = finalCounts(out, KEYS);
    for (let k = 0; k < KEYS; k++) {
      // A key with no output keeps its checkpointed count.
      const final = finals[k]! === 0 ? expectation.counted[k]! : finals[k]!;
      assert.equal(final, totalOfKey(N, KEYS, k) - perKeyInFlight[k]!, `key ${k}: the total minus its ${perKeyInFlight[k]} in-flight records`);
    }
    assert.ok(out.length < N - expectation.counted.reduce((a, b) => a + b, 0), 'the result is smaller');
  });
});

describe('restore errors are clear', () => {
  test('a corrupt state file: WEIR_CHECKPOINT_CORRUPT naming the file', async () => {
    const chk = copyCheckpoint('corrupt');
    const file = checkpoint.metadata.files.find((f) => !f.shared && f.bytes > 16 && f.path.includes('/') && !/channel/.test(f.path)) ?? checkpoint.metadata.files.find((f) => f.bytes > 16)!;
    const abs = path.join(path.dirname(chk), ...file.path.split('/'));
    const bytes = fs.readFileSync(abs);
    bytes[8] = bytes[8]! ^ 0xff;
    fs.writeFileSync(abs, bytes);
    await assert.rejects(restoreRun(chk), (e: WeirError) => {
      assert.equal(e.code, 'WEIR_CHECKPOINT_CORRUPT');
      assert.ok(e.message.includes(file.path), e.message);
      assert.ok(e.message.includes('sha256'), e.message);
      return true;
    });
  });

  test("restore: 'latest' with no checkpoint: WEIR_RESTORE_NOTHING", async () => {
    const empty = path.join(root, 'empty-checkpoints');
    fs.mkdirSync(empty);
    await assert.rejects(recoveryCountJob.execute({
      params: { n: 10, keys: KEYS, spinMicros: 0 }, parallelism: 1, stateBackend: 'heap', stateDirectory: path.join(root, 'state'),
      checkpointing: { directory: empty }, restore: 'latest',
    }).done, (e: WeirError) => {
      assert.equal(e.code, 'WEIR_RESTORE_NOTHING');
      assert.ok(e.message.includes(empty), e.message);
      return true;
    });
  });

  test('state for a uid no operator has: WEIR_RESTORE_UNMATCHED_STATE; allowNonRestoredState runs with the new operator empty', async () => {
    await assert.rejects(restoreRun(checkpoint.directory, { params: { counterUid: 'counter-v2' } }), (e: WeirError) => {
      assert.equal(e.code, 'WEIR_RESTORE_UNMATCHED_STATE');
      assert.deepEqual(e.details.uids, ['counter']);
      assert.ok(e.message.includes('counter'), e.message);
      return true;
    });
    const out = await restoreRun(checkpoint.directory, { params: { counterUid: 'counter-v2' }, allowNonRestoredState: true });
    // The old counter's state and its input channel state are dropped; the sources' unsent output is not.
    const producerOnly = (await inFlightRecords(checkpoint, { consumers: [], producers: ['numbers'] })).records as Rec[];
    const consumerOnly = new Set(((await inFlightRecords(checkpoint, { consumers: ['counter'], producers: [] })).records as Rec[]).map((r) => r.i));
    const rest = expectation.rest.filter((i) => !consumerOnly.has(i));
    assert.equal(rest.length, expectation.rest.length - consumerOnly.size);
    assert.ok(producerOnly.every((r) => rest.includes(r.i)));
    assert.deepEqual(out.map((c) => c.i).sort((a, b) => a - b), rest, 'remaining + the sources\' unsent output, each once');
    for (let k = 0; k < KEYS; k++) {
      const ns = out.filter((c) => c.k === k).map((c) => c.n).sort((a, b) => a - b);
      assert.deepEqual(ns, Array.from({ length: rest.filter((i) => i % KEYS === k).length }, (_, j) => j + 1), `key ${k}: the new counter starts from 1`);
    }
  });

  test('a new stateful operator starts empty while the others restore', async () => {
    const out = (await restoreRun(checkpoint.directory, { params: { recount: true } })) as Recounted[];
    assertContinues(out, expectation, N, KEYS, 'restored counter');
    for (let k = 0; k < KEYS; k++) {
      const ms = out.filter((c) => c.k === k).map((c) => c.m).sort((a, b) => a - b);
      assert.deepEqual(ms, Array.from({ length: ms.length }, (_, j) => j + 1), `key ${k}: the new operator counts from 1`);
      assert.equal(ms.length, totalOfKey(N, KEYS, k) - expectation.counted[k]!);
    }
  });

  test("a changed chain with in-flight data: WEIR_RESTORE_INCOMPATIBLE, allowNonRestoredState or not (its records had nowhere exact to go: they were dropped or skipped the new operator)", async () => {
    for (const allowNonRestoredState of [false, true]) {
      await assert.rejects(restoreRun(checkpoint.directory, { params: { extraMap: true }, allowNonRestoredState }), (e: WeirError) => {
        assert.equal(e.code, 'WEIR_RESTORE_INCOMPATIBLE');
        assert.deepEqual(e.details.uids, ['numbers']);
        assert.match(e.message, /unaligned checkpoint holding in-flight records of 'numbers' \(operators numbers → map-1\).*savepoint/);
        return true;
      });
    }
  });

  test('changed max parallelism: WEIR_RESTORE_INCOMPATIBLE', async () => {
    await assert.rejects(restoreRun(checkpoint.directory, { maxParallelism: 64 }), (e: WeirError) => {
      assert.equal(e.code, 'WEIR_RESTORE_INCOMPATIBLE');
      assert.match(e.message, /max parallelism 128, the job now has 64/);
      return true;
    });
  });

  test('a restore path that does not exist: WEIR_CHECKPOINT_NOT_FOUND', async () => {
    const missing = path.join(root, 'nope', 'chk-1');
    await assert.rejects(restoreRun(missing), { code: 'WEIR_CHECKPOINT_NOT_FOUND' });
    assert.ok(await CheckpointStorage.load(checkpoint.directory));
  });
});
