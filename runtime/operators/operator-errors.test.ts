import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TaskInfo } from '../api/functions.ts';
import { WeirError } from '../../common/weir-error.ts';
import { callUser, lifecycle } from './operator.ts';

const info: TaskInfo = { operatorName: 'Counter', uid: 'counter', subtask: 0, parallelism: 2, maxParallelism: 128, attempt: 0 };

test('a user function error names the operator, the subtask and the record; open()/close() name no record', () => {
  assert.throws(() => callUser(info, 'map', { id: 7 }, () => { throw new Error('boom'); }), (e: WeirError) => {
    assert.equal(e.code, 'WEIR_USER_FUNCTION_FAILED');
    assert.equal(e.message, "map of operator 'Counter' (uid counter, subtask 1/2) threw on record {\"id\":7}: boom");
    assert.equal(e.details.record, '{"id":7}');
    return true;
  });
  assert.throws(() => lifecycle(info, 'open()', () => { throw new Error('no connection'); }), (e: WeirError) => {
    assert.equal(e.message, "open() of operator 'Counter' (uid counter, subtask 1/2) threw: no connection");
    assert.equal('record' in e.details, false);
    return true;
  });
  assert.throws(() => lifecycle(info, 'open()', () => { throw new WeirError('WEIR_STATE_DESCRIPTOR_CONFLICT', 'state x is a value state'); }), (e: WeirError) => {
    assert.equal(e.code, 'WEIR_STATE_DESCRIPTOR_CONFLICT');
    assert.equal(e.message, "open() of operator 'Counter' (uid counter, subtask 1/2) failed: state x is a value state");
    return true;
  });
});
