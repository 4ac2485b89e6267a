/**
 * The watermark of a subtask with several input channels (Flink's `StatusWatermarkValve`):
 * the minimum of the channels' watermarks, over the channels that still carry data. A channel
 * that delivered end-of-data (or ended) no longer holds the watermark back. Pure.
 */
export class WatermarkValve {
  private readonly watermarks: Float64Array;
  private readonly dataEnded: boolean[];
  private emitted = -Infinity;

  constructor(channels: number) {
    this.watermarks = new Float64Array(channels).fill(-Infinity);
    this.dataEnded = new Array<boolean>(channels).fill(false);
  }

  /** A watermark arrived on `channel`: the subtask's new watermark if it advanced, else undefined. */
  onWatermark(channel: number, timestamp: number): number | undefined {
    if (timestamp > this.watermarks[channel]!) this.watermarks[channel] = timestamp;
    return this.advance();
  }

  /**
   * `channel` carries no more records or watermarks: the new watermark if that advanced it.
   * When every channel has ended, nothing is emitted here (the end of data emits its own).
   */
  onDataEnded(channel: number): number | undefined {
    if (this.dataEnded[channel]) return undefined;
    this.dataEnded[channel] = true;
    return this.advance();
  }

  /** The last watermark this valve emitted. */
  get current(): number {
    return this.emitted;
  }

  private advance(): number | undefined {
    let min = Infinity;
    let open = 0;
    for (let i = 0; i < this.watermarks.length; i++) {
      if (this.dataEnded[i]) continue;
      open++;
      if (this.watermarks[i]! < min) min = this.watermarks[i]!;
    }
    if (open === 0 || !(min > this.emitted)) return undefined;
    this.emitted = min;
    return min;
  }
}
