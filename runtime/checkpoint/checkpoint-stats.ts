/**
 * Checkpoint statistics, as Flink's web UI checkpoint tab shows them:
 * counts, latest completed / failed / savepoint / restore, a bounded history
 * of per-checkpoint entries (each with its per-subtask rows) and min/avg/max
 * summaries over every completed checkpoint since the tracker started.
 *
 * Call order per checkpoint: `reportPending` → `reportSubtaskAck`* →
 * (`reportCompleted` | `reportFailed`). Reports for unknown ids are ignored.
 * The tracker is passive bookkeeping: it never reads a clock itself.
 */
import type { SubtaskKey } from './checkpoint-metadata.ts';

/** What one subtask reports about its part of a checkpoint. */
export interface SubtaskCheckpointMetrics {
  syncMs: number;
  asyncMs: number;
  alignmentMs: number;
  startDelayMs: number;
  unaligned: boolean;
  stateBytes: number;
  incrementalStateBytes: number;
  /**
   * Bytes of in-flight data this subtask persisted (unaligned checkpoints). There is no
   * "processed in-flight bytes" (Flink's processedData, bytes processed during alignment):
   * Weir used to report a copy of this figure under that name; measuring it would need a
   * per-frame counter in the input loop for a value Flink itself calls approximate, while
   * `alignmentMs` and `startDelayMs` already show what alignment costs. See docs/checkpointing.md.
   */
  persistedInFlightBytes: number;
}

/** Lifecycle of a checkpoint in the statistics. */
export type CheckpointStatus = 'in_progress' | 'completed' | 'failed';

/** min / avg / max over `count` values; all null when `count` is 0. */
export interface MinAvgMax {
  count: number;
  min: number | null;
  avg: number | null;
  max: number | null;
}

/** One subtask row of a checkpoint. */
export interface SubtaskCheckpointStats extends SubtaskCheckpointMetrics {
  /** `${vertexId}#${subtask}` */
  id: string;
  vertexId: string;
  subtask: number;
  ackTimestamp: number;
  /** ackTimestamp - trigger timestamp */
  endToEndMs: number;
  /** Acknowledged automatically because the subtask had finished (no state). */
  finished: boolean;
}

/** One checkpoint's entry (a plain JSON object). */
export interface CheckpointStats {
  checkpointId: number;
  kind: 'checkpoint' | 'savepoint';
  /** Why it was triggered. */
  trigger: string;
  status: CheckpointStatus;
  failureReason: string | null;
  failureMessage: string | null;
  triggerTimestamp: number;
  latestAckTimestamp: number | null;
  endTimestamp: number | null;
  /**
   * End-to-end duration as Flink's: trigger → latest acknowledgement (for one in progress too);
   * trigger → failure for a failed one. Making `_metadata` durable comes after the last
   * acknowledgement and is not in it: `endTimestamp - latestAckTimestamp`.
   */
  durationMs: number;
  acknowledged: number;
  total: number;
  /** Full state size (sum of subtasks' stateBytes). */
  stateBytes: number;
  /** Bytes actually written by this checkpoint (delta when incremental). */
  checkpointedBytes: number;
  /** In-flight data persisted by the subtasks (unaligned checkpoints). */
  persistedInFlightBytes: number;
  /** Largest alignment duration of any subtask. */
  alignmentMs: number;
  /** Largest start delay of any subtask. */
  startDelayMs: number;
  unalignedSubtasks: number;
  externalPath: string | null;
  subtasks: SubtaskCheckpointStats[];
  subtaskSummary: Record<'syncMs' | 'asyncMs' | 'alignmentMs' | 'startDelayMs' | 'stateBytes', MinAvgMax>;
}

/** A restore from a checkpoint or savepoint. */
export interface RestoreStats {
  checkpointId: number;
  kind: 'checkpoint' | 'savepoint';
  path: string;
  restoreTimestamp: number;
}

/** Keys of the summary over completed checkpoints. */
export type SummaryKey = 'durationMs' | 'stateBytes' | 'checkpointedBytes' | 'persistedInFlightBytes' | 'alignmentMs' | 'startDelayMs';

/** The whole statistics snapshot handed to the job client. */
export interface CheckpointStatsSnapshot {
  counts: { triggered: number; inProgress: number; completed: number; failed: number; restored: number };
  latest: { completed: CheckpointStats | null; failed: CheckpointStats | null; savepoint: CheckpointStats | null; restore: RestoreStats | null };
  summary: Record<SummaryKey, MinAvgMax>;
  /**
   * Per-checkpoint entries, **newest first** (descending checkpoint id, as Flink's history tab):
   * `history[0]` is the latest triggered checkpoint or savepoint. At most `historySize` entries
   * (default 50); in-progress ones are always kept.
   */
  history: CheckpointStats[];
}

class Accumulator {
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  add(v: number): void {
    this.count++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }
  toJSON(): MinAvgMax {
    if (this.count === 0) return { count: 0, min: null, avg: null, max: null };
    return { count: this.count, min: this.min, avg: this.sum / this.count, max: this.max };
  }
}

const SUMMARY_KEYS: readonly SummaryKey[] = ['durationMs', 'stateBytes', 'checkpointedBytes', 'persistedInFlightBytes', 'alignmentMs', 'startDelayMs'];
const SUBTASK_SUMMARY_KEYS = ['syncMs', 'asyncMs', 'alignmentMs', 'startDelayMs', 'stateBytes'] as const;

const ZERO_METRICS: SubtaskCheckpointMetrics = {
  syncMs: 0, asyncMs: 0, alignmentMs: 0, startDelayMs: 0, unaligned: false,
  stateBytes: 0, incrementalStateBytes: 0, persistedInFlightBytes: 0,
};

interface Entry {
  checkpointId: number;
  kind: 'checkpoint' | 'savepoint';
  trigger: string;
  status: CheckpointStatus;
  failureReason: string | null;
  failureMessage: string | null;
  triggerTimestamp: number;
  latestAckTimestamp: number | null;
  endTimestamp: number | null;
  total: number;
  externalPath: string | null;
  subtasks: Map<string, SubtaskCheckpointStats>;
}

/** Collects checkpoint statistics; `toJSON()` gives a {@link CheckpointStatsSnapshot}. */
export class CheckpointStatsTracker {
  /** Finished (completed or failed) entries kept in the history. */
  readonly historySize: number;
  private readonly entries = new Map<number, Entry>();
  private readonly counts = { triggered: 0, inProgress: 0, completed: 0, failed: 0, restored: 0 };
  private latestCompleted: Entry | null = null;
  private latestFailed: Entry | null = null;
  private latestSavepoint: Entry | null = null;
  private latestRestore: RestoreStats | null = null;
  private readonly summary = new Map<SummaryKey, Accumulator>(SUMMARY_KEYS.map((k) => [k, new Accumulator()]));
  private readonly listeners = new Set<(stats: CheckpointStats) => void>();

  constructor(opts: { historySize?: number } = {}) {
    this.historySize = Math.max(1, opts.historySize ?? 50);
  }

  /** A checkpoint was triggered and awaits `totalSubtasks` acknowledgements. */
  reportPending(p: { checkpointId: number; kind: 'checkpoint' | 'savepoint'; trigger: string; triggerTimestamp: number; totalSubtasks: number }): void {
    this.counts.triggered++;
    this.counts.inProgress++;
    this.entries.set(p.checkpointId, {
      checkpointId: p.checkpointId, kind: p.kind, trigger: p.trigger, status: 'in_progress',
      failureReason: null, failureMessage: null, triggerTimestamp: p.triggerTimestamp,
      latestAckTimestamp: null, endTimestamp: null, total: p.totalSubtasks, externalPath: null,
      subtasks: new Map(),
    });
  }

  /** A subtask acknowledged (`metrics = 'finished'` for a finished subtask acknowledged with empty state). */
  reportSubtaskAck(checkpointId: number, subtask: SubtaskKey, ackTimestamp: number, metrics: SubtaskCheckpointMetrics | 'finished'): void {
    const e = this.entries.get(checkpointId);
    if (!e || e.status !== 'in_progress') return;
    const id = `${subtask.vertexId}#${subtask.subtask}`;
    const m = metrics === 'finished' ? ZERO_METRICS : metrics;
    e.subtasks.set(id, {
      id, vertexId: subtask.vertexId, subtask: subtask.subtask, ackTimestamp,
      endToEndMs: Math.max(0, ackTimestamp - e.triggerTimestamp), finished: metrics === 'finished',
      syncMs: m.syncMs, asyncMs: m.asyncMs, alignmentMs: m.alignmentMs, startDelayMs: m.startDelayMs,
      unaligned: m.unaligned, stateBytes: m.stateBytes, incrementalStateBytes: m.incrementalStateBytes,
      persistedInFlightBytes: m.persistedInFlightBytes,
    });
    e.latestAckTimestamp = Math.max(e.latestAckTimestamp ?? ackTimestamp, ackTimestamp);
  }

  /**
   * Call `listener` with the statistics of every checkpoint or savepoint that completes or fails
   * from now on (after the tracker recorded it). Returns the function that unsubscribes.
   */
  onFinished(listener: (stats: CheckpointStats) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private announce(e: Entry): void {
    if (this.listeners.size === 0) return;
    const s = toStats(e);
    for (const l of [...this.listeners]) {
      try {
        l(s);
      } catch {
        // A listener's failure must not break the checkpoint protocol.
      }
    }
  }

  /** The checkpoint's `_metadata` is durable. */
  reportCompleted(checkpointId: number, endTimestamp: number, externalPath?: string): void {
    const e = this.finish(checkpointId, 'completed', endTimestamp);
    if (!e) return;
    e.externalPath = externalPath ?? null;
    this.counts.completed++;
    this.latestCompleted = e;
    if (e.kind === 'savepoint') this.latestSavepoint = e;
    const s = toStats(e);
    for (const k of SUMMARY_KEYS) this.summary.get(k)!.add(s[k]);
    this.prune();
    this.announce(e);
  }

  /** The checkpoint was aborted. */
  reportFailed(checkpointId: number, endTimestamp: number, failureReason: string, failureMessage?: string): void {
    const e = this.finish(checkpointId, 'failed', endTimestamp);
    if (!e) return;
    e.failureReason = failureReason;
    e.failureMessage = failureMessage ?? null;
    this.counts.failed++;
    this.latestFailed = e;
    this.prune();
    this.announce(e);
  }

  /** The job was restored from a checkpoint or savepoint. */
  reportRestored(r: RestoreStats): void {
    this.counts.restored++;
    this.latestRestore = { ...r };
  }

  /** The entry of one checkpoint if still in the history. */
  checkpoint(checkpointId: number): CheckpointStats | undefined {
    const e = this.entries.get(checkpointId);
    return e ? toStats(e) : undefined;
  }

  /**
   * The entry as it will read once completed at `endTimestamp` — what goes
   * into the checkpoint's `_metadata`, which is written before completion.
   */
  completedView(checkpointId: number, endTimestamp: number): CheckpointStats | undefined {
    const e = this.entries.get(checkpointId);
    if (!e) return undefined;
    return toStats({ ...e, status: 'completed', endTimestamp });
  }

  /** A JSON-safe snapshot for the job client. */
  toJSON(): CheckpointStatsSnapshot {
    const summary = {} as Record<SummaryKey, MinAvgMax>;
    for (const k of SUMMARY_KEYS) summary[k] = this.summary.get(k)!.toJSON();
    const history = [...this.entries.values()].sort((a, b) => b.checkpointId - a.checkpointId).map(toStats);
    return {
      counts: { ...this.counts },
      latest: {
        completed: this.latestCompleted && toStats(this.latestCompleted),
        failed: this.latestFailed && toStats(this.latestFailed),
        savepoint: this.latestSavepoint && toStats(this.latestSavepoint),
        restore: this.latestRestore && { ...this.latestRestore },
      },
      summary,
      history,
    };
  }

  private finish(checkpointId: number, status: 'completed' | 'failed', endTimestamp: number): Entry | undefined {
    const e = this.entries.get(checkpointId);
    if (!e || e.status !== 'in_progress') return undefined;
    e.status = status;
    e.endTimestamp = endTimestamp;
    this.counts.inProgress--;
    return e;
  }

  private prune(): void {
    const finished = [...this.entries.values()].filter((e) => e.status !== 'in_progress').sort((a, b) => a.checkpointId - b.checkpointId);
    for (let i = 0; i < finished.length - this.historySize; i++) this.entries.delete(finished[i].checkpointId);
  }
}

function toStats(e: Entry): CheckpointStats {
  const subtasks = [...e.subtasks.values()].sort((a, b) => (a.vertexId < b.vertexId ? -1 : a.vertexId > b.vertexId ? 1 : a.subtask - b.subtask)).map((s) => ({ ...s }));
  let stateBytes = 0, checkpointedBytes = 0, persisted = 0, alignmentMs = 0, startDelayMs = 0, unalignedSubtasks = 0;
  const subtaskSummary = Object.fromEntries(SUBTASK_SUMMARY_KEYS.map((k) => [k, new Accumulator()])) as Record<(typeof SUBTASK_SUMMARY_KEYS)[number], Accumulator>;
  for (const s of subtasks) {
    stateBytes += s.stateBytes;
    checkpointedBytes += s.incrementalStateBytes;
    persisted += s.persistedInFlightBytes;
    alignmentMs = Math.max(alignmentMs, s.alignmentMs);
    startDelayMs = Math.max(startDelayMs, s.startDelayMs);
    if (s.unaligned) unalignedSubtasks++;
    if (!s.finished) for (const k of SUBTASK_SUMMARY_KEYS) subtaskSummary[k].add(s[k]);
  }
  const end = (e.status === 'completed' ? e.latestAckTimestamp ?? e.endTimestamp : e.endTimestamp ?? e.latestAckTimestamp) ?? e.triggerTimestamp;
  return {
    checkpointId: e.checkpointId, kind: e.kind, trigger: e.trigger, status: e.status,
    failureReason: e.failureReason, failureMessage: e.failureMessage,
    triggerTimestamp: e.triggerTimestamp, latestAckTimestamp: e.latestAckTimestamp, endTimestamp: e.endTimestamp,
    durationMs: Math.max(0, end - e.triggerTimestamp),
    acknowledged: subtasks.length, total: e.total,
    stateBytes, checkpointedBytes, persistedInFlightBytes: persisted,
    alignmentMs, startDelayMs, unalignedSubtasks, externalPath: e.externalPath,
    subtasks,
    subtaskSummary: {
      syncMs: subtaskSummary.syncMs.toJSON(), asyncMs: subtaskSummary.asyncMs.toJSON(),
      alignmentMs: subtaskSummary.alignmentMs.toJSON(), startDelayMs: subtaskSummary.startDelayMs.toJSON(),
      stateBytes: subtaskSummary.stateBytes.toJSON(),
    },
  };
}
