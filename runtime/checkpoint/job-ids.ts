/**
 * Job ids a run gets when none is given, and how `restore: 'latest'` recognises the runs of a job
 * among the job directories of a checkpoint directory: `<name>` itself, or `<name>-` followed by
 * the 8 hex digits of a generated id. A bare `<name>-` prefix also matched the runs of another job
 * whose name starts so (`upg` took over `upg-v2`'s checkpoints: a user's review).
 */
import { randomUUID } from 'node:crypto';

const GENERATED_SUFFIX = /^[0-9a-f]{8}$/;

/** A fresh job id for a run of `jobName`. */
export function generatedJobId(jobName: string): string {
  return `${jobName}-${randomUUID().slice(0, 8)}`;
}

/** Whether `jobId` is a run of the job named `jobName`: the name itself, or a generated id of it. */
export function isRunOfJob(jobName: string, jobId: string): boolean {
  return jobId === jobName || (jobId.startsWith(`${jobName}-`) && GENERATED_SUFFIX.test(jobId.slice(jobName.length + 1)));
}
