import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { removeDir, tempDir } from '../testing/backend-fixtures.ts';

const root = tempDir();
after(() => removeDir(root));

test('a wedged environment of a failed attempt does not block the next attempt (new directory)', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../testing/wedged-env-child.ts', import.meta.url)), root], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const line = await new Promise<string>((resolve, reject) => {
      const guard = setTimeout(() => reject(new Error(`no result from the child in 60 s; stderr: ${err}`)), 60_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const nl = out.indexOf('\n');
        if (nl >= 0) {
          clearTimeout(guard);
          resolve(out.slice(0, nl));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(guard);
        if (!out.includes('\n')) reject(new Error(`child exited (${code}) without a result; stderr: ${err}`));
      });
    });
    assert.deepEqual(JSON.parse(line), { value: 42, entries: 1 });
  } finally {
    child.kill('SIGKILL'); // the process may be unable to exit on its own (hang trap)
    await exited;
  }
});
