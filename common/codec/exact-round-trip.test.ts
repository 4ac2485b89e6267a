/**
 * Everything Weir writes into `_metadata` or a state file reads back identical (issue #11, defect 1:
 * a source split's `end: Infinity` came back as `null` and the unbounded source stopped).
 * Property tests over arbitrary split and operator state, through the real writers and readers.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { fromExactJson, toExactJson } from './exact-json.ts';
import { WeirError } from '../weir-error.ts';
import { packValue, unpackValue } from '../../state/value-codec.ts';
import { CheckpointStatsTracker } from '../../runtime/checkpoint/checkpoint-stats.ts';
import { METADATA_FORMAT_VERSION, parseMetadata, sealMetadata, type CheckpointMetadataBody } from '../../runtime/checkpoint/checkpoint-metadata.ts';
import { SnapshotFileReader, SnapshotFileWriter } from '../../state/snapshot/snapshot-file.ts';

/**
 * Data values of every kind the issue names, nested. Invalid dates are checked on their own below:
 * node's deepStrictEqual calls two invalid dates different (it compares getTime() with !==).
 */
const special = fc.constantFrom<unknown>(Infinity, -Infinity, NaN, -0, 0, undefined, null, new Date(0), '$weir', '__proto__');
const leaf = fc.oneof(
  special,
  fc.double(), fc.integer(), fc.bigInt(), fc.string(), fc.boolean(),
  fc.date({ noInvalidDate: true }),
  fc.uint8Array({ maxLength: 8 }),
  fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.from(b)),
  fc.float64Array({ maxLength: 3 }),
  fc.int32Array({ maxLength: 3 }).map((a) => a.buffer),
);
const { value } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('array'), tie('object'), tie('map'), tie('set')),
  array: fc.array(tie('value'), { maxLength: 4 }),
  object: fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('$weir', '__proto__', 'v')), tie('value'), { maxKeys: 4 }),
  map: fc.array(fc.tuple(tie('value'), tie('value')), { maxLength: 3 }).map((es) => new Map(es)),
  set: fc.array(tie('value'), { maxLength: 3 }).map((xs) => new Set(xs)),
}));

/** A source split as the sequence/generator sources keep it, with an unbounded end among the cases. */
const split = fc.record({ next: fc.integer(), end: fc.oneof(fc.constant(Infinity), fc.integer()), seed: fc.option(fc.bigInt()) });

function metadataWith(operator: Record<string, unknown>): CheckpointMetadataBody {
  const stats = new CheckpointStatsTracker();
  stats.reportPending({ checkpointId: 7, kind: 'checkpoint', trigger: 'periodic', triggerTimestamp: 100, totalSubtasks: 1 });
  return {
    formatVersion: METADATA_FORMAT_VERSION, jobId: 'job-x', checkpointId: 7, kind: 'checkpoint', trigger: 'periodic', alignment: 'unaligned',
    triggerTimestamp: 100, completionTimestamp: 150,
    vertices: [{ vertexId: 'src', parallelism: 1, maxParallelism: 128 }],
    subtasks: [{ vertexId: 'src', subtask: 0, finished: false, stateHandles: { operator }, channelStateHandles: null }],
    files: [],
    stats: stats.completedView(7, 150)!,
  };
}

const runs = { numRuns: 300 };

describe('exact round trip of checkpointed values', () => {
  test('exact JSON: encode → JSON text → decode is the identity', () => {
    fc.assert(fc.property(value, (v) => {
      assert.deepStrictEqual(fromExactJson(JSON.parse(JSON.stringify(toExactJson(v)))), v);
    }), runs);
  });

  test('_metadata: split and operator state read back identical, from the file and in memory', () => {
    fc.assert(fc.property(fc.array(split, { maxLength: 4 }), value, (splits, other) => {
      const operator = { src: { splits }, sink: other };
      const { metadata, text } = sealMetadata(metadataWith(operator));
      const fromFile = parseMetadata(text, '_metadata');
      assert.deepStrictEqual(fromFile.subtasks[0]!.stateHandles, { operator });
      assert.deepStrictEqual(metadata.subtasks[0]!.stateHandles, { operator });
      assert.equal(fromFile.checksum, metadata.checksum);
    }), runs);
  });

  test('the unbounded split of the reported bug survives', () => {
    const { text } = sealMetadata(metadataWith({ gen: { splits: [{ next: 42, end: Infinity }] } }));
    const back = parseMetadata(text, '_metadata').subtasks[0]!.stateHandles as { operator: { gen: { splits: Array<{ end: number }> } } };
    assert.equal(back.operator.gen.splits[0]!.end, Infinity);
  });

  test('keyed state values (heap and LMDB share the value codec) read back identical', () => {
    fc.assert(fc.property(value, (v) => {
      assert.deepStrictEqual(unpackValue(Buffer.from(packValue(v))), v);
    }), runs);
  });

  test('snapshot file footers round-trip (a state TTL of Infinity stays Infinity)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-footer-'));
    try {
      const file = path.join(dir, 'f.snap');
      const w = await SnapshotFileWriter.create(file);
      const states = [{ sid: 0, name: 's', kind: 'value' as const, ttlMs: Infinity }];
      await w.finish({ kind: 'full', backend: 'heap', checkpointId: 1, maxParallelism: 128, keyGroupRange: { start: 0, end: 127 }, states: states as never });
      const r = await SnapshotFileReader.open(file);
      try {
        assert.deepStrictEqual(r.footer.states, states);
      } finally {
        await r.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('invalid dates stay invalid dates', () => {
    const { text } = sealMetadata(metadataWith({ d: new Date(NaN) }));
    const back = (parseMetadata(text, '_metadata').subtasks[0]!.stateHandles as { operator: { d: Date } }).operator.d;
    assert.ok(back instanceof Date && Number.isNaN(back.getTime()));
    const v = unpackValue(Buffer.from(packValue([new Date(NaN)]))) as Date[];
    assert.ok(v[0] instanceof Date && Number.isNaN(v[0].getTime()));
  });

  test('functions, symbols and cycles are refused with the path that holds them', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    for (const [v, where] of [[{ a: { f: () => 1 } }, 'x.a.f'], [{ s: Symbol('s') }, 'x.s'], [cyclic, 'x.self']] as const) {
      assert.throws(() => toExactJson(v, 'x'), (e: unknown) => e instanceof WeirError && e.code === 'WEIR_NOT_SERIALIZABLE' && e.message.startsWith(where));
    }
  });

  test('strict (source splits): class instances that would come back as plain objects are refused; data types pass', () => {
    class Cursor { constructor(readonly at = 1) {} }
    for (const [v, where, what] of [[{ re: /ab+c/g }, 'x.re', 'RegExp'], [{ e: new Error('x') }, 'x.e', 'Error'], [[new Cursor()], 'x[0]', 'Cursor']] as const) {
      assert.equal(Object.getPrototypeOf(fromExactJson(JSON.parse(JSON.stringify(toExactJson(v, 'x')))) as object), Array.isArray(v) ? Array.prototype : Object.prototype, 'lenient: written as plain data');
      assert.throws(() => toExactJson(v, 'x', { strict: true }), (e: unknown) => e instanceof WeirError && e.code === 'WEIR_NOT_SERIALIZABLE' && e.message.startsWith(`${where} cannot be written to a checkpoint: a ${what} is not plain data`));
    }
    const data = { d: new Date(5), m: new Map([[1, 2]]), s: new Set([3]), b: 10n, u: undefined, n: NaN, bytes: new Uint8Array([1]), nested: [{ k: -0 }], bare: Object.create(null) as object };
    assert.deepEqual(fromExactJson(JSON.parse(JSON.stringify(toExactJson(data, 'x', { strict: true })))), data);
  });
});
