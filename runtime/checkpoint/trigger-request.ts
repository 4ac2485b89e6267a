/**
 * What a trigger request may start, and how: the pre-flight checks that refuse it (nothing
 * started, nothing counted), the barrier alignment it gets and the options the sources receive.
 * Pure decisions, like periodic-trigger.ts, so the rules are testable without a coordinator.
 */
import { WeirError } from '../../common/weir-error.ts';
import { barrierAlignmentFor, type CheckpointConfig } from './checkpoint-config.ts';
import { CheckpointFailureReason } from './checkpoint-failure-reason.ts';
import type { TriggerSourcesOptions } from './pending-checkpoint.ts';

/** What the pre-flight checks look at. */
export interface TriggerPreflight {
  readonly stopped: boolean;
  readonly allFinished: boolean;
  /** Every source ended its input: only the final checkpoint may still be triggered. */
  readonly inputEnded: boolean;
  /** Checkpoints in progress. */
  readonly pending: number;
  readonly maxConcurrent: number;
}

/** Why a `kind` checkpoint with trigger reason `trigger` cannot start now (WeirError `WEIR_CHECKPOINT_FAILED`), or undefined if it can. */
/** A request for a `kind` checkpoint that cannot start: `WEIR_CHECKPOINT_FAILED` with its reason. */
export function cannotTrigger(kind: 'checkpoint' | 'savepoint', reason: CheckpointFailureReason, message: string, details: Record<string, unknown> = {}): WeirError {
  return new WeirError('WEIR_CHECKPOINT_FAILED', `Cannot trigger ${kind}: ${message}`, { reason, kind, ...details });
}

export function triggerRefusal(kind: 'checkpoint' | 'savepoint', trigger: string, s: TriggerPreflight): WeirError | undefined {
  const reject = (reason: CheckpointFailureReason, message: string): WeirError => cannotTrigger(kind, reason, message);
  if (s.stopped) return reject(CheckpointFailureReason.CHECKPOINT_COORDINATOR_SHUTDOWN, 'the checkpoint coordinator is stopped');
  if (s.allFinished) return reject(CheckpointFailureReason.NOT_ALL_REQUIRED_TASKS_RUNNING, 'every subtask has finished');
  if (s.inputEnded && trigger !== 'final') {
    return reject(CheckpointFailureReason.NOT_ALL_REQUIRED_TASKS_RUNNING, "the job's input has ended: its final checkpoint is the last one");
  }
  if (s.pending >= s.maxConcurrent) {
    return reject(CheckpointFailureReason.TOO_MANY_CHECKPOINT_REQUESTS, `${s.pending} checkpoint(s) in progress, maxConcurrent is ${s.maxConcurrent}`);
  }
  return undefined;
}

/** The barrier alignment of a checkpoint and the options its sources get. */
export function triggerSourcesOptions(config: CheckpointConfig, kind: 'checkpoint' | 'savepoint', trigger: string, targetDirectory?: string): TriggerSourcesOptions {
  // The final checkpoint of a bounded job is always aligned: its barrier must not overtake the
  // end-of-data marker, so every operator has finished (flushed its last results) before it snapshots.
  const alignment = trigger === 'final' ? 'aligned' : barrierAlignmentFor(config, kind);
  return {
    kind, alignment, alignedTimeoutMs: alignment === 'aligned-with-timeout' ? config.alignedCheckpointTimeoutMs : 0,
    ...(targetDirectory !== undefined ? { targetDirectory } : {}),
  };
}
