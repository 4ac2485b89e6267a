/**
 * readTextFile on the public Source API, read in parallel from byte ranges: every line exactly once
 * at several parallelisms and range sizes (long lines across range boundaries, \r\n, multi-byte
 * UTF-8 at the cuts, empty lines, no final newline); file order at parallelism 1; exactly-once
 * across injected failures with checkpoints; a restore at another parallelism from a savepoint
 * taken mid-read; typed errors for a missing file and an invalid JSON line.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WeirError } from '../index.ts';
import { checkpointsCompleted, injectFailures } from './support/checkpoint-events.ts';
import { textFileJob, type TextFileJobParams } from './support/text-file-jobs.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-textfile-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

/** Deterministic lines: lengths from 0 to ~3 000 bytes, some with multi-byte characters. */
function makeLines(n: number): string[] {
  let s = 7;
  const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  return Array.from({ length: n }, (_, i) => {
    const len = rand() < 0.05 ? Math.floor(rand() * 3000) : Math.floor(rand() * 80);
    const body = rand() < 0.2 ? [...'ü€𝄞'.repeat(Math.ceil(len / 3))].slice(0, len).join('') : 'x'.repeat(len);
    return `${i}:${body}`;
  });
}

function writeFile(name: string, lines: readonly string[], opts: { crlf?: boolean; finalNewline?: boolean } = {}): string {
  const file = path.join(root, name);
  const eol = opts.crlf ? '\r\n' : '\n';
  fs.writeFileSync(file, lines.join(eol) + (opts.finalNewline === false ? '' : eol));
  return file;
}

const LINES = makeLines(6000);
/** For the failure tests: long enough that four failovers happen before the end. */
const MANY = makeLines(12_000);
const sortedLines = (xs: readonly string[]) => [...xs].sort((a, b) => Number(a.slice(0, a.indexOf(':'))) - Number(b.slice(0, b.indexOf(':'))));

function run(p: Partial<TextFileJobParams> & { path: string }, extra: Record<string, unknown> = {}) {
  const params: TextFileJobParams = { format: 'lines', minSplitBytes: 16 * 1024, sourceParallelism: 1, ...p };
  return textFileJob.execute({ params, parallelism: 2, ...extra });
}

describe('readTextFile in byte ranges', () => {
  const file = writeFile('lines.txt', LINES, { finalNewline: false });
  const crlf = writeFile('crlf.txt', LINES, { crlf: true });
  const big = writeFile('big.txt', MANY);

  test('parallelism 1: every line in file order (no final newline)', async () => {
    const r = await run({ path: file, sourceParallelism: 1 }).done;
    assert.deepEqual(r.collected.out, LINES);
  });

  for (const [p, minSplitBytes] of [[3, 1000], [4, 64 * 1024]] as const) {
    test(`parallelism ${p}, ranges ≥ ${minSplitBytes} bytes: every line exactly once (\\r\\n endings)`, async () => {
      const r = await run({ path: crlf, sourceParallelism: p, minSplitBytes }).done;
      const out = r.collected.out as string[];
      assert.equal(out.length, LINES.length);
      assert.deepEqual(sortedLines(out), LINES);
    });
  }

  test('lines of several MiB across range boundaries (read in growing chunks), parallelism 3: every line exactly once', async () => {
    const huge = ['a', `1:${'€'.repeat(700_000)}`, 'b', `2:${'y'.repeat(3 * 1024 * 1024)}`, 'c', `3:${'z'.repeat(200_000)}`];
    const r = await run({ path: writeFile('huge.txt', huge), sourceParallelism: 3, minSplitBytes: 100_000 }).done;
    assert.deepEqual([...(r.collected.out as string[])].sort(), [...huge].sort());
  });

  test('JSON Lines with empty lines, parallelism 3: every value once', async () => {
    const values = Array.from({ length: 5000 }, (_, n) => JSON.stringify({ n }));
    const jsonl = writeFile('values.jsonl', values.flatMap((v, i) => (i % 97 === 0 ? [v, ''] : [v])));
    const r = await run({ path: jsonl, format: 'jsonl', sourceParallelism: 3, minSplitBytes: 4096 }).done;
    assert.deepEqual((r.collected.out as string[]).map((v) => JSON.parse(v).n).sort((a, b) => a - b), values.map((_, n) => n));
  });

  for (const mode of ['aligned', 'unaligned'] as const) {
    test(`${mode} checkpoints, parallelism 3, 3 failures (throws and a worker exit): every line exactly once`, { timeout: 120_000 }, async () => {
      const marker = path.join(root, `fail-${mode}`);
      const client = run({ path: big, sourceParallelism: 3, failMarker: marker, spinMicros: 250 }, {
        checkpointing: { intervalMs: 30, directory: path.join(root, `chk-${mode}`), ...(mode === 'unaligned' ? { unaligned: true } : {}) },
        restartStrategy: { type: 'fixed-delay', attempts: 10, delayMs: 0 },
      });
      const [result] = await Promise.all([client.done, injectFailures(client, marker, 3)]);
      assert.ok(result.failovers.length >= 3, `${result.failovers.length} failovers`);
      assert.deepEqual(sortedLines(result.collected.out as string[]), MANY);
    });
  }

  test('a savepoint mid-read at parallelism 3, restored at 2: every line exactly once over both runs', { timeout: 120_000 }, async () => {
    const checkpointing = { intervalMs: 50, directory: path.join(root, 'chk-rescale') };
    const first = run({ path: file, sourceParallelism: 3, spinMicros: 300 }, { bufferBytes: 4096, checkpointing });
    await checkpointsCompleted(first, 1);
    const savepoint = await first.stopWithSavepoint(path.join(root, 'savepoints'));
    const before = (await first.done).collected.out as string[];
    assert.ok(before.length > 0 && before.length < LINES.length, `stopped mid-read (${before.length} lines)`);
    const second = await run({ path: file, sourceParallelism: 2 }, { checkpointing, restore: savepoint.directory }).done;
    assert.deepEqual(sortedLines([...before, ...(second.collected.out as string[])]), LINES);
  });

  test('a missing file fails at start with WEIR_SOURCE_FAILED naming the source and the path', async () => {
    await assert.rejects(run({ path: path.join(root, 'nope.txt') }).done, (e: unknown) => {
      assert.ok(e instanceof WeirError);
      assert.equal(e.code, 'WEIR_SOURCE_FAILED');
      assert.match(e.message, /File\(.*nope\.txt\).*cannot open: ENOENT/);
      return true;
    });
  });

  test('an invalid JSON line fails with its byte offset', async () => {
    const bad = writeFile('bad.jsonl', ['{"n":1}', '{"n":2}', '{oops', '{"n":3}']);
    await assert.rejects(run({ path: bad, format: 'jsonl', sourceParallelism: 1 }, { restartStrategy: { type: 'none' } }).done, (e: unknown) => {
      assert.ok(e instanceof WeirError);
      assert.equal(e.code, 'WEIR_SOURCE_INVALID_RECORD');
      assert.match(e.message, /invalid JSON at byte offset 16/);
      return true;
    });
  });
});
