/**
 * What a subtask reports about itself (`client.metrics()` per subtask) and the accounting of its
 * time: Flink's busy / idle / back-pressured split. Idle: waiting for input (or, at a source, for
 * its data or the end of input). Back-pressured: waiting for space on a full output ring. Busy:
 * the rest of the time since the loop started (processing, mails, snapshots).
 */
export interface TaskMetrics {
  vertex: number;
  subtask: number;
  recordsIn: number;
  recordsOut: number;
  bytesOut: number;
  framesIn: number;
  /** Time the loop worked (not idle, not waiting for output space), ms since the loop started. */
  busyMs: number;
  /** Time waiting for input (or, at a source, for its data or the end of input), ms. */
  idleMs: number;
  /** Time waiting for space on full output rings, ms. */
  backPressuredMs: number;
  /** Mails run (control calls, timers). */
  mailsRun: number;
  finished: boolean;
  /** The subtask's current (input) watermark, Flink's `currentInputWatermark`; -Infinity before the first. */
  inputWatermark: number;
  /** The last watermark emitted on its output channels (`currentOutputWatermark`); -Infinity before the first or without outputs. */
  outputWatermark: number;
  /** Approximate bytes of keyed state (LMDB pages in use; the heap backend's estimate); null without keyed state. */
  keyedStateBytes: number | null;
  /** Buffer debloating (input tasks with `bufferDebloat`): the per-channel limit published last (Flink's `debloatedBufferSize`). */
  debloatedBufferBytes?: number;
  /** Buffer debloating: bytes queued on the input rings ÷ the measured throughput, ms (Flink's `estimatedTimeToConsumeBuffersMs`). */
  estimatedTimeToConsumeBuffersMs?: number;
}

export class TaskTimes {
  private startedAt = 0;
  private idleMs = 0;
  private backPressuredMs = 0;
  /** The wait in progress (a nested one counts as the outer). */
  private waiting: { kind: 'idle' | 'back-pressured'; since: number } | undefined;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** The loop starts. */
  start(): void {
    this.startedAt = this.now();
  }

  /** Awaits `wait`, counted as idle time. */
  idle<T>(wait: Promise<T>): Promise<T> {
    return this.during('idle', () => wait);
  }

  /** Awaits `wait`, counted as back-pressured time ({@link backPressured} meanwhile). */
  backPressure<T>(wait: () => Promise<T>): Promise<T> {
    return this.during('back-pressured', wait);
  }

  private async during<T>(kind: 'idle' | 'back-pressured', wait: () => Promise<T>): Promise<T> {
    if (this.waiting !== undefined) return wait();
    const w = { kind, since: this.now() };
    this.waiting = w;
    try {
      return await wait();
    } finally {
      this.waiting = undefined;
      if (kind === 'idle') this.idleMs += this.now() - w.since;
      else this.backPressuredMs += this.now() - w.since;
    }
  }

  /** Whether the loop waits for output space right now (Flink's `isBackPressured`). */
  get backPressured(): boolean {
    return this.waiting?.kind === 'back-pressured';
  }

  /**
   * busy / idle / back-pressured ms so far, the wait in progress included (counted as busy until it
   * ended, a long wait read as busy and the busy counter went back when it ended).
   */
  split(): Pick<TaskMetrics, 'busyMs' | 'idleMs' | 'backPressuredMs'> {
    const now = this.now();
    const elapsed = this.startedAt === 0 ? 0 : now - this.startedAt;
    const current = this.waiting === undefined ? 0 : now - this.waiting.since;
    const idleMs = this.idleMs + (this.waiting?.kind === 'idle' ? current : 0);
    const backPressuredMs = this.backPressuredMs + (this.waiting?.kind === 'back-pressured' ? current : 0);
    return { busyMs: Math.max(0, elapsed - idleMs - backPressuredMs), idleMs, backPressuredMs };
  }
}
