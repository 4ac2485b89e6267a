/**
 * `weir/tools`: Weir's public API for operator tooling — what the `weir` CLI (cli/) is built on,
 * for scripts that run jobs from modules and look at checkpoints the way the CLI does. Job
 * authors and embedding applications need only `weir` (index.ts). Re-exports only; deep imports
 * are not part of the contract (`npm run depcheck` keeps cli/ on `weir` and `weir/tools`).
 */
import { CheckpointStorage, type CheckpointListing } from './runtime/checkpoint/checkpoint-storage.ts';
import { verifyFiles, type FileVerification } from './runtime/checkpoint/checkpoint-files.ts';
import type { CheckpointFile, CheckpointMetadata } from './runtime/checkpoint/checkpoint-metadata.ts';

// Job modules.
export { jobsInModule } from './runtime/graph/job-registry.ts';
export { registerTypeScriptLoader } from './runtime/job/embedding.ts';

// Options as execute() resolves them (defaults, validation, descriptions).
export { CHECKPOINT_CONFIG_DEFAULTS, resolveCheckpointConfig, type CheckpointConfig, type CheckpointConfigInput } from './runtime/checkpoint/checkpoint-config.ts';
export { resolveRestartStrategy, describeRestartStrategy, type RestartStrategyConfig, type ResolvedRestartStrategy } from './runtime/recovery/restart-strategy.ts';
/** `details.reason` of a checkpoint failure (`WeirError`). */
export { CheckpointFailureReason } from './runtime/checkpoint/checkpoint-failure-reason.ts';
/** The text form of a value in messages (bounded length). */
export { preview } from './common/weir-error.ts';
// Discovery of running jobs with a REST endpoint (`weir list | cancel | savepoint | stop | checkpoint`).
export { discoverJobs, type DiscoveredJob } from './runtime/rest/job-discovery.ts';
export { defaultDiscoveryDirectory } from './runtime/rest/rest-options.ts';

// Checkpoints and savepoints on disk, read-only.
export type { CheckpointListing, FileVerification, CheckpointFile, CheckpointMetadata };

/** The checkpoints of one job (`jobId`) or of every job under a checkpoint directory, with their status. */
export function listJobCheckpoints(directory: string, jobId?: string): Promise<Array<{ jobId: string; jobDir: string; checkpoints: CheckpointListing[] }>> {
  return CheckpointStorage.listJob(directory, jobId);
}

/**
 * Read a checkpoint or savepoint (its directory or its `_metadata` file): the metadata's checksum
 * is checked, and every referenced file by size or also by sha256 (`verify`, default sha256).
 */
export function loadCheckpoint(target: string, opts: { verify?: FileVerification | 'none' } = {}): Promise<{ metadata: CheckpointMetadata; rootDir: string; directory: string; metadataPath: string }> {
  return CheckpointStorage.load(target, opts);
}

/** Check that each file exists under `rootDir` with its recorded size (and sha256); the first problem, or undefined. */
export async function verifyCheckpointFiles(rootDir: string, files: readonly CheckpointFile[], mode: FileVerification): Promise<string | undefined> {
  return (await verifyFiles(rootDir, files, mode))?.message;
}
