import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { withWorkerAcceptedArgv, withoutRefusedOptions } from './worker-accepted-argv.ts';

/** Node's own refusal for `execArgv`, or undefined if a Worker accepts it (that worker is stopped at once). */
function refusal(execArgv: string[]): unknown {
  try {
    void new Worker('', { eval: true, execArgv }).terminate();
    return undefined;
  } catch (error) {
    return error;
  }
}

describe('withoutRefusedOptions (on the error Node really throws)', () => {
  test('V8 options are named by Node and left out; worker-accepted options keep their order', () => {
    const argv = ['--enable-source-maps', '--max-old-space-size=4096', '--conditions=custom', '--expose-gc', '--trace-warnings'];
    const error = refusal(argv);
    assert.equal((error as { code?: string }).code, 'ERR_WORKER_INVALID_EXEC_ARGV');
    assert.deepEqual(withoutRefusedOptions(argv, error), ['--enable-source-maps', '--conditions=custom', '--trace-warnings']);
  });

  test('a refused flag given with its value as the next argument loses the value too', () => {
    const argv = ['--max-semi-space-size', '16', '--enable-source-maps'];
    assert.deepEqual(withoutRefusedOptions(argv, refusal(argv)), ['--enable-source-maps']);
  });

  test('another error, or a refusal naming nothing in execArgv, is not handled', () => {
    assert.equal(withoutRefusedOptions(['--expose-gc'], new Error('boom')), undefined);
    assert.equal(withoutRefusedOptions(['--enable-source-maps'], refusal(['--expose-gc'])), undefined);
  });
});

describe('withWorkerAcceptedArgv', () => {
  test('a real Worker starts with the accepted options and reports them as its execArgv', async () => {
    const dropped: string[][] = [];
    const argv = ['--expose-gc', '--enable-source-maps', '--max-old-space-size=512'];
    const worker = withWorkerAcceptedArgv(argv, (execArgv) => new Worker('require("node:worker_threads").parentPort.postMessage(process.execArgv)', { eval: true, execArgv }), (d) => dropped.push(d));
    const seen = await new Promise((resolve, reject) => worker.once('message', resolve).once('error', reject));
    await worker.terminate();
    assert.deepEqual(seen, ['--enable-source-maps']);
    assert.deepEqual(dropped, [['--expose-gc', '--max-old-space-size=512']]);
  });

  test('errors other than the refusal are rethrown', () => {
    assert.throws(() => withWorkerAcceptedArgv(['--enable-source-maps'], () => { throw new Error('pool failed'); }), /pool failed/);
  });
});
