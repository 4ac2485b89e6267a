/**
 * When does a recovery end? The new attempt is *running* once every subtask is deployed and has
 * restored its state (`FailoverRecord.runningAt`), but with unaligned checkpoints it then still
 * replays the in-flight data of the checkpoint it restored — under backpressure that can take
 * minutes (a sink 100× slower than its source behind 1 MiB rings). This tracker owns the end:
 * `replayedAt` is set once every subtask that restored in-flight data reported it replayed
 * (`in-flight-replayed`, task-protocol.ts), and checkpoints that complete before that are counted
 * (`checkpointsDuringReplay`: Flink's checkpoints during recovery, FLIP-547 — the data not
 * replayed yet is persisted again as channel state, input-task.ts `inputPosition`).
 *
 * Call order per attempt: attemptStarting → subtaskReplayed* (may come before running) →
 * attemptRunning → subtaskReplayed* / checkpointCompleted*.
 */
import type { FailoverRecord } from './job-client.ts';

export class InFlightReplayTracker {
  private record: FailoverRecord | undefined;
  private pending = new Set<string>();
  /** Replays reported before the attempt was running (a subtask may replay nothing quickly). */
  private early = new Set<string>();
  private running = false;

  /** A new attempt is being deployed: forget the previous one. */
  attemptStarting(): void {
    this.record = undefined;
    this.pending.clear();
    this.early.clear();
    this.running = false;
  }

  /**
   * Every subtask of the attempt runs. `record`: the failover that started it (none for the first
   * attempt); `withInFlight`: keys of the subtasks that restored in-flight data.
   */
  attemptRunning(record: FailoverRecord | undefined, withInFlight: Iterable<string>, now: number): void {
    this.running = true;
    this.record = record;
    this.pending = new Set([...withInFlight].filter((k) => !this.early.has(k)));
    this.early.clear();
    if (!record) return;
    record.checkpointsDuringReplay = 0;
    record.replayedAt = 0;
    if (this.pending.size === 0) this.finish(now);
  }

  /** Subtask `key` replayed the in-flight data it restored. */
  subtaskReplayed(key: string, now: number): void {
    if (!this.running) {
      this.early.add(key);
      return;
    }
    if (this.pending.delete(key) && this.pending.size === 0) this.finish(now);
  }

  /** A checkpoint completed. */
  checkpointCompleted(): void {
    if (this.record && this.running && this.record.replayedAt === 0) this.record.checkpointsDuringReplay++;
  }

  private finish(now: number): void {
    const r = this.record;
    if (!r || r.replayedAt !== 0) return;
    r.replayedAt = Math.max(now, r.runningAt);
    r.replayMs = r.replayedAt - r.runningAt;
  }
}
