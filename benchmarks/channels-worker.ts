/**
 * Worker side of `npm run bench:channels` (benchmarks/channels.ts): one job
 * per message, one reply per job. Records are raw bytes whose first 4 bytes
 * hold their sequence number (little-endian u32); every consumer checks the
 * sequence, so a lost, duplicated or reordered record shows up as an error.
 *
 * Consumers time from the first record they receive to the last; producers
 * start when they get their job (after the consumer replied 'ready').
 * postMessage transports get credit-based flow control (bounded memory like
 * the ring): at most `window` records/batches in flight, acked in quarters.
 */
import { parentPort, type MessagePort } from 'node:worker_threads';
import { ChannelReader, ChannelWriter, type ChannelSpec } from '../actors/channel.ts';
import { Doorbell } from '../actors/doorbell.ts';
import { BatchBuilder, decodeBatch } from '../runtime/io/record-codec.ts';

/** A job sent by the main thread. */
export interface Job {
  role: 'ring-producer' | 'ring-consumer' | 'codec-producer' | 'codec-consumer' | 'pm-producer' | 'pm-consumer' | 'idle-consumer';
  recordBytes: number;
  records: number;
  frameBytes: number;
  batched?: boolean;
  window?: number;
  spec?: ChannelSpec;
  bell?: SharedArrayBuffer;
  port?: MessagePort;
}

/** A consumer's report. */
export interface ConsumerReport {
  records: number;
  errors: number;
  elapsedMs: number;
}

const main = parentPort!;

main.on('message', (job: Job) => {
  run(job).then(
    (result) => main.postMessage({ done: true, result }),
    (err: unknown) => main.postMessage({ done: true, error: String((err as Error)?.stack ?? err) }),
  );
});

async function run(job: Job): Promise<unknown> {
  switch (job.role) {
    case 'ring-producer':
      return ringProducer(job);
    case 'ring-consumer':
    case 'idle-consumer':
      return ringConsumer(job, false);
    case 'codec-producer':
      return codecProducer(job);
    case 'codec-consumer':
      return ringConsumer(job, true);
    case 'pm-producer':
      return pmProducer(job);
    case 'pm-consumer':
      return pmConsumer(job);
  }
}

async function ringProducer(job: Job): Promise<void> {
  const w = new ChannelWriter(job.spec!, job.bell!);
  const rb = job.recordBytes;
  const perFrame = Math.max(1, Math.floor(job.frameBytes / rb));
  const frame = new Uint8Array(perFrame * rb);
  const dv = new DataView(frame.buffer);
  let seq = 0;
  while (seq < job.records) {
    const n = Math.min(perFrame, job.records - seq);
    for (let i = 0; i < n; i++) dv.setUint32(i * rb, seq++, true);
    const payload = n === perFrame ? frame : frame.subarray(0, n * rb);
    if (!w.tryWrite(1, payload)) await w.write(1, payload); // awaited: the frame buffer is reused
  }
  w.close();
}

async function codecProducer(job: Job): Promise<void> {
  const w = new ChannelWriter(job.spec!, job.bell!);
  const b = new BatchBuilder();
  const keys = Array.from({ length: 1000 }, (_, i) => `key-${(i * 7919) % 10000}`);
  for (let seq = 0; seq < job.records; seq++) {
    b.add({ id: seq, key: keys[seq % 1000]!, value: seq * 0.37 + 0.01, ok: (seq & 1) === 0 });
    if (b.byteLength >= job.frameBytes - 64 || seq === job.records - 1) {
      const payload = b.finishView();
      if (!w.tryWrite(1, payload)) await w.write(1, payload); // awaited before the next add
    }
  }
  w.close();
}

async function ringConsumer(job: Job, codec: boolean): Promise<ConsumerReport> {
  const r = new ChannelReader(job.spec!);
  const bell = new Doorbell(job.bell!);
  const rb = job.recordBytes;
  let seq = 0;
  let errors = 0;
  let t0 = 0;
  main.postMessage({ ready: true });
  for (;;) {
    const f = r.tryReadView();
    if (f !== null) {
      if (t0 === 0) t0 = performance.now();
      const p = f.payload;
      if (codec) {
        for (const rec of decodeBatch(p).records as Array<{ id: number }>) if (rec.id !== seq++) errors++;
      } else {
        const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
        for (let off = 0; off < p.length; off += rb) if (dv.getUint32(off, true) !== (seq++ >>> 0)) errors++;
      }
      continue;
    }
    if (r.isFinished()) break;
    const token = bell.prepareWait();
    if (r.hasAny() || r.isClosed) {
      bell.cancelWait();
      continue;
    }
    await bell.wait(token);
  }
  return { records: seq, errors, elapsedMs: t0 === 0 ? 0 : performance.now() - t0 };
}

async function pmProducer(job: Job): Promise<void> {
  const port = job.port!;
  const rb = job.recordBytes;
  const perBatch = job.batched ? Math.max(1, Math.floor(job.frameBytes / rb)) : 1;
  const window = job.window!;
  let credits = window;
  let wake: (() => void) | null = null;
  port.on('message', (n: number) => {
    credits += n;
    wake?.();
  });
  const record = new Uint8Array(rb);
  const recordView = new DataView(record.buffer);
  let seq = 0;
  while (seq < job.records) {
    while (credits === 0) await new Promise<void>((res) => (wake = res));
    credits--;
    if (job.batched) {
      const n = Math.min(perBatch, job.records - seq);
      const buf = new ArrayBuffer(n * rb); // transferred: a fresh buffer per batch
      const dv = new DataView(buf);
      for (let i = 0; i < n; i++) dv.setUint32(i * rb, seq++, true);
      port.postMessage(buf, [buf]);
    } else {
      recordView.setUint32(0, seq++, true);
      port.postMessage(record); // structured clone copies the record
    }
  }
  // The consumer closes the port once it has everything (closing here could drop queued messages).
}

function pmConsumer(job: Job): Promise<ConsumerReport> {
  const port = job.port!;
  const rb = job.recordBytes;
  const ackEvery = Math.max(1, job.window! >> 2);
  let seq = 0;
  let errors = 0;
  let t0 = 0;
  let unacked = 0;
  return new Promise((resolve) => {
    port.on('message', (m: ArrayBuffer | Uint8Array) => {
      if (t0 === 0) t0 = performance.now();
      const dv = m instanceof ArrayBuffer ? new DataView(m) : new DataView(m.buffer, m.byteOffset, m.byteLength);
      for (let off = 0; off < dv.byteLength; off += rb) if (dv.getUint32(off, true) !== (seq++ >>> 0)) errors++;
      if (++unacked === ackEvery) {
        port.postMessage(unacked);
        unacked = 0;
      }
      if (seq >= job.records) {
        port.close();
        resolve({ records: seq, errors, elapsedMs: performance.now() - t0 });
      }
    });
    main.postMessage({ ready: true });
  });
}
