/**
 * Test support for the checkpoint coordinator tests: a harness on a manual clock whose effects
 * record every call as a short string. Not part of the runtime.
 */
import assert from 'node:assert/strict';
import { WeirError } from '../../common/weir-error.ts';
import { resolveCheckpointConfig, type CheckpointConfigInput } from './checkpoint-config.ts';
import { CheckpointCoordinator, type CoordinatorEffects, type SubtaskAck, type SubtaskKey, type TriggerSourcesOptions } from './checkpoint-coordinator.ts';
import { metadataBodyFromDraft, sealMetadata, type CompletedCheckpoint, type CompletedCheckpointDraft } from './checkpoint-metadata.ts';
import { ManualClock } from '../../common/clock.ts';
import { ManualScheduler } from './scheduler.ts';

export const SRC0 = { vertexId: 'src', subtask: 0 };
export const MAP0 = { vertexId: 'map', subtask: 0 };
export const MAP1 = { vertexId: 'map', subtask: 1 };
export const TASKS: SubtaskKey[] = [SRC0, MAP0, MAP1];

export function fakeCompleted(d: CompletedCheckpointDraft): CompletedCheckpoint {
  const dir = d.kind === 'savepoint' ? d.targetDirectory ?? '/sp' : `/cp/job/chk-${d.checkpointId}`;
  const { metadata } = sealMetadata(metadataBodyFromDraft(d));
  return {
    jobId: d.jobId, checkpointId: d.checkpointId, kind: d.kind, triggerTimestamp: d.triggerTimestamp,
    completionTimestamp: d.completionTimestamp, metadataPath: `${dir}/_metadata`, directory: dir, metadata,
  };
}

export function ack(key: SubtaskKey, id: number, over: Partial<SubtaskAck['metrics']> = {}): SubtaskAck {
  return {
    stateHandles: { of: `${key.vertexId}#${key.subtask}`, id },
    channelStateHandles: null,
    files: [{ path: `chk-${id}/${key.vertexId}-${key.subtask}.bin`, bytes: 10, sha256: 'ab'.repeat(32), shared: false }],
    metrics: {
      syncMs: 1, asyncMs: 2, alignmentMs: 0, startDelayMs: 0, unaligned: false, stateBytes: 10,
      incrementalStateBytes: 10, persistedInFlightBytes: 0, ...over,
    },
  };
}

export interface Harness {
  coord: CheckpointCoordinator;
  timers: ManualScheduler;
  events: string[];
  triggers: Array<{ id: number; ts: number; options: TriggerSourcesOptions }>;
  drafts: CompletedCheckpointDraft[];
  failures: WeirError[];
  ackAll(id: number, except?: SubtaskKey[]): void;
}

export function harness(cfg: CheckpointConfigInput = {}, over: Partial<CoordinatorEffects> = {}, opts: { tasks?: SubtaskKey[]; firstCheckpointId?: number } = {}): Harness {
  const timers = new ManualScheduler(new ManualClock(1000));
  const events: string[] = [];
  const triggers: Harness['triggers'] = [];
  const drafts: CompletedCheckpointDraft[] = [];
  const failures: WeirError[] = [];
  const effects: CoordinatorEffects = {
    triggerSources(id, ts, options) {
      events.push(`trigger ${id}`);
      triggers.push({ id, ts, options });
    },
    notifyComplete: (id) => events.push(`complete ${id}`),
    notifyAborted: (id, reason) => events.push(`aborted ${id} ${reason}`),
    finalize: async (d) => {
      events.push(`finalize ${d.checkpointId}`);
      drafts.push(d);
      return fakeCompleted(d);
    },
    discard: async (id, reason) => {
      events.push(`discard ${id} ${reason}`);
    },
    failJob: (e) => {
      events.push(`failJob ${e.code}`);
      failures.push(e);
    },
    ...over,
  };
  const tasks = opts.tasks ?? TASKS;
  const coord = new CheckpointCoordinator({
    jobId: 'job', config: resolveCheckpointConfig(cfg), clock: timers.clock, scheduler: timers, tasksToAcknowledge: tasks, effects,
    ...(opts.firstCheckpointId ? { firstCheckpointId: opts.firstCheckpointId } : {}),
  });
  const ackAll = (id: number, except: SubtaskKey[] = []): void => {
    for (const t of tasks) if (!except.some((e) => e.vertexId === t.vertexId && e.subtask === t.subtask)) coord.acknowledge(t, id, ack(t, id));
  };
  return { coord, timers, events, triggers, drafts, failures, ackAll };
}

export async function rejection(p: Promise<unknown>): Promise<WeirError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof WeirError, `expected a WeirError, got ${e}`);
    return e;
  }
  assert.fail('expected a rejection');
}

