import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { WeirError } from '../common/weir-error.ts';
import { USAGE_ERROR, parseCommandArgs } from './cli-args.ts';
import { RUN_OPTION_SPEC, planRun } from './run-options.ts';

const plan = (...argv: string[]) => planRun(parseCommandArgs('run', argv, RUN_OPTION_SPEC));

function usage(argv: string[], message: string): void {
  assert.throws(() => plan(...argv), (e: unknown) => {
    assert.ok(e instanceof WeirError);
    assert.equal(e.code, USAGE_ERROR);
    assert.equal(e.message, message);
    return true;
  });
}

describe('weir run options', () => {
  test('no options: no checkpointing, nothing but the module', () => {
    assert.deepEqual(plan('job.ts'), { module: 'job.ts', jobName: undefined, execute: {}, savepointOnSignal: undefined, print: 10 });
  });

  test('every option maps to its execute() option', () => {
    const p = plan('job.ts', '--job', 'wc', '--job-id', 'wc-1', '--params', '{"file":"x"}', '--parallelism', '3', '--max-parallelism', '64', '--threads', '2',
      '--state', 'heap', '--state-dir', 's', '--buffer-bytes', '4096', '--buffer-debloat-ms', '300', '--buffer-timeout', '0', '--print', '0', '--checkpoint-dir', 'cp', '--checkpoint-interval', '500', '--checkpoint-mode', 'exactly-once',
      '--checkpoint-timeout', '2000', '--tolerable-failures', '0', '--unaligned', '--aligned-checkpoint-timeout', '100', '--min-pause', '50', '--incremental', '--retained', '3', '--retention', 'retain-on-cancel',
      '--restore', 'sp/savepoint-x', '--allow-non-restored-state', '--restart-strategy', '{"type":"fixed-delay","attempts":3,"delayMs":100}',
      '--stop-with-savepoint-on-signal', 'out');
    assert.deepEqual(p, {
      module: 'job.ts',
      jobName: 'wc',
      execute: {
        params: { file: 'x' }, parallelism: 3, maxParallelism: 64, threads: 2, bufferBytes: 4096, bufferDebloat: { targetMs: 300 }, batching: { bufferTimeoutMs: 0 }, stateBackend: 'heap', stateDirectory: 's', jobId: 'wc-1',
        restore: path.resolve('sp/savepoint-x'), allowNonRestoredState: true,
        checkpointing: { directory: 'cp', intervalMs: 500, mode: 'exactly-once', timeoutMs: 2000, tolerableFailures: 0, unaligned: true, alignedCheckpointTimeoutMs: 100, minPauseMs: 50, incremental: true, retained: 3, retention: 'retain-on-cancel' },
        restartStrategy: { type: 'fixed-delay', attempts: 3, delayMs: 100 },
      },
      savepointOnSignal: path.resolve('out'),
      print: 0,
    });
  });

  test('--restore latest and --stop-with-savepoint-on-signal enable checkpointing with defaults', () => {
    assert.deepEqual(plan('job.ts', '--restore', 'latest').execute, { restore: 'latest', checkpointing: {} });
    assert.deepEqual(plan('job.ts', '--stop-with-savepoint-on-signal', 'sp').execute, { checkpointing: {} });
    // A path restore does not: restoring a savepoint into a job without checkpoints is allowed.
    assert.deepEqual(plan('job.ts', '--restore', '/x/chk-3').execute, { restore: '/x/chk-3' });
  });

  test('--restart-strategy takes JSON or a type name', () => {
    assert.deepEqual(plan('job.ts', '--restart-strategy', 'none').execute.restartStrategy, { type: 'none' });
    assert.deepEqual(plan('job.ts', '--restart-strategy', 'exponential-delay').execute.restartStrategy, { type: 'exponential-delay' });
  });

  test('usage errors name the option, the value and the rule', () => {
    usage([], 'run needs a job module');
    usage(['a.ts', 'b.ts'], `run: unexpected argument 'b.ts' (job parameters go into --params JSON)`);
    usage(['job.ts', '--parallelism', '0'], `--parallelism must be a positive integer, got '0'`);
    usage(['job.ts', '--parallelism', '2.5'], `--parallelism must be a positive integer, got '2.5'`);
    usage(['job.ts', '--parallelism', '0x2'], `--parallelism must be a positive integer, got '0x2'`);
    usage(['job.ts', '--checkpoint-interval', '1e3'], `--checkpoint-interval must be a positive integer, got '1e3'`);
    usage(['job.ts', '--parallelism', ' 2'], `--parallelism must be a positive integer, got ' 2'`);
    usage(['job.ts', '--print=-1'], `--print must be an integer >= 0, got '-1'`);
    usage(['job.ts', '--tolerable-failures', 'x'], `--tolerable-failures must be an integer >= 0, got 'x'`);
    usage(['job.ts', '--buffer-bytes', '512'], `--buffer-bytes must be at least 1024, got '512'`);
    usage(['job.ts', '--buffer-debloat-ms', '0'], `--buffer-debloat-ms must be a positive integer, got '0'`);
    usage(['job.ts', '--state', 'rocksdb'], `--state must be lmdb or heap, got 'rocksdb'`);
    usage(['job.ts', '--job-id', 'a/b'], `--job-id may only contain letters, digits, '.', '_' and '-', got 'a/b'`);
    usage(['job.ts', '--params', '{nope'], `--params is not valid JSON: Expected property name or '}' in JSON at position 1`);
    usage(['job.ts', '--restore', ''], `--restore needs 'latest' or a checkpoint/savepoint path`);
    usage(['job.ts', '--allow-non-restored-state'], '--allow-non-restored-state only makes sense with --restore');
    usage(['job.ts', '--checkpoint-interval', '5'], 'checkpoint options: Invalid checkpoint config: intervalMs must be a number >= 10 (or null to disable periodic checkpoints), got 5');
    usage(['job.ts', '--retention', 'forever'], `checkpoint options: Invalid checkpoint config: retention must be one of 'delete-on-cancel', 'retain-on-cancel', got "forever"`);
    usage(['job.ts', '--aligned-checkpoint-timeout', '100'],
      'checkpoint options: Invalid checkpoint config: alignedCheckpointTimeoutMs is only allowed together with unaligned: true, got 100');
    usage(['job.ts', '--checkpoint-mode', 'at-least-once', '--unaligned'],
      `checkpoint options: Invalid checkpoint config: unaligned requires mode 'exactly-once' (unaligned checkpoints are exactly-once only; mode is 'at-least-once'), got true`);
    usage(['job.ts', '--restart-strategy', '{"type":"fixed-delay","attempts":3}'],
      '--restart-strategy: Invalid restart strategy: fixed-delay.delayMs is required and must be a number >= 0, got undefined');
    usage(['job.ts', '--restart-strategy', 'sometimes'],
      `--restart-strategy: Invalid restart strategy: type must be one of 'none', 'fixed-delay', 'exponential-delay', 'failure-rate', got "sometimes"`);
    usage(['job.ts', '--restart-strategy', 'fixed-delay'], '--restart-strategy: Invalid restart strategy: fixed-delay.attempts is required and must be an integer >= 0, got undefined');
  });

  test('parse errors: unknown options, repeated options, missing values, values given to switches', () => {
    const parse = (argv: string[], message: string) => assert.throws(() => parseCommandArgs('run', argv, RUN_OPTION_SPEC), (e: unknown) => {
      assert.ok(e instanceof WeirError);
      assert.equal(e.code, USAGE_ERROR);
      assert.equal(e.message, message);
      return true;
    });
    parse(['job.ts', '--bogus'], `run: Unknown option '--bogus'`);
    parse(['job.ts', '--parallelism'], `run: Option '--parallelism <value>' argument missing`);
    parse(['job.ts', '--unaligned=yes'], `run: Option '--unaligned' does not take an argument`);
    parse(['job.ts', '--parallelism', '2', '--state', 'heap', '--parallelism=4'], 'run: --parallelism given more than once');
    parse(['job.ts', '--unaligned', '--unaligned'], 'run: --unaligned given more than once');
    assert.deepEqual(parseCommandArgs('run', ['job.ts', '--parallelism=4', '--unaligned'], RUN_OPTION_SPEC),
      { positionals: ['job.ts'], values: { parallelism: '4', unaligned: true } });
  });
});

describe('weir run: the HTTP endpoint options', () => {
  test('--rest-port (0 = any), --rest-host, --rest-token or WEIR_REST_TOKEN map to execute({ rest })', () => {
    assert.deepEqual(plan('job.ts', '--rest-port', '0').execute, { rest: { port: 0 } });
    assert.deepEqual(plan('job.ts', '--rest-port', '8081', '--rest-host', '0.0.0.0', '--rest-token', 'secret-token').execute, { rest: { port: 8081, host: '0.0.0.0', token: 'secret-token' } });
    const withEnv = planRun(parseCommandArgs('run', ['job.ts', '--rest-port', '8081'], RUN_OPTION_SPEC), { WEIR_REST_TOKEN: 'from-the-env' });
    assert.deepEqual(withEnv.execute, { rest: { port: 8081, token: 'from-the-env' } });
    usage(['job.ts', '--rest-host', '0.0.0.0'], '--rest-host and --rest-token need --rest-port');
    usage(['job.ts', '--rest-port', 'x'], "--rest-port must be an integer >= 0, got 'x'");
  });
});
