/**
 * What a starting job finds in its own checkpoint directory (`<directory>/<jobId>`).
 *
 * Retention is enforced when a checkpoint completes; a process killed between
 * completing checkpoint n and discarding the oldest one leaves one checkpoint too
 * many, and a new run (a restore, or a new job with the same job id) must enforce
 * retention again before it checkpoints (Flink's completed-checkpoint store does
 * the same on recovery). This module only reads; the coordinator discards.
 *
 *   - restored from a checkpoint of this job: the complete checkpoints older than it,
 *     plus it, are retained (the restored one, the newest, is never discarded) and it
 *     is the recovery point;
 *   - otherwise (fresh start, a savepoint, another job's checkpoint): the complete
 *     checkpoints left by an earlier run with this job id are retained for retention
 *     only — never a recovery point of this run;
 *   - complete checkpoints newer than the restored one (skipped as damaged, or the
 *     user chose an older one) are left alone — never discarded, and the shared files
 *     they reference stay referenced (an incremental checkpoint newer than the restored
 *     one builds on its base files: a user's review saw them deleted when the restored
 *     one was subsumed) — and new checkpoints are numbered after every existing
 *     `chk-<n>` so none is ever written into an old directory.
 */
import path from 'node:path';
import type { Logger } from 'pino';
import { CheckpointStorage } from '../checkpoint/checkpoint-storage.ts';
import { completedCheckpointFromMetadata, type CompletedCheckpoint } from '../checkpoint/checkpoint-metadata.ts';

export interface CheckpointsOnDisk {
  /** Complete checkpoints subject to retention, oldest first. */
  readonly retained: CompletedCheckpoint[];
  /** Complete checkpoints newer than the restored one: left alone, their shared files kept. */
  readonly leftAlone: CompletedCheckpoint[];
  /** Whether the newest of `retained` is this run's recovery point (it was restored from). */
  readonly recoverable: boolean;
  /** Number of the first checkpoint this run takes: after every existing `chk-<n>` and after the restored checkpoint or savepoint (Flink continues its id). */
  readonly firstCheckpointId: number;
}

export async function checkpointsOnDisk(
  directory: string,
  jobId: string,
  restored: CompletedCheckpoint | undefined,
  logger?: Logger,
): Promise<CheckpointsOnDisk> {
  const storage = new CheckpointStorage({ directory, jobId, ...(logger ? { logger } : {}) });
  const dirs = await storage.list();
  const ownRestore = restored !== undefined && restored.kind === 'checkpoint' && path.resolve(restored.directory) === storage.checkpointDir(restored.checkpointId);
  const retained: CompletedCheckpoint[] = [];
  const leftAlone: CompletedCheckpoint[] = [];
  for (const d of dirs) {
    if (!d.complete) continue;
    if (ownRestore && d.id === restored.checkpointId) continue;
    try {
      const loaded = await CheckpointStorage.load(d.path, { verify: 'none' });
      if (loaded.metadata.kind !== 'checkpoint' || loaded.metadata.checkpointId !== d.id) continue;
      (ownRestore && d.id > restored.checkpointId ? leftAlone : retained).push(completedCheckpointFromMetadata(loaded.metadata, loaded.metadataPath, loaded.directory));
    } catch (e) {
      logger?.warn({ err: e, path: d.path }, 'unreadable checkpoint left alone by retention');
    }
  }
  if (ownRestore) retained.push(restored);
  const highest = Math.max(0, ...dirs.map((d) => d.id), restored?.checkpointId ?? 0);
  return { retained, leftAlone, recoverable: ownRestore, firstCheckpointId: highest + 1 };
}
