import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SharedStateRegistry } from './index.ts';

describe('SharedStateRegistry', () => {
  test('a file is deleted only when no retained checkpoint references it', async () => {
    const deleted: string[] = [];
    const reg = new SharedStateRegistry((f) => {
      deleted.push(f);
    });
    reg.register(1, ['base', 'd1']);
    reg.register(2, ['base', 'd1', 'd2']);
    reg.register(2, ['d2']); // idempotent per checkpoint
    reg.register(3, ['base2']);
    assert.equal(reg.referenceCount('base'), 2);
    assert.equal(reg.referenceCount('d2'), 1);
    assert.deepEqual(await reg.release(1), []);
    assert.equal(reg.referenceCount('base'), 1);
    assert.deepEqual((await reg.release(2)).sort(), ['base', 'd1', 'd2']);
    assert.deepEqual(deleted.sort(), ['base', 'd1', 'd2']);
    assert.equal(reg.referenceCount('base'), 0);
    assert.deepEqual(await reg.release(2), []);
    assert.deepEqual(reg.retainedCheckpoints(), [3]);
  });

  test('a failing delete is reported after every other file was handled', async () => {
    const deleted: string[] = [];
    const reg = new SharedStateRegistry(async (f) => {
      if (f === 'bad') throw new Error('EACCES');
      deleted.push(f);
    });
    reg.register(1, ['bad', 'good']);
    await assert.rejects(reg.release(1), (err: Error & { code?: string; details?: { failures: unknown[] } }) => {
      assert.equal(err.code, 'WEIR_STATE_DELETE_FAILED');
      assert.deepEqual(err.details?.failures, [{ file: 'bad', error: 'EACCES' }]);
      return true;
    });
    assert.deepEqual(deleted, ['good']);
    assert.equal(reg.referenceCount('bad'), 0);
  });
});
