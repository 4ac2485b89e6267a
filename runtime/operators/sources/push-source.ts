/**
 * The worker end of a push source (`env.fromPushSource(name)`): records the embedding app pushed
 * on the main thread (job/push-sources.ts) arrive as record batches on a channel from the main
 * thread, then an end-of-data element when the app called `endPush(name)`. The position is the
 * number of records this source emitted since the job first started; it is the checkpointed
 * offset, and after a failover the main thread re-sends from the restored position.
 */
import { ChannelReader, Doorbell, type ChannelSpec } from '../../../actors/in-worker.ts';
import { decodeBatch } from '../../io/record-codec.ts';
import { RECORD_BATCH_KIND, decodeElement } from '../../io/stream-elements.ts';
import type { SourceBatch, SourceReader } from './source-reader.ts';
import { isPushSourceOffset, type PushSourceOffset } from '../../io/push-protocol.ts';

/** The channel a push source subtask reads (created per attempt by the main thread). */
export interface PushChannelArgs {
  readonly channel: ChannelSpec;
  /** Rung by the main thread after each frame it publishes. */
  readonly doorbell: SharedArrayBuffer;
}

export class PushSourceReader implements SourceReader {
  private readonly reader: ChannelReader;
  private readonly bell: Doorbell;
  private buffer: unknown[] = [];
  private ended = false;
  private position: number;

  constructor(args: PushChannelArgs, restoredOffset: unknown) {
    this.reader = new ChannelReader(args.channel);
    this.bell = new Doorbell(args.doorbell);
    this.position = isPushSourceOffset(restoredOffset) ? restoredOffset.pushPosition : 0;
  }

  read(max: number): SourceBatch | Promise<SourceBatch> {
    this.fill();
    if (this.buffer.length > 0) {
      const records = this.buffer.length <= max ? this.buffer : this.buffer.slice(0, max);
      this.buffer = this.buffer.length <= max ? [] : this.buffer.slice(max);
      this.position += records.length;
      return { records, done: false };
    }
    if (this.ended || this.reader.isFinished()) return { records: [], done: true };
    return this.waitForData().then(() => this.read(max));
  }

  offset(): PushSourceOffset {
    return { pushPosition: this.position };
  }

  close(): void {
    this.reader.close();
    this.bell.forceRing(); // a read still waiting for data returns
  }

  private fill(): void {
    while (!this.ended) {
      const f = this.reader.tryRead();
      if (!f) return;
      if (f.kind === RECORD_BATCH_KIND) {
        const { records } = decodeBatch(f.payload);
        for (const r of records) this.buffer.push(r);
      } else if (decodeElement(f.kind, f.payload).type === 'end-of-data') this.ended = true;
    }
  }

  private async waitForData(): Promise<void> {
    const token = this.bell.prepareWait();
    if (this.reader.hasAny() || this.reader.isFinished()) {
      this.bell.cancelWait();
      return;
    }
    await this.bell.wait(token);
  }
}
