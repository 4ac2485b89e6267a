import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConsoleSinkOperator } from './sink-operators.ts';

/** What `print(prefix)` writes for `value` at subtask 1 of `parallelism`, stdout captured. */
function printed(prefix: string | undefined, parallelism: number, value: unknown): string {
  const sink = new ConsoleSinkOperator(prefix, { operatorName: 'Print', uid: 'print', subtask: 0, parallelism, maxParallelism: 128, attempt: 0 });
  const write = process.stdout.write;
  let out = '';
  process.stdout.write = ((chunk: string) => { out += chunk; return true; }) as typeof process.stdout.write;
  try {
    sink.processElement(value);
    sink.finish();
  } finally {
    process.stdout.write = write;
  }
  return out;
}

test("print() writes Flink's PrintSinkFunction lines: prefix, ':' and the subtask number at parallelism > 1, then '> '", () => {
  assert.equal(printed('x', 2, 7), 'x:1> 7\n');
  assert.equal(printed('x', 1, 7), 'x> 7\n');
  assert.equal(printed(undefined, 2, 'a'), '1> a\n');
  assert.equal(printed(undefined, 1, { k: 1 }), '{"k":1}\n');
});
