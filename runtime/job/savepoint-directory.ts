/**
 * Pre-flight of a savepoint's target directory, on the main thread before any barrier is sent:
 * a directory that cannot be created or written fails the request with `WEIR_INVALID_ARGUMENT`
 * (naming the directory and the system error) and the running job is untouched. Without it,
 * each subtask would fail creating its snapshot folder there — a task failure, hence a failover.
 */
import fsp from 'node:fs/promises';
import { constants } from 'node:fs';
import path from 'node:path';
import { WeirError } from '../../common/weir-error.ts';
import { RuntimeErrorCode } from '../errors.ts';
import { makeDirectory } from '../../common/make-directory.ts';

export async function checkSavepointDirectory(directory: string): Promise<void> {
  const dir = path.resolve(directory);
  try {
    await makeDirectory(dir);
    await fsp.access(dir, constants.W_OK | constants.X_OK);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new WeirError(RuntimeErrorCode.INVALID_ARGUMENT, `savepoint directory ${dir} cannot be written (${err.message}); the job keeps running`, { directory: dir, errno: err.code }, { cause: err });
  }
}
