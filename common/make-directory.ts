/**
 * `mkdir -p` that always ends: Node 20's `fs.mkdir(dir, { recursive: true })` spins forever on a
 * path under /proc (`/proc/nope`: the kernel answers ENOENT for a directory it just said was missing),
 * which hung a savepoint request for a user's typo. Each missing directory is made on its own,
 * from the nearest existing ancestor down, so the first refusal is the error.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';

export async function makeDirectory(directory: string): Promise<void> {
  const missing: string[] = [];
  for (let dir = path.resolve(directory); ; dir = path.dirname(dir)) {
    try {
      const st = await fsp.stat(dir);
      if (!st.isDirectory()) throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${dir}'`), { code: 'ENOTDIR', path: dir });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      missing.push(dir);
      if (path.dirname(dir) === dir) break;
    }
  }
  for (const dir of missing.reverse()) {
    try {
      await fsp.mkdir(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}
