/**
 * Where a checkpoint's files go: the names of the layout (FLINK-SEMANTICS §3), shared by the
 * main thread's {@link CheckpointStorage} (checkpoint-storage.ts) and the subtasks' view of it,
 * {@link SubtaskCheckpointLocations} — the only code that builds checkpoint paths. No I/O
 * except the directory creation a subtask asks for.
 *
 * ```
 * <root = dir/jobId>/chk-<n>/<vertex>-<subtask>/…          keyed state files of one subtask
 * <root>/chk-<n>/<vertex>-<subtask>.channel                its in-flight data (unaligned)
 * <root>/shared/…                                          incremental files
 * <savepoint dir>/…                                        the same, self-contained
 * ```
 */
import fs from 'node:fs';
import path from 'node:path';
import { WeirError } from '../../common/weir-error.ts';

/** The directory name of checkpoint `id` inside the job's root. */
export function checkpointDirName(id: number): string {
  return `chk-${id}`;
}

/** The directory of incremental (shared) state files inside the job's root. */
export const SHARED_DIR_NAME = 'shared';

/** Where one subtask's snapshot writes, for checkpoints and savepoints. */
export interface SnapshotTarget {
  /** Files only this checkpoint uses. */
  readonly exclusiveDir: string;
  /** Incremental files shared between checkpoints. */
  readonly sharedDir: string;
  /** File paths in the handles are relative to this. */
  readonly relativeTo: string;
  readonly incremental: boolean;
  /** Savepoints are canonical (restore into any backend). */
  readonly canonical: boolean;
}

/** What a subtask knows of the checkpoint being taken. */
export interface CheckpointKind {
  readonly checkpointId: number;
  readonly kind: 'checkpoint' | 'savepoint';
}

export class SubtaskCheckpointLocations {
  private savepointDirectory: string | undefined;

  /** `root`: absolute `<checkpoint-dir>/<job-id>`; `name`: the subtask's `<vertex>-<subtask>`. */
  constructor(private readonly root: string, private readonly name: string, private readonly incremental: boolean) {}

  /** The next savepoint writes into `directory` (the job master chose it before triggering). */
  setSavepointDirectory(directory: string): void {
    this.savepointDirectory = directory;
  }

  /** The directory of checkpoint (or savepoint) `c`. */
  checkpointDir(c: CheckpointKind): string {
    return c.kind === 'savepoint' && this.savepointDirectory ? this.savepointDirectory : path.join(this.root, checkpointDirName(c.checkpointId));
  }

  /** Paths in `c`'s handles and `_metadata` are relative to this (a savepoint is relocatable). */
  relativeTo(c: CheckpointKind): string {
    return c.kind === 'savepoint' ? this.checkpointDir(c) : this.root;
  }

  /** Where the keyed state snapshot of `c` writes; creates the directories. */
  snapshotTarget(c: CheckpointKind): SnapshotTarget {
    const exclusiveDir = path.join(this.checkpointDir(c), this.name);
    const sharedDir = path.join(this.root, SHARED_DIR_NAME);
    for (const dir of [exclusiveDir, sharedDir]) {
      try {
        fs.mkdirSync(dir, { recursive: true });
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        throw new WeirError('WEIR_STATE_WRITE_FAILED', `cannot create the checkpoint directory ${dir} (${err.code ?? 'error'}: ${err.message})`, { directory: dir, errno: err.code, checkpointId: c.checkpointId }, { cause: e });
      }
    }
    const savepoint = c.kind === 'savepoint';
    return { exclusiveDir, sharedDir, relativeTo: this.relativeTo(c), incremental: this.incremental && !savepoint, canonical: savepoint };
  }

  /** The absolute path of `c`'s channel-state file of this subtask. */
  channelStateFile(c: CheckpointKind): string {
    return path.join(this.checkpointDir(c), `${this.name}.channel`);
  }

  /** `abs` as a handle path: relative to {@link relativeTo}, with `/` separators. */
  toHandlePath(c: CheckpointKind, abs: string): string {
    return path.relative(this.relativeTo(c), abs).split(path.sep).join('/');
  }
}
