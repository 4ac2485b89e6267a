/**
 * Worker used by the channel/ring tests: runs a producer plan, a consumer
 * loop, or sits blocked on an empty/full channel, and reports what it saw.
 * Commands arrive on parentPort ({ id, cmd, … }); replies carry the same id.
 */
import { parentPort } from 'node:worker_threads';
import { setImmediate as yieldNow } from 'node:timers/promises';
import { ChannelReader, ChannelWriter, type ChannelSpec } from '../channel.ts';
import { Doorbell } from '../doorbell.ts';
import { digest, payloadFor, type PlanOp, type SeenFrame, type SeenPriority } from './channel-test-plan.ts';

interface Command {
  id: number;
  cmd: 'produce' | 'consume' | 'block-read' | 'block-write';
  spec: ChannelSpec;
  bell: SharedArrayBuffer;
  plan?: PlanOp[];
  seed?: number;
}

const port = parentPort!;

port.on('message', (m: Command) => {
  run(m).then(
    (result) => port.postMessage({ id: m.id, result }),
    (err: unknown) => {
      const e = err as { message?: string; code?: string };
      port.postMessage({ id: m.id, error: { message: e?.message ?? String(err), code: e?.code } });
    },
  );
});

async function run(m: Command): Promise<unknown> {
  switch (m.cmd) {
    case 'produce':
      return produce(m.spec, m.bell, m.plan!);
    case 'consume':
      return consume(m.spec, m.bell, m.seed ?? 1);
    case 'block-read':
      return blockRead(m);
    case 'block-write':
      return blockWrite(m);
  }
}

async function produce(spec: ChannelSpec, bell: SharedArrayBuffer, plan: PlanOp[]): Promise<{ framesWritten: number }> {
  const w = new ChannelWriter(spec, bell);
  let pending: Promise<void>[] = [];
  for (const op of plan) {
    if (op.lane === 'priority') {
      await Promise.all(pending); // the position must count every data frame sent before
      pending = [];
      const payload = payloadFor(op.seed, op.size);
      new DataView(payload.buffer).setFloat64(0, w.dataFramesWritten, true);
      await w.writePriority(op.kind, payload);
    } else {
      const payload = payloadFor(op.seed, op.size);
      if (!(op.tryFirst && w.tryWrite(op.kind, payload))) {
        const p = w.write(op.kind, payload);
        if (op.awaitIt) await p;
        else pending.push(p);
      }
    }
    if (op.pause) await yieldNow();
  }
  await Promise.all(pending);
  const framesWritten = w.dataFramesWritten;
  w.close();
  return { framesWritten };
}

/** xorshift for the consumer's own random choices (peek, dawdle). */
function rng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

async function consume(spec: ChannelSpec, bellBuffer: SharedArrayBuffer, seed: number) {
  const reader = new ChannelReader(spec);
  const bell = new Doorbell(bellBuffer);
  const random = rng(seed);
  const data: SeenFrame[] = [];
  const priority: SeenPriority[] = [];
  const peeked = new Map<number, string>();
  let peekMismatches = 0;
  let peeks = 0;
  let peekedFrames = 0;
  for (;;) {
    let progressed = false;
    for (let f = reader.tryReadPriority(); f !== null; f = reader.tryReadPriority()) {
      const position = new DataView(f.payload.buffer, f.payload.byteOffset, f.payload.byteLength).getFloat64(0, true);
      priority.push({ index: f.index, kind: f.kind, size: f.payload.length, digest: digest(f.payload), position, dataReadAtReceipt: reader.dataFramesRead });
      progressed = true;
    }
    if (random() < 0.1) {
      const frames = reader.peek();
      peeks++;
      peekedFrames += frames.length;
      frames.forEach((f, i) => {
        if (f.index !== reader.dataFramesRead + i) peekMismatches++;
        peeked.set(f.index, `${f.kind}/${f.payload.length}/${digest(f.payload)}`);
      });
    }
    const f = random() < 0.5 ? reader.tryRead() : reader.tryReadView();
    if (f !== null) {
      const d = digest(f.payload);
      const p = peeked.get(f.index);
      if (p !== undefined && p !== `${f.kind}/${f.payload.length}/${d}`) peekMismatches++;
      peeked.delete(f.index);
      data.push({ index: f.index, kind: f.kind, size: f.payload.length, digest: d });
      progressed = true;
      if (random() < 0.05) await yieldNow();
    }
    if (progressed) continue;
    if (reader.isFinished()) break;
    const token = bell.prepareWait();
    if (reader.hasAny() || reader.isClosed) {
      bell.cancelWait();
      if (reader.isClosed && !reader.hasAny()) break;
      continue;
    }
    await bell.wait(token);
  }
  return { data, priority, peekMismatches, peeks, peekedFrames, unreadPeeks: peeked.size };
}

/** Sleep as a reader on an empty channel until it is closed. */
async function blockRead(m: Command): Promise<{ finished: boolean; wakeups: number }> {
  const reader = new ChannelReader(m.spec);
  const bell = new Doorbell(m.bell);
  let wakeups = 0;
  let announced = false;
  for (;;) {
    if (reader.tryReadPriority() ?? reader.tryRead()) continue;
    if (reader.isFinished()) return { finished: true, wakeups };
    const token = bell.prepareWait();
    if (reader.hasAny() || reader.isClosed) {
      bell.cancelWait();
      continue;
    }
    const sleeping = bell.wait(token);
    if (!announced) {
      announced = true;
      port.postMessage({ id: m.id, event: 'waiting' });
    }
    await sleeping;
    wakeups++;
  }
}

/** Fill the data lane, then sleep as a writer on the full channel until it is closed. */
async function blockWrite(m: Command): Promise<{ queued: number }> {
  const w = new ChannelWriter(m.spec, m.bell);
  const payload = new Uint8Array(24);
  let queued = 0;
  while (w.tryWrite(1, payload)) queued++;
  const p = w.write(1, payload);
  port.postMessage({ id: m.id, event: 'waiting' });
  await p; // rejects with WEIR_RING_CLOSED when the channel is closed
  return { queued };
}
