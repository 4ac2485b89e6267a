/**
 * The job's life at `info` on the job master's logger (Flink's JobMaster logs the same
 * transitions): submitted, deployed, running, each checkpoint completed (or failed, at `warn`,
 * with its reason), failover with its cause and restart delay, restored from, and the end
 * (finished / cancelled / stopped with a savepoint, or failed at `error`). One line each, with
 * the figures as fields (`checkpointId`, `durationMs`, `cause`, `delayMs` …) for log queries.
 */
import type { Logger } from 'pino';
import type { CheckpointStats } from '../checkpoint/checkpoint-stats.ts';

export class JobLifeLog {
  constructor(private readonly logger: Logger, private readonly jobName: string) {}

  submitted(o: { parallelism: number; checkpointing: boolean; restore: string | undefined; restUrl?: string }): void {
    this.logger.info({ jobName: this.jobName, ...o }, `job '${this.jobName}' submitted`);
  }

  restEndpoint(url: string): void {
    this.logger.info({ url }, `REST endpoint and dashboard at ${url}`);
  }

  restoring(from: { checkpointId: number; path: string; kind: string }): void {
    this.logger.info({ restoredFrom: from }, `restoring from ${from.kind} ${from.checkpointId} at ${from.path}`);
  }

  deployed(attempt: number, subtasks: number): void {
    this.logger.info({ attempt, subtasks }, `attempt ${attempt} deployed: ${subtasks} subtask${subtasks === 1 ? '' : 's'}`);
  }

  /** The attempt runs; `restored`: what it restored (a failover's too, with its path). */
  running(attempt: number, restored: { checkpointId: number; kind: string; path: string } | null): void {
    this.logger.info({ attempt, restoredCheckpointId: restored?.checkpointId ?? null, ...(restored ? { restoredFrom: restored } : {}) },
      `job running (attempt ${attempt}${restored ? `, restored from ${restored.kind} ${restored.checkpointId} at ${restored.path}` : ''})`);
  }

  checkpoint(s: CheckpointStats): void {
    if (s.status === 'completed') {
      this.logger.info({ checkpointId: s.checkpointId, kind: s.kind, durationMs: s.durationMs, stateBytes: s.stateBytes, checkpointedBytes: s.checkpointedBytes, persistedInFlightBytes: s.persistedInFlightBytes, alignmentMs: s.alignmentMs, path: s.externalPath }, `${s.kind} ${s.checkpointId} completed in ${s.durationMs} ms`);
    } else {
      this.logger.warn({ checkpointId: s.checkpointId, kind: s.kind, reason: s.failureReason, failure: s.failureMessage }, `${s.kind} ${s.checkpointId} failed: ${s.failureReason}${s.failureMessage ? ` (${s.failureMessage})` : ''}`);
    }
  }

  failover(cause: Error & { code?: string }, attempt: number, delayMs: number, restoredCheckpointId: number | null): void {
    this.logger.warn({ err: cause, cause: { code: cause.code, message: cause.message }, attempt, delayMs, restoredCheckpointId },
      `failover: ${cause.code ? `${cause.code}: ` : ''}${cause.message}; restarting in ${delayMs} ms from ${restoredCheckpointId === null ? 'the beginning' : `checkpoint ${restoredCheckpointId}`}`);
  }

  ended(status: 'finished' | 'cancelled', durationMs: number, savepointPath: string | undefined): void {
    const how = savepointPath !== undefined ? `finished (stopped with savepoint ${savepointPath})` : status;
    this.logger.info({ status, durationMs, ...(savepointPath !== undefined ? { savepointPath } : {}) }, `job ${how} in ${durationMs} ms`);
  }

  failed(err: Error): void {
    this.logger.error({ err }, `job failed: ${err.message}`);
  }
}
