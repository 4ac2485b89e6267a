/**
 * RecordWriter's side of the producer-side alignment timeout: overtaking an in-band barrier that is
 * still queued behind a full ring, and waiting for a frame to be published. Real rings, one thread.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChannelReader, ChannelWriter, createChannel, Doorbell } from '../../actors/index.ts';
import { RecordWriter } from './record-writer.ts';
import type { Partitioner } from './partitioners.ts';
import { decodeElement, RECORD_BATCH_KIND, type CheckpointBarrier } from '../io/stream-elements.ts';
import { decodeBatch } from '../io/record-codec.ts';

const toChannel0: Partitioner = { select: () => 0 } as unknown as Partitioner;
const barrier: CheckpointBarrier = { checkpointId: 7, timestamp: 1000, kind: 'checkpoint', alignment: 'aligned-with-timeout', alignedTimeoutMs: 100, position: 0 };

function setup() {
  const spec = createChannel({ capacityBytes: 1024 });
  const bell = Doorbell.create();
  const writer = new RecordWriter([new ChannelWriter(spec, bell.buffer)], toChannel0, { targetBatchBytes: 64, maxBatchRecords: 1, maxPendingBytes: 1 << 20, bufferTimeoutMs: 100 });
  return { writer, reader: new ChannelReader(spec) };
}

describe('RecordWriter: producer-side timeout', () => {
  test('overtaking a queued in-band barrier: an unaligned priority barrier at the published count, the frames before it returned', async () => {
    const { writer, reader } = setup();
    const pad = 'x'.repeat(100);
    for (let i = 0; i < 30; i++) writer.emit({ i, pad }, undefined); // one record per frame; the 1 KiB ring fills
    const published = writer.writer(0).dataFramesWritten;
    assert.ok(published > 0 && published < 30, `some frames are queued outside the ring (published ${published})`);
    const index = writer.nextFrameIndex(0);
    writer.sendTo(0, { type: 'barrier', barrier: { ...barrier, position: index } });
    const whenPublished = writer.whenPublished(0, index);
    const overtaken = writer.overtakeQueuedBarrier(0, index, barrier)!;
    assert.equal(overtaken.length, 30 - published, 'every frame between the published count and the barrier');
    assert.deepEqual(overtaken.map((f) => (decodeBatch(f.payload).records[0] as { i: number }).i), Array.from({ length: 30 - published }, (_, k) => published + k));
    const prio = reader.tryReadPriority()!;
    const el = decodeElement(prio.kind, prio.payload);
    assert.equal(el.type, 'priority-barrier');
    assert.deepEqual(el.type === 'priority-barrier' && el.barrier, { ...barrier, alignment: 'unaligned', position: published });
    // The queued frames (and the now obsolete in-band copy) are still delivered, in order.
    let delivered = 0;
    let sawBarrier = false;
    const drained = writer.drain();
    while (!sawBarrier) {
      const f = reader.tryRead();
      if (!f) { await new Promise((r) => setImmediate(r)); continue; }
      if (f.kind === RECORD_BATCH_KIND) delivered++;
      else sawBarrier = decodeElement(f.kind, f.payload).type === 'barrier';
    }
    await drained;
    await whenPublished;
    assert.equal(delivered, 30);
    assert.equal(writer.overtakeQueuedBarrier(0, index, barrier), undefined, 'published: nothing to overtake');
  });

  test('whenPublished resolves at once for a published frame and after drain for a queued one', async () => {
    const { writer, reader } = setup();
    writer.emit({ i: 0 }, undefined);
    await writer.whenPublished(0, 0);
    for (let i = 1; i < 40; i++) writer.emit({ i, pad: 'y'.repeat(100) }, undefined);
    const last = writer.nextFrameIndex(0) - 1;
    let resolved = false;
    const p = writer.whenPublished(0, last).then(() => (resolved = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(resolved, false);
    const drained = writer.drain();
    for (let n = 0; n < 40;) {
      if (reader.tryRead()) n++;
      else await new Promise((r) => setImmediate(r));
    }
    await drained;
    await p;
    assert.equal(resolved, true);
  });
});

describe('RecordWriter: draining', () => {
  test('a consumer that does not read blocks only its own channel: frames queued for another channel are published meanwhile', async () => {
    const specs = [createChannel({ capacityBytes: 1024 }), createChannel({ capacityBytes: 1024 })];
    const byField = { select: (r: { ch: number }) => r.ch } as unknown as Partitioner;
    const writer = new RecordWriter(specs.map((s) => new ChannelWriter(s, Doorbell.create().buffer)), byField, { targetBatchBytes: 64, maxBatchRecords: 1, maxPendingBytes: 1 << 20, bufferTimeoutMs: 100 });
    const pad = 'x'.repeat(100);
    for (let i = 0; i < 30; i++) writer.emit({ ch: 0, i, pad }, undefined); // channel 0's 1 KiB ring fills, the rest queues
    for (let i = 0; i < 30; i++) writer.emit({ ch: 1, i, pad }, undefined); // so does channel 1's
    assert.ok(writer.queuedBytes(0) > 0 && writer.queuedBytes(1) > 0, 'both channels queue frames outside their rings');
    const drained = writer.drain();
    // Only channel 1 is read: every one of its records arrives although channel 0 stays full.
    const reader = new ChannelReader(specs[1]!);
    const got: number[] = [];
    for (let turns = 0; got.length < 30 && turns < 100_000; turns++) {
      const f = reader.tryRead();
      if (f) got.push(...(decodeBatch(f.payload).records as Array<{ i: number }>).map((r) => r.i));
      else await new Promise((r) => setImmediate(r));
    }
    assert.deepEqual(got, Array.from({ length: 30 }, (_, i) => i), 'channel 1 received all its records, in order');
    assert.equal(writer.queuedBytes(1), 0);
    assert.ok(writer.queuedBytes(0) > 0, 'channel 0 still waits for its consumer');
    const reader0 = new ChannelReader(specs[0]!);
    let n0 = 0;
    while (n0 < 30) {
      const f = reader0.tryRead();
      if (f) n0 += decodeBatch(f.payload).records.length;
      else await new Promise((r) => setImmediate(r));
    }
    await drained;
  });
});
