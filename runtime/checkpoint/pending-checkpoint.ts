/**
 * The coordinator's protocol types (subtask acks, the effects it calls, its
 * options) and one triggered, not yet completed checkpoint: which subtasks still owe an
 * acknowledgement, what each one reported, and the deferred result handed to
 * the caller of `trigger()`.
 *
 * Phases (`status`): `collecting` → `finalizing` (every non-finished subtask
 * acknowledged; `_metadata` being written) → `completed`; any phase before
 * `completed` → `aborted`. The coordinator owns the transitions; this class
 * only records facts and answers questions. Pure: no clock, no I/O.
 */
import type { SubtaskCheckpointMetrics } from './checkpoint-stats.ts';
import type { Cancel } from './scheduler.ts';
import type { WeirError } from '../../common/weir-error.ts';
import {
  subtaskId,
  type CheckpointFile, type CompletedCheckpoint, type CompletedCheckpointDraft, type MetadataFile,
  type SubtaskKey, type SubtaskState, type VertexInfo,
} from './checkpoint-metadata.ts';
import type { CheckpointStats } from './checkpoint-stats.ts';
import type { BarrierAlignment } from '../io/stream-elements.ts';

/** What a subtask sends when its part of checkpoint n is durable. */
export interface SubtaskAck {
  /** Opaque JSON (keyed + operator state handles). */
  stateHandles: unknown;
  /** Opaque JSON (persisted in-flight data). */
  channelStateHandles: unknown;
  /** Every file this subtask wrote / references for this checkpoint, relative to the checkpoint root dir (`<dir>/<jobId>/`). */
  files: CheckpointFile[];
  metrics: SubtaskCheckpointMetrics;
}

/** Options passed to the sources with a barrier. */
export interface TriggerSourcesOptions {
  kind: 'checkpoint' | 'savepoint';
  alignment: 'aligned' | 'unaligned' | 'aligned-with-timeout';
  /** Only meaningful for 'aligned-with-timeout'; 0 otherwise. */
  alignedTimeoutMs: number;
  /** Savepoints: the full savepoint directory the subtasks write into. */
  targetDirectory?: string;
}

/** Why something is discarded. */
export type DiscardReason = 'subsumed' | 'aborted' | 'retention' | 'shutdown';

/** What the discard effect needs to know beyond the id. */
export interface DiscardInfo {
  kind: 'checkpoint' | 'savepoint';
  /** Files reported for it (for aborted ones: what the acks so far named). */
  files: CheckpointFile[];
  /** The checkpoint or savepoint directory when known. */
  directory?: string;
}

/** Every side effect of the coordinator. Calls may arrive re-entrantly; synchronous throws are caught and logged. */
export interface CoordinatorEffects {
  /** Inject barrier `checkpointId` at every source subtask. */
  triggerSources(checkpointId: number, timestamp: number, options: TriggerSourcesOptions): void;
  /** Best effort, subsuming: completion of n covers every pending transaction <= n. */
  notifyComplete(checkpointId: number): void;
  notifyAborted(checkpointId: number, reason: string): void;
  /** Write `_metadata` (storage does it, last and atomically); resolves when durable. */
  finalize(checkpoint: CompletedCheckpointDraft): Promise<CompletedCheckpoint>;
  /** Delete a checkpoint's exclusive files and release its shared files. Must be idempotent. */
  discard(checkpointId: number, reason: DiscardReason, info: DiscardInfo): Promise<void>;
  /** Consecutive counted failures exceeded `tolerableFailures`: the job must fail over. */
  failJob(error: WeirError): void;
}

/** The logging surface the coordinator uses (a pino logger fits). */
export interface CoordinatorLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** How the job ended, for retention on shutdown. */
export type JobTerminalStatus = 'cancelled' | 'finished' | 'failed' | 'suspended';

/** Options of {@link CheckpointCoordinator.trigger}. */
export interface TriggerOptions {
  kind?: 'checkpoint' | 'savepoint';
  /** Default: 'savepoint' for savepoints, 'manual' otherwise. A savepoint with 'final' is a stop-with-savepoint. */
  reason?: 'periodic' | 'manual' | 'final' | 'savepoint';
  /** Savepoints: the savepoint directory (see `CheckpointStorage.savepointPath`). */
  targetDirectory?: string;
}

/** Phase of a pending checkpoint. */
export type PendingStatus = 'collecting' | 'finalizing' | 'completed' | 'aborted';

/** Result of offering an acknowledgement to a pending checkpoint. */
export type AckOutcome = 'accepted' | 'duplicate' | 'unknown-subtask' | 'not-collecting';

interface Acked {
  key: SubtaskKey;
  finished: boolean;
  ack: SubtaskAck | undefined;
}

/** A checkpoint between trigger and completion/abort. */
export class PendingCheckpoint {
  readonly checkpointId: number;
  readonly kind: 'checkpoint' | 'savepoint';
  readonly trigger: string;
  readonly triggerTimestamp: number;
  readonly alignment: BarrierAlignment;
  readonly targetDirectory: string | undefined;
  status: PendingStatus = 'collecting';
  /** Cancels the expiry timer. */
  cancelTimeout: Cancel = () => {};
  /** Settles the caller's promise; settled exactly once by the coordinator. */
  readonly result: Promise<CompletedCheckpoint>;
  private resolveFn!: (c: CompletedCheckpoint) => void;
  private rejectFn!: (e: Error) => void;
  private readonly expected: Map<string, SubtaskKey>;
  private readonly acked = new Map<string, Acked>();
  private readonly lateFiles: CheckpointFile[] = [];

  constructor(p: {
    checkpointId: number; kind: 'checkpoint' | 'savepoint'; trigger: string; triggerTimestamp: number;
    alignment: BarrierAlignment; tasksToAcknowledge: SubtaskKey[]; targetDirectory?: string;
  }) {
    this.checkpointId = p.checkpointId;
    this.kind = p.kind;
    this.trigger = p.trigger;
    this.triggerTimestamp = p.triggerTimestamp;
    this.alignment = p.alignment;
    this.targetDirectory = p.targetDirectory;
    this.expected = new Map(p.tasksToAcknowledge.map((k) => [subtaskId(k), { vertexId: k.vertexId, subtask: k.subtask }]));
    this.result = new Promise<CompletedCheckpoint>((resolve, reject) => {
      this.resolveFn = resolve;
      this.rejectFn = reject;
    });
  }

  /** Subtasks expected to acknowledge. */
  get totalCount(): number {
    return this.expected.size;
  }

  /** Subtasks that acknowledged (including finished ones acknowledged automatically). */
  get acknowledgedCount(): number {
    return this.acked.size;
  }

  /** Whether this subtask has acknowledged (or was acknowledged as finished). */
  hasAcknowledged(key: SubtaskKey): boolean {
    return this.acked.has(subtaskId(key));
  }

  /** Record a real acknowledgement. */
  acknowledge(key: SubtaskKey, ack: SubtaskAck): AckOutcome {
    const id = subtaskId(key);
    if (!this.expected.has(id)) return 'unknown-subtask';
    if (this.status !== 'collecting') {
      if (this.status === 'aborted') this.lateFiles.push(...ack.files);
      return 'not-collecting';
    }
    if (this.acked.has(id)) return 'duplicate';
    this.acked.set(id, { key: this.expected.get(id)!, finished: false, ack });
    return 'accepted';
  }

  /** Acknowledge a finished subtask with empty state; false if it already acknowledged or is unknown. */
  acknowledgeFinished(key: SubtaskKey): boolean {
    const id = subtaskId(key);
    if (!this.expected.has(id) || this.acked.has(id) || this.status !== 'collecting') return false;
    this.acked.set(id, { key: this.expected.get(id)!, finished: true, ack: undefined });
    return true;
  }

  /** Every expected subtask acknowledged. */
  isFullyAcknowledged(): boolean {
    return this.acked.size === this.expected.size;
  }

  /** Every file any subtask reported for this checkpoint so far (for cleanup on abort), deduplicated by path. */
  files(): CheckpointFile[] {
    const byPath = new Map<string, CheckpointFile>();
    for (const a of this.acked.values()) for (const f of a.ack?.files ?? []) if (!byPath.has(f.path)) byPath.set(f.path, f);
    for (const f of this.lateFiles) if (!byPath.has(f.path)) byPath.set(f.path, f);
    return [...byPath.values()];
  }

  /** The draft handed to `finalize` (subtasks and files in a stable order). */
  toDraft(p: { jobId: string; vertices: VertexInfo[]; completionTimestamp: number; stats: CheckpointStats }): CompletedCheckpointDraft {
    const entries = [...this.acked.values()].sort((a, b) => compareKeys(a.key, b.key));
    const subtasks: SubtaskState[] = entries.map((a) => ({
      vertexId: a.key.vertexId, subtask: a.key.subtask, finished: a.finished,
      stateHandles: a.ack?.stateHandles ?? null, channelStateHandles: a.ack?.channelStateHandles ?? null,
    }));
    const files: MetadataFile[] = [];
    const seen = new Set<string>();
    for (const a of entries) {
      for (const f of a.ack?.files ?? []) {
        if (seen.has(f.path)) continue;
        seen.add(f.path);
        files.push({ path: f.path, bytes: f.bytes, sha256: f.sha256, shared: f.shared, subtask: subtaskId(a.key) });
      }
    }
    const draft: CompletedCheckpointDraft = {
      jobId: p.jobId, checkpointId: this.checkpointId, kind: this.kind, trigger: this.trigger, alignment: this.alignment,
      triggerTimestamp: this.triggerTimestamp, completionTimestamp: p.completionTimestamp,
      vertices: p.vertices, subtasks, files, stats: p.stats,
    };
    if (this.targetDirectory !== undefined) draft.targetDirectory = this.targetDirectory;
    return draft;
  }

  /** Settle successfully (coordinator only). */
  resolve(c: CompletedCheckpoint): void {
    this.resolveFn(c);
  }

  /** Settle with an error (coordinator only). */
  reject(e: Error): void {
    this.rejectFn(e);
  }
}

/** Order subtask keys by vertex id, then subtask index. */
export function compareKeys(a: SubtaskKey, b: SubtaskKey): number {
  if (a.vertexId !== b.vertexId) return a.vertexId < b.vertexId ? -1 : 1;
  return a.subtask - b.subtask;
}
