/**
 * Checkpoint storage on the local file system (paths from checkpoint-locations.ts, shared with
 * the subtasks' view of it): writes `_metadata` (last, atomically), discards, lists
 * and finds the latest valid checkpoint.
 *
 * Layout (FLINK-SEMANTICS §3):
 * ```
 * <dir>/<jobId>/chk-<n>/…             exclusive files of checkpoint n
 * <dir>/<jobId>/chk-<n>/_metadata     written LAST: its presence = n is complete
 * <dir>/<jobId>/shared/…              incremental files, ref-counted by a SharedStateRegistry
 * <savepointDir>/savepoint-<jobId>-<shortid>/_metadata   self-contained, relocatable
 * ```
 * Atomic `_metadata` write, in order: (1) write `_metadata.tmp`, (2) fsync
 * it, (3) rename to `_metadata`, (4) fsync the directory. A crash before (3)
 * leaves only `_metadata.tmp`, i.e. an incomplete checkpoint.
 */
import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import * as path from 'node:path';
import { WeirError } from '../../common/weir-error.ts';
import {
  METADATA_FILE_NAME, completedCheckpointFromMetadata, isSafeRelativePath, metadataBodyFromDraft, parseMetadata, sealMetadata,
  type CheckpointFile, type CheckpointMetadata, type CheckpointMetadataBody, type CompletedCheckpoint, type CompletedCheckpointDraft,
} from './checkpoint-metadata.ts';
import type { DiscardInfo, DiscardReason } from './pending-checkpoint.ts';
import { checkpointDirName, SHARED_DIR_NAME } from './checkpoint-locations.ts';
import { exists, fileProblemCode, fsyncDir, isAbsent, verifyFiles, type FileVerification } from './checkpoint-files.ts';

/** The state layer's ref-counting of shared (incremental) files, as storage needs it. Paths are relative to the job dir. */
export interface SharedStateRegistry {
  /** Checkpoint `checkpointId` references these shared files. Idempotent per (checkpointId, file). */
  register(checkpointId: number, files: string[]): void | Promise<void>;
  /** Drop every reference of `checkpointId`; resolves with the files no checkpoint references any more (to delete). */
  release(checkpointId: number): Promise<string[]>;
}

/** The logging surface storage uses (a pino logger fits). */
export interface StorageLogger {
  warn(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}


/** One checkpoint directory as seen by `listJob`. */
export interface CheckpointListing {
  id: number;
  path: string;
  status: 'complete' | 'incomplete' | 'corrupt';
  completionTimestamp?: number;
  /** Sum of the referenced files' sizes. */
  bytes?: number;
  files?: number;
  problem?: string;
}

const TMP_NAME = `${METADATA_FILE_NAME}.tmp`;
const CHK_RE = /^chk-(\d+)$/;
const NOOP_LOGGER: StorageLogger = { warn() {}, debug() {} };

/** File-system checkpoint storage of one job. */
export class CheckpointStorage {
  readonly directory: string;
  readonly jobId: string;
  /** `<directory>/<jobId>` — the root that checkpoint file paths are relative to. */
  readonly jobDir: string;
  /** `<jobDir>/shared` */
  readonly sharedDir: string;
  private readonly log: StorageLogger;

  constructor(opts: { directory: string; jobId: string; logger?: StorageLogger }) {
    if (!isSafeRelativePath(opts.jobId) || opts.jobId.includes('/')) {
      throw new WeirError('WEIR_INVALID_ARGUMENT', `jobId ${JSON.stringify(opts.jobId)} cannot be used as a directory name`, { jobId: opts.jobId });
    }
    this.directory = path.resolve(opts.directory);
    this.jobId = opts.jobId;
    this.jobDir = path.join(this.directory, opts.jobId);
    this.sharedDir = path.join(this.jobDir, SHARED_DIR_NAME);
    this.log = opts.logger ?? NOOP_LOGGER;
  }

  /** `<jobDir>/chk-<id>` (no I/O). */
  checkpointDir(id: number): string {
    if (!Number.isInteger(id) || id < 0) throw new WeirError('WEIR_INVALID_ARGUMENT', `checkpoint id must be a non-negative integer, got ${id}`, { id });
    return path.join(this.jobDir, checkpointDirName(id));
  }

  /** Create `chk-<id>` (and `shared/`) if missing; resolves with the checkpoint dir. */
  async initializeCheckpoint(id: number): Promise<string> {
    const dir = this.checkpointDir(id);
    await mkdir(dir, { recursive: true });
    await mkdir(this.sharedDir, { recursive: true });
    return dir;
  }

  /** A fresh savepoint directory path `<savepointDirectory>/savepoint-<jobId>-<12 hex>` (no I/O). */
  static savepointPath(savepointDirectory: string, jobId: string): string {
    return path.join(path.resolve(savepointDirectory), `savepoint-${jobId}-${randomBytes(6).toString('hex')}`);
  }

  /** Write `chk-<id>/_metadata` atomically; resolves with its path once durable. */
  async writeMetadata(id: number, metadata: CheckpointMetadataBody): Promise<string> {
    if (metadata.checkpointId !== id || metadata.jobId !== this.jobId) {
      throw new WeirError('WEIR_INVALID_CHECKPOINT_METADATA', `metadata of job ${metadata.jobId} checkpoint ${metadata.checkpointId} cannot be written as ${this.jobId} chk-${id}`, { id, jobId: this.jobId });
    }
    return (await CheckpointStorage.writeMetadataAt(this.checkpointDir(id), metadata)).path;
  }

  /**
   * Write `<dir>/_metadata` atomically (tmp → fsync → rename → fsync dir).
   * @throws WeirError `WEIR_INVALID_CHECKPOINT_METADATA` or `WEIR_CHECKPOINT_WRITE_FAILED`.
   */
  static async writeMetadataAt(dir: string, body: CheckpointMetadataBody): Promise<{ path: string; metadata: CheckpointMetadata }> {
    const { metadata, text } = sealMetadata(body);
    const tmp = path.join(dir, TMP_NAME);
    const target = path.join(dir, METADATA_FILE_NAME);
    try {
      await mkdir(dir, { recursive: true });
      const fh = await open(tmp, 'w');
      try {
        await fh.writeFile(text, 'utf8'); // 1.
        await fh.sync(); // 2.
      } finally {
        await fh.close();
      }
      await rename(tmp, target); // 3.
      await fsyncDir(dir); // 4.
    } catch (e) {
      await unlink(tmp).catch(() => {});
      throw new WeirError('WEIR_CHECKPOINT_WRITE_FAILED', `Writing ${target} failed: ${(e as Error).message}`, { path: target }, { cause: e });
    }
    return { path: target, metadata };
  }

  /**
   * Finalize a checkpoint or savepoint: check that every reported file exists
   * with its size, write `_metadata` last, then register the checkpoint's
   * shared files. Suits `CoordinatorEffects.finalize`.
   */
  async finalize(draft: CompletedCheckpointDraft, registry?: SharedStateRegistry): Promise<CompletedCheckpoint> {
    if (draft.jobId !== this.jobId) throw new WeirError('WEIR_INVALID_ARGUMENT', `draft of job ${draft.jobId} given to the storage of job ${this.jobId}`, { jobId: draft.jobId });
    let dir: string;
    let root: string;
    if (draft.kind === 'savepoint') {
      if (!draft.targetDirectory) throw new WeirError('WEIR_INVALID_ARGUMENT', `savepoint ${draft.checkpointId} has no targetDirectory`, { checkpointId: draft.checkpointId });
      dir = root = path.resolve(draft.targetDirectory);
    } else {
      dir = this.checkpointDir(draft.checkpointId);
      root = this.jobDir;
    }
    const problem = await verifyFiles(root, draft.files, 'size');
    if (problem) throw new WeirError('WEIR_CHECKPOINT_INCOMPLETE', `Cannot finalize ${draft.kind} ${draft.checkpointId}: ${problem.message}`, { checkpointId: draft.checkpointId, problem: problem.message });
    const { path: metadataPath, metadata } = await CheckpointStorage.writeMetadataAt(dir, metadataBodyFromDraft(draft));
    if (registry && draft.kind === 'checkpoint') await registry.register(draft.checkpointId, draft.files.filter((f) => f.shared).map((f) => f.path));
    return completedCheckpointFromMetadata(metadata, metadataPath, dir);
  }

  /** Delete `chk-<id>` (exclusive files only; shared files are the registry's). Idempotent. */
  async discard(id: number): Promise<void> {
    // Retries: a subtask may still add a file while the directory is being emptied (ENOTEMPTY).
    await rm(this.checkpointDir(id), { recursive: true, force: true, maxRetries: 3, retryDelay: 20 });
  }

  /**
   * Discard for `CoordinatorEffects.discard`: an aborted savepoint's directory,
   * or a checkpoint's exclusive dir plus its shared files no longer referenced
   * (aborted/subsumed ones register their shared files first so release can
   * count them). Without a registry shared files are left alone. Idempotent.
   */
  async discardCheckpoint(id: number, reason: DiscardReason, info: DiscardInfo, registry?: SharedStateRegistry): Promise<void> {
    if (info.kind === 'savepoint') {
      if (info.directory && path.basename(info.directory).startsWith('savepoint-')) await rm(info.directory, { recursive: true, force: true });
      return;
    }
    await this.discard(id);
    if (!registry) return;
    if (reason === 'aborted' || reason === 'subsumed') {
      await registry.register(id, info.files.filter((f) => f.shared).map((f) => f.path));
    }
    for (const rel of await registry.release(id)) {
      if (!isSafeRelativePath(rel)) {
        this.log.warn({ path: rel }, 'shared file path escapes the job directory; not deleted');
        continue;
      }
      await rm(path.join(this.jobDir, ...rel.split('/')), { force: true });
    }
  }

  /**
   * Delete the `chk-<n>` directories without `_metadata` whose n < `belowId`: checkpoints that
   * never completed — an aborted one a subtask still wrote into after its discard (the attempt was
   * being torn down), or those of a run that died. Call only when none of them can still complete.
   * Returns the ids removed.
   */
  async removeIncomplete(belowId = Infinity): Promise<number[]> {
    const removed: number[] = [];
    for (const d of await this.list()) {
      if (d.complete || d.id >= belowId) continue;
      // Only when `_metadata` is certainly absent (ENOENT): a stat that failed otherwise (EMFILE,
      // EACCES, …) says nothing, and a complete checkpoint must never be deleted on a guess.
      if (!(await isAbsent(path.join(d.path, METADATA_FILE_NAME)))) continue;
      await rm(d.path, { recursive: true, force: true });
      removed.push(d.id);
    }
    return removed;
  }

  /**
   * Remove the job's directory if nothing is left in it but an empty `shared/` (a job that ended
   * with its checkpoints deleted). Never deletes a file: a non-empty directory stays.
   */
  async removeJobDirectoryIfEmpty(): Promise<void> {
    await rmdir(this.sharedDir).catch(() => {});
    await rmdir(this.jobDir).catch(() => {});
  }

  /** Checkpoint dirs of this job, ascending by id; `complete` = `_metadata` exists. */
  async list(): Promise<Array<{ id: number; path: string; complete: boolean }>> {
    return listCheckpointDirs(this.jobDir);
  }

  /**
   * The latest complete and valid checkpoint. A `chk-<n>` without `_metadata`,
   * with a corrupt / unsupported / foreign `_metadata`, or whose referenced
   * files are missing or fail their size/sha256 check is skipped with a
   * warning naming the path and why, falling back to the previous one.
   */
  async findLatestValid(opts: { verify?: FileVerification } = {}): Promise<{ metadata: CheckpointMetadata; path: string; checkpoint: CompletedCheckpoint; skipped: Array<{ path: string; reason: string }> } | undefined> {
    const skipped: Array<{ path: string; reason: string }> = [];
    const skip = (p: string, reason: string): void => {
      skipped.push({ path: p, reason });
      this.log.warn({ path: p, reason }, `skipping checkpoint ${p}: ${reason}`);
    };
    const dirs = (await this.list()).reverse();
    for (const d of dirs) {
      if (!d.complete) {
        skip(d.path, (await exists(path.join(d.path, TMP_NAME))) ? '_metadata missing (an interrupted write left _metadata.tmp)' : '_metadata missing (checkpoint incomplete)');
        continue;
      }
      const metadataPath = path.join(d.path, METADATA_FILE_NAME);
      let metadata: CheckpointMetadata;
      try {
        metadata = parseMetadata(await readFile(metadataPath, 'utf8'), metadataPath);
      } catch (e) {
        skip(d.path, e instanceof WeirError ? String(e.details.problem ?? e.message) : (e as Error).message);
        continue;
      }
      if (metadata.jobId !== this.jobId || metadata.checkpointId !== d.id || metadata.kind !== 'checkpoint') {
        skip(d.path, `_metadata describes ${metadata.kind} ${metadata.checkpointId} of job ${metadata.jobId}, not checkpoint ${d.id} of job ${this.jobId}`);
        continue;
      }
      const problem = await verifyFiles(this.jobDir, metadata.files, opts.verify ?? 'sha256');
      if (problem) {
        skip(d.path, problem.message);
        continue;
      }
      return { metadata, path: d.path, checkpoint: completedCheckpointFromMetadata(metadata, metadataPath, d.path), skipped };
    }
    return undefined;
  }

  /**
   * Load a checkpoint or savepoint from its directory or its `_metadata` file,
   * verifying the metadata checksum and (by default) every referenced file's
   * size and sha256. `rootDir` is what the file paths are relative to.
   * @throws WeirError `WEIR_CHECKPOINT_NOT_FOUND` | `WEIR_CHECKPOINT_INCOMPLETE` | `WEIR_CHECKPOINT_CORRUPT`, naming the path.
   */
  static async load(target: string, opts: { verify?: FileVerification | 'none' } = {}): Promise<{ metadata: CheckpointMetadata; rootDir: string; directory: string; metadataPath: string }> {
    const abs = path.resolve(target);
    let st: Stats;
    try {
      st = await stat(abs);
    } catch {
      throw new WeirError('WEIR_CHECKPOINT_NOT_FOUND', `No checkpoint or savepoint at ${abs}`, { path: abs });
    }
    const directory = st.isDirectory() ? abs : path.dirname(abs);
    const metadataPath = st.isDirectory() ? path.join(abs, METADATA_FILE_NAME) : abs;
    let text: string;
    try {
      text = await readFile(metadataPath, 'utf8');
    } catch {
      const why = (await exists(path.join(directory, TMP_NAME))) ? 'its _metadata write was interrupted (_metadata.tmp present)' : 'it has no _metadata (an incomplete checkpoint, or not a checkpoint directory)';
      // Worded for every reader (a restore, `weir inspect`): not "cannot restore" when nothing restores.
      throw new WeirError('WEIR_CHECKPOINT_INCOMPLETE', `${directory} is not a complete checkpoint: ${why}`, { path: directory });
    }
    const metadata = parseMetadata(text, metadataPath);
    const rootDir = metadata.kind === 'savepoint' ? directory : path.dirname(directory);
    const verify = opts.verify ?? 'sha256';
    if (verify !== 'none') {
      const problem = await verifyFiles(rootDir, metadata.files, verify);
      if (problem) {
        const code = fileProblemCode(problem);
        throw new WeirError(code, `Checkpoint ${directory} is ${code === 'WEIR_CHECKPOINT_INCOMPLETE' ? 'incomplete' : 'corrupt'}: ${problem.message}`, { path: directory, problem: problem.message });
      }
    }
    return { metadata, rootDir, directory, metadataPath };
  }

  /**
   * For the CLI: every job under `directory` (or only `jobId`) with its
   * checkpoint dirs, reading `_metadata` (checksum checked, files not hashed).
   */
  static async listJob(directory: string, jobId?: string): Promise<Array<{ jobId: string; jobDir: string; checkpoints: CheckpointListing[] }>> {
    const root = path.resolve(directory);
    let jobIds: string[];
    if (jobId !== undefined) jobIds = [jobId];
    else {
      const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
      jobIds = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
    }
    const out: Array<{ jobId: string; jobDir: string; checkpoints: CheckpointListing[] }> = [];
    for (const id of jobIds) {
      const jobDir = path.join(root, id);
      const checkpoints: CheckpointListing[] = [];
      for (const d of await listCheckpointDirs(jobDir)) {
        if (!d.complete) {
          checkpoints.push({ id: d.id, path: d.path, status: 'incomplete' });
          continue;
        }
        try {
          const mdPath = path.join(d.path, METADATA_FILE_NAME);
          const m = parseMetadata(await readFile(mdPath, 'utf8'), mdPath);
          checkpoints.push({ id: d.id, path: d.path, status: 'complete', completionTimestamp: m.completionTimestamp, files: m.files.length, bytes: m.files.reduce((s, f) => s + f.bytes, 0) });
        } catch (e) {
          checkpoints.push({ id: d.id, path: d.path, status: 'corrupt', problem: e instanceof WeirError ? String(e.details.problem ?? e.message) : (e as Error).message });
        }
      }
      if (jobId !== undefined || checkpoints.length > 0) out.push({ jobId: id, jobDir, checkpoints });
    }
    return out;
  }
}

async function listCheckpointDirs(jobDir: string): Promise<Array<{ id: number; path: string; complete: boolean }>> {
  const entries = await readdir(jobDir, { withFileTypes: true }).catch(() => []);
  const out: Array<{ id: number; path: string; complete: boolean }> = [];
  for (const e of entries) {
    const m = CHK_RE.exec(e.name);
    if (!m || !e.isDirectory()) continue;
    const dir = path.join(jobDir, e.name);
    out.push({ id: Number(m[1]), path: dir, complete: await exists(path.join(dir, METADATA_FILE_NAME)) });
  }
  return out.sort((a, b) => a.id - b.id);
}
