import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { WeirError } from '../../common/weir-error.ts';
import { CheckpointStatsTracker } from './checkpoint-stats.ts';
import {
  canonicalJson, computeMetadataChecksum, isSafeRelativePath, METADATA_FORMAT_VERSION, parseMetadata, sealMetadata, serializeMetadata,
  type CheckpointMetadataBody,
} from './checkpoint-metadata.ts';

function body(over: Partial<CheckpointMetadataBody> = {}): CheckpointMetadataBody {
  const stats = new CheckpointStatsTracker();
  stats.reportPending({ checkpointId: 3, kind: 'checkpoint', trigger: 'periodic', triggerTimestamp: 100, totalSubtasks: 1 });
  return {
    formatVersion: METADATA_FORMAT_VERSION, jobId: 'job-a', checkpointId: 3, kind: 'checkpoint', trigger: 'periodic', alignment: 'aligned',
    triggerTimestamp: 100, completionTimestamp: 150,
    vertices: [{ vertexId: 'map', parallelism: 1, maxParallelism: 128 }],
    subtasks: [{ vertexId: 'map', subtask: 0, finished: false, stateHandles: { keyed: ['chk-3/map-0.mdb'], n: 1.5 }, channelStateHandles: null }],
    files: [{ path: 'chk-3/map-0.mdb', bytes: 12, sha256: 'ab'.repeat(32), shared: false, subtask: 'map#0' }],
    stats: stats.completedView(3, 150)!,
    ...over,
  };
}

function expectCorrupt(text: string, problem: RegExp): void {
  assert.throws(() => parseMetadata(text, '/x/chk-3/_metadata'), (e: unknown) => {
    assert.ok(e instanceof WeirError);
    assert.equal(e.code, 'WEIR_CHECKPOINT_CORRUPT');
    assert.match(e.message, /\/x\/chk-3\/_metadata/);
    assert.match(String(e.details.problem), problem);
    return true;
  });
}

describe('checkpoint metadata', () => {
  test('round trip: serialize → parse gives the same body plus a checksum', () => {
    const b = body();
    const text = serializeMetadata(b);
    const m = parseMetadata(text, 'mem');
    const { checksum, ...rest } = m;
    assert.deepEqual(rest, b);
    assert.match(checksum, /^sha256:[0-9a-f]{64}$/);
    assert.equal(checksum, computeMetadataChecksum(b));
  });

  test('the checksum ignores formatting and key order but catches any content change', () => {
    const text = serializeMetadata(body());
    const reformatted = JSON.stringify(JSON.parse(text)); // no indentation
    assert.equal(parseMetadata(reformatted, 'mem').checkpointId, 3);
    assert.equal(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: 'x' } }), '{"a":{"c":"x","d":[1,{"y":2,"z":1}]},"b":1}');
    const tampered = text.replace('"completionTimestamp": 150', '"completionTimestamp": 151');
    assert.notEqual(tampered, text);
    expectCorrupt(tampered, /checksum mismatch/);
  });

  test('truncated, non-object, unversioned and future-version metadata are corrupt', () => {
    const text = serializeMetadata(body());
    expectCorrupt(text.slice(0, text.length / 2), /not valid JSON.*truncated/);
    expectCorrupt('[1,2]', /not a JSON object/);
    expectCorrupt(JSON.stringify({ ...JSON.parse(text), formatVersion: 3 }), /unsupported formatVersion 3/);
    const { checksum: _c, ...noChecksum } = JSON.parse(text) as Record<string, unknown>;
    expectCorrupt(JSON.stringify(noChecksum), /missing checksum/);
  });

  test('a well-checksummed but malformed body is corrupt', () => {
    const bad = { ...body(), files: [{ path: '../outside', bytes: 1, sha256: 'ab'.repeat(32), shared: false, subtask: 'map#0' }] };
    const text = JSON.stringify({ ...bad, checksum: computeMetadataChecksum(bad as CheckpointMetadataBody) });
    expectCorrupt(text, /escapes the checkpoint root/);
  });

  test('sealMetadata refuses invalid bodies with WEIR_INVALID_CHECKPOINT_METADATA', () => {
    const cases: Array<[Partial<CheckpointMetadataBody>, RegExp]> = [
      [{ jobId: '' }, /jobId/],
      [{ checkpointId: -1 }, /checkpointId/],
      [{ subtasks: [{ vertexId: 'nope', subtask: 0, finished: false, stateHandles: null, channelStateHandles: null }] }, /belongs to no listed vertex/],
      [{ files: [{ path: 'chk-3/a', bytes: 1, sha256: 'xyz', shared: false, subtask: 'map#0' }] }, /malformed file entry/],
      [{ kind: 'savepoint', files: [{ path: 'shared/a', bytes: 1, sha256: 'ab'.repeat(32), shared: true, subtask: 'map#0' }] }, /self-contained/],
      [{ vertices: [{ vertexId: 'map', parallelism: 4, maxParallelism: 2 }] }, /malformed vertex/],
    ];
    for (const [over, problem] of cases) {
      assert.throws(() => sealMetadata(body(over)), (e: unknown) => {
        assert.ok(e instanceof WeirError);
        assert.equal(e.code, 'WEIR_INVALID_CHECKPOINT_METADATA');
        assert.match(e.message, problem);
        return true;
      });
    }
  });

  test('isSafeRelativePath', () => {
    assert.equal(isSafeRelativePath('chk-1/a.bin'), true);
    assert.equal(isSafeRelativePath('shared/x/y'), true);
    for (const p of ['', '/abs', '../x', 'a/../b', 'a//b', './a', 'a\\b']) assert.equal(isSafeRelativePath(p), false, p);
  });
});
