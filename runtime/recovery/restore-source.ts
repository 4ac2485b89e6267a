/**
 * Where a job starts from when `execute({ restore })` is given:
 *   - a path (a `chk-<n>` or savepoint directory, or its `_metadata`): load it,
 *     verifying every checksum; a broken one is a clear error, never a silent fresh start;
 *   - 'latest': the newest complete and valid checkpoint in the checkpoint directory —
 *     of the given jobId, or (without one) of any earlier run of this job (job ids
 *     `<name>` or `<name>-<8 hex digits>`, checkpoint/job-ids.ts). Incomplete or corrupt checkpoints are skipped with a
 *     warning naming them; none left → WEIR_RESTORE_NOTHING.
 * The new run continues the restored job's id (so its checkpoints land next to the
 * old ones and retention keeps cleaning up, see retained-checkpoints.ts), unless the
 * caller fixed one.
 */
import path from 'node:path';
import type { Logger } from 'pino';
import { CheckpointStorage } from '../checkpoint/checkpoint-storage.ts';
import { completedCheckpointFromMetadata, type CompletedCheckpoint } from '../checkpoint/checkpoint-metadata.ts';
import { WeirError } from '../../common/weir-error.ts';
import { isRunOfJob } from '../checkpoint/job-ids.ts';

export interface InitialRestore {
  readonly checkpoint: CompletedCheckpoint;
  /** Directory the handles' relative paths resolve against (job dir for checkpoints, the savepoint dir for savepoints). */
  readonly rootDir: string;
  /** Job id the restored checkpoint belongs to. */
  readonly jobId: string;
  readonly skipped: Array<{ path: string; reason: string }>;
}

export async function resolveInitialRestore(
  restore: string,
  /** `loggerFor(jobId)`: the logger of warnings about that job's checkpoints (bound to that id, once). */
  opts: { checkpointDirectory: string | undefined; jobName: string; jobId: string | undefined; loggerFor: (jobId: string) => Logger },
): Promise<InitialRestore> {
  if (restore !== 'latest') {
    const loaded = await CheckpointStorage.load(restore);
    const checkpoint = completedCheckpointFromMetadata(loaded.metadata, loaded.metadataPath, loaded.directory);
    return { checkpoint, rootDir: loaded.rootDir, jobId: loaded.metadata.jobId, skipped: [] };
  }
  if (!opts.checkpointDirectory) {
    throw new WeirError('WEIR_RESTORE_NOTHING', `restore: 'latest' needs checkpointing enabled (the checkpoint directory to look in)`, {});
  }
  const jobs = await CheckpointStorage.listJob(opts.checkpointDirectory, opts.jobId);
  const candidates = jobs.filter((j) => opts.jobId !== undefined || isRunOfJob(opts.jobName, j.jobId));
  const skipped: Array<{ path: string; reason: string }> = [];
  let best: { jobId: string; found: NonNullable<Awaited<ReturnType<CheckpointStorage['findLatestValid']>>>; storage: CheckpointStorage } | undefined;
  for (const j of candidates) {
    // Warnings about a job's checkpoints carry that job's id (the one this run continues when it wins), not the fresh id of the run.
    const storage = new CheckpointStorage({ directory: opts.checkpointDirectory, jobId: j.jobId, logger: opts.loggerFor(j.jobId) });
    const found = await storage.findLatestValid();
    if (!found) {
      skipped.push(...(await storage.list()).map((d) => ({ path: d.path, reason: d.complete ? 'invalid (see the warnings above)' : '_metadata missing (checkpoint incomplete)' })));
      continue;
    }
    skipped.push(...found.skipped);
    if (!best || found.checkpoint.completionTimestamp > best.found.checkpoint.completionTimestamp) best = { jobId: j.jobId, found, storage };
  }
  if (!best) {
    const where = path.resolve(opts.checkpointDirectory);
    // Job ids of other runs with checkpoints here (a different job name, or an explicit id that differs).
    const others = opts.jobId !== undefined
      ? (await CheckpointStorage.listJob(opts.checkpointDirectory)).filter((j) => j.jobId !== opts.jobId && j.checkpoints.length > 0).map((j) => j.jobId)
      : jobs.filter((j) => !candidates.includes(j) && j.checkpoints.length > 0).map((j) => j.jobId);
    throw new WeirError(
      'WEIR_RESTORE_NOTHING',
      `restore: 'latest' found no complete checkpoint of job ${opts.jobId ?? `'${opts.jobName}'`} in ${where}` +
        (skipped.length ? `; skipped: ${skipped.map((s) => `${s.path} (${s.reason})`).join('; ')}` : candidates.length > 0 ? ' (its job directories hold no checkpoints)' : ' (no checkpoints of it)') +
        (others.length > 0 ? `. The directory holds checkpoints of job ids ${others.map((id) => `'${id}'`).join(', ')}: pass the one to continue as the job id (execute({ jobId }), weir run --job-id)` : '') +
        '. Start without restore for a fresh run.',
      { directory: where, skipped, otherJobIds: others },
    );
  }
  // The checkpoints retained for retention are found by runtime/recovery/retained-checkpoints.ts.
  return { checkpoint: best.found.checkpoint, rootDir: best.storage.jobDir, jobId: best.jobId, skipped };
}
