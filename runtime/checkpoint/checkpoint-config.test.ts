import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { WeirError } from '../../common/weir-error.ts';
import { barrierAlignmentFor, resolveCheckpointConfig, type CheckpointConfigInput } from './checkpoint-config.ts';

function expectInvalid(input: unknown, field: string, messagePart: RegExp): void {
  assert.throws(
    () => resolveCheckpointConfig(input as CheckpointConfigInput),
    (e: unknown) => {
      assert.ok(e instanceof WeirError);
      assert.equal(e.code, 'WEIR_INVALID_CHECKPOINT_CONFIG');
      assert.equal(e.details.field, field);
      assert.match(e.message, new RegExp(`\\b${field}\\b`));
      assert.match(e.message, messagePart);
      return true;
    },
  );
}

describe('resolveCheckpointConfig', () => {
  test('defaults are Flink defaults', () => {
    assert.deepEqual({ ...resolveCheckpointConfig() }, {
      intervalMs: null, mode: 'exactly-once', unaligned: false, alignedCheckpointTimeoutMs: 0, timeoutMs: 600_000,
      minPauseMs: 0, maxConcurrent: 1, tolerableFailures: 0, retained: 1, retention: 'delete-on-cancel',
      directory: '.weir/checkpoints', incremental: false,
    });
  });

  test('keeps valid values', () => {
    const c = resolveCheckpointConfig({
      intervalMs: 10, unaligned: true, alignedCheckpointTimeoutMs: 250, timeoutMs: 1000, minPauseMs: 5,
      tolerableFailures: 3, retained: 4, retention: 'retain-on-cancel', directory: '/tmp/x', incremental: true,
    });
    assert.equal(c.intervalMs, 10);
    assert.equal(c.alignedCheckpointTimeoutMs, 250);
    assert.equal(c.retained, 4);
    assert.equal(c.retention, 'retain-on-cancel');
    assert.equal(Object.isFrozen(c), true);
    assert.equal(resolveCheckpointConfig({ intervalMs: null }).intervalMs, null);
  });

  test('rejects each invalid value, naming field, value and rule', () => {
    expectInvalid({ intervall: 100 }, 'intervall', /not a checkpoint option.*intervalMs/);
    expectInvalid({ intervalMs: 5 }, 'intervalMs', />= 10.*got 5/);
    expectInvalid({ intervalMs: '100' }, 'intervalMs', /got "100"/);
    expectInvalid({ intervalMs: Number.NaN }, 'intervalMs', /number/);
    expectInvalid({ mode: 'exactly_once' }, 'mode', /'exactly-once', 'at-least-once'.*got "exactly_once"/);
    expectInvalid({ unaligned: 'yes' }, 'unaligned', /boolean/);
    expectInvalid({ timeoutMs: 0 }, 'timeoutMs', />= 10, got 0/);
    expectInvalid({ minPauseMs: -1 }, 'minPauseMs', />= 0, got -1/);
    expectInvalid({ maxConcurrent: 0 }, 'maxConcurrent', /integer >= 1, got 0/);
    expectInvalid({ maxConcurrent: 1.5 }, 'maxConcurrent', /integer/);
    expectInvalid({ tolerableFailures: -2 }, 'tolerableFailures', /integer >= 0, got -2/);
    expectInvalid({ retained: 0 }, 'retained', /integer >= 1, got 0/);
    expectInvalid({ retention: 'never' }, 'retention', /'delete-on-cancel', 'retain-on-cancel'/);
    expectInvalid({ directory: '' }, 'directory', /non-empty string/);
    expectInvalid({ incremental: 1 }, 'incremental', /boolean/);
    expectInvalid({ unaligned: true, alignedCheckpointTimeoutMs: -5 }, 'alignedCheckpointTimeoutMs', />= 0/);
  });

  test('rejects incompatible combinations', () => {
    expectInvalid({ unaligned: true, mode: 'at-least-once' }, 'unaligned', /exactly-once/);
    expectInvalid({ unaligned: true, maxConcurrent: 2 }, 'maxConcurrent', /must be 1 with unaligned/);
    expectInvalid({ alignedCheckpointTimeoutMs: 100 }, 'alignedCheckpointTimeoutMs', /only allowed together with unaligned/);
    // The documented default, given explicitly, is no mistake (a crash review passed it and was refused).
    assert.equal(resolveCheckpointConfig({ unaligned: false, alignedCheckpointTimeoutMs: 0 }).alignedCheckpointTimeoutMs, 0);
    expectInvalid([], '(checkpoint config)', /must be an object/);
  });
});

describe('barrierAlignmentFor', () => {
  test('maps config × kind to an alignment; savepoints are always aligned', () => {
    const aligned = resolveCheckpointConfig({});
    const unaligned = resolveCheckpointConfig({ unaligned: true });
    const withTimeout = resolveCheckpointConfig({ unaligned: true, alignedCheckpointTimeoutMs: 30 });
    const atLeastOnce = resolveCheckpointConfig({ mode: 'at-least-once' });
    assert.equal(barrierAlignmentFor(aligned, 'checkpoint'), 'aligned');
    assert.equal(barrierAlignmentFor(unaligned, 'checkpoint'), 'unaligned');
    assert.equal(barrierAlignmentFor(withTimeout, 'checkpoint'), 'aligned-with-timeout');
    assert.equal(barrierAlignmentFor(atLeastOnce, 'checkpoint'), 'aligned');
    assert.equal(barrierAlignmentFor(unaligned, 'savepoint'), 'aligned');
    assert.equal(barrierAlignmentFor(withTimeout, 'savepoint'), 'aligned');
  });
});
