/**
 * The watermark and watermark status of a subtask with several input channels (Flink's
 * `StatusWatermarkValve`). Pure: it calls its {@link ValveOutput} when the subtask's watermark
 * advances or its status changes.
 *
 * - The watermark is the minimum over the *aligned* channels: active, still carrying data, and
 *   not behind what the valve already emitted. A channel that delivered end-of-data (or ended)
 *   no longer holds the watermark back; neither does an idle one.
 * - A channel marked idle (its producer saw no records for its idle timeout: `idleTimeoutMs` of
 *   a watermark strategy) leaves the minimum; its watermarks are ignored until it is active
 *   again. Back to active, it rejoins the minimum once its watermark catches up with the emitted
 *   one (until then its records may be late, as in Flink).
 * - When every open channel is idle, the valve first emits the maximum watermark over the
 *   channels (nothing will advance them any more: Flink "flushes" them), then reports the
 *   subtask idle; the first channel to turn active reports it active again.
 */
export interface ValveOutput {
  /** The subtask's watermark advanced to `timestamp`. */
  watermark(timestamp: number): void;
  /** The subtask's watermark status changed: every open input idle, or one active again. */
  status(idle: boolean): void;
}

export class WatermarkValve {
  private readonly watermarks: Float64Array;
  private readonly dataEnded: boolean[];
  private readonly idle: boolean[];
  /** Active, open and not behind the emitted watermark: counted in the minimum. */
  private readonly aligned: boolean[];
  private emitted = -Infinity;
  private outputIdle = false;

  constructor(channels: number, private readonly out: ValveOutput) {
    this.watermarks = new Float64Array(channels).fill(-Infinity);
    this.dataEnded = new Array<boolean>(channels).fill(false);
    this.idle = new Array<boolean>(channels).fill(false);
    this.aligned = new Array<boolean>(channels).fill(true);
  }

  /** A watermark arrived on `channel` (ignored from an idle or ended channel, or going back). */
  onWatermark(channel: number, timestamp: number): void {
    if (this.idle[channel] || this.dataEnded[channel] || !(timestamp > this.watermarks[channel]!)) return;
    this.watermarks[channel] = timestamp;
    if (!this.aligned[channel] && timestamp >= this.emitted) this.aligned[channel] = true;
    this.advance();
  }

  /** `channel` turned idle or active again. */
  onStatus(channel: number, idle: boolean): void {
    if (this.dataEnded[channel] || this.idle[channel] === idle) return;
    this.idle[channel] = idle;
    if (idle) {
      this.aligned[channel] = false;
      if (!this.idleIfAllOpenIdle()) this.advance();
      return;
    }
    this.aligned[channel] = this.watermarks[channel]! >= this.emitted;
    if (this.outputIdle) {
      this.outputIdle = false;
      this.out.status(false);
    }
  }

  /**
   * `channel` carries no more records or watermarks: it no longer holds the watermark back.
   * When every channel has ended, nothing is emitted here (the end of data emits its own).
   */
  onDataEnded(channel: number): void {
    if (this.dataEnded[channel]) return;
    this.dataEnded[channel] = true;
    this.aligned[channel] = false;
    if (!this.idleIfAllOpenIdle()) this.advance();
  }

  /** The last watermark this valve emitted. */
  get current(): number {
    return this.emitted;
  }

  /** Whether the valve reported the subtask idle. */
  get isIdle(): boolean {
    return this.outputIdle;
  }

  /** Every open channel idle (and at least one open): flush the maximum, report idle. */
  private idleIfAllOpenIdle(): boolean {
    let open = 0;
    let max = -Infinity;
    for (let i = 0; i < this.watermarks.length; i++) {
      if (this.dataEnded[i]) continue;
      if (!this.idle[i]) return false;
      open++;
      if (this.watermarks[i]! > max) max = this.watermarks[i]!;
    }
    if (open === 0 || this.outputIdle) return open > 0;
    if (max > this.emitted) {
      this.emitted = max;
      this.out.watermark(max);
    }
    this.outputIdle = true;
    this.out.status(true);
    return true;
  }

  private advance(): void {
    let min = Infinity;
    let any = false;
    for (let i = 0; i < this.watermarks.length; i++) {
      if (!this.aligned[i]) continue;
      any = true;
      if (this.watermarks[i]! < min) min = this.watermarks[i]!;
    }
    if (!any || !(min > this.emitted)) return;
    this.emitted = min;
    this.out.watermark(min);
  }
}
