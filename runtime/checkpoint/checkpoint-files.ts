/**
 * File-level checks of checkpoint storage (checkpoint-storage.ts): that referenced files exist
 * with their size (and sha256), whether a path is present or certainly absent, and fsync of a
 * directory after a rename.
 */
import { createHash } from 'node:crypto';
import { createReadStream, type Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { isSafeRelativePath, type CheckpointFile } from './checkpoint-metadata.ts';

/** How thoroughly referenced files are checked: existence+size, or also their sha256 (default). */
export type FileVerification = 'size' | 'sha256';

/** What is wrong with a checkpoint's files: one it references is `missing` (the checkpoint is incomplete), or damaged. */
export interface FileProblem {
  readonly missing: boolean;
  readonly message: string;
}

/** The error code of a file problem: WEIR_CHECKPOINT_INCOMPLETE for a missing file, WEIR_CHECKPOINT_CORRUPT otherwise (common/error-codes.ts). */
export function fileProblemCode(p: FileProblem): 'WEIR_CHECKPOINT_INCOMPLETE' | 'WEIR_CHECKPOINT_CORRUPT' {
  return p.missing ? 'WEIR_CHECKPOINT_INCOMPLETE' : 'WEIR_CHECKPOINT_CORRUPT';
}

/**
 * Check that each file exists under `rootDir` with the recorded size (and
 * sha256 with `'sha256'`). Returns the first problem, or undefined.
 */
export async function verifyFiles(rootDir: string, files: readonly CheckpointFile[], mode: FileVerification): Promise<FileProblem | undefined> {
  const damaged = (message: string): FileProblem => ({ missing: false, message });
  for (const f of files) {
    if (!isSafeRelativePath(f.path)) return damaged(`referenced file path ${JSON.stringify(f.path)} escapes the checkpoint root`);
    const abs = path.join(rootDir, ...f.path.split('/'));
    let st: Stats;
    try {
      st = await stat(abs);
    } catch {
      return { missing: true, message: `referenced file ${f.path} is missing (${abs})` };
    }
    if (!st.isFile()) return damaged(`referenced file ${f.path} is not a regular file`);
    if (st.size !== f.bytes) return damaged(`referenced file ${f.path} has ${st.size} bytes, expected ${f.bytes}`);
    if (mode === 'sha256') {
      const actual = await sha256File(abs);
      if (actual !== f.sha256) return damaged(`referenced file ${f.path} fails its sha256 check (expected ${f.sha256}, got ${actual})`);
    }
  }
  return undefined;
}

/** Hex sha256 of a file's content, streamed. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** True only when `p` certainly does not exist (ENOENT / ENOTDIR), not when it could not be checked. */
export async function isAbsent(p: string): Promise<boolean> {
  try {
    await stat(p);
    return false;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR';
  }
}

export async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

export async function fsyncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch (e) {
    // Some platforms cannot fsync a directory (EISDIR/EPERM/EINVAL); the rename is still atomic there.
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL') throw e;
  } finally {
    await fh?.close();
  }
}
