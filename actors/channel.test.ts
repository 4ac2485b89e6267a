import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { ChannelReader, ChannelWriter, createChannel } from './channel.ts';
import { Doorbell } from './doorbell.ts';
import { digest, payloadFor, request, startChannelTestWorker, type PlanOp, type SeenFrame, type SeenPriority } from './test-support/channel-test-plan.ts';

interface ConsumeResult {
  data: SeenFrame[];
  priority: SeenPriority[];
  peekMismatches: number;
  peeks: number;
  peekedFrames: number;
  unreadPeeks: number;
}

describe('channel between two worker threads', () => {
  let producer: Worker;
  let consumer: Worker;
  before(() => {
    producer = startChannelTestWorker();
    consumer = startChannelTestWorker();
  });
  after(async () => {
    await Promise.all([producer.terminate(), consumer.terminate()]);
  });

  const opArb = (capacity: number): fc.Arbitrary<PlanOp> =>
    fc.record({
      lane: fc.constantFrom<'data' | 'priority'>('data', 'data', 'data', 'data', 'data', 'priority'),
      kind: fc.integer({ min: 1, max: 255 }),
      size: fc.oneof(fc.integer({ min: 0, max: 16 }), fc.integer({ min: 0, max: capacity }), fc.integer({ min: 0, max: 3 * capacity + 100 })),
      seed: fc.integer({ min: 1, max: 0x7fffffff }),
      tryFirst: fc.boolean(),
      awaitIt: fc.boolean(),
      pause: fc.boolean(),
    });

  const caseArb = fc
    .record({ capacity: fc.constantFrom(64, 128, 256, 1024, 4096), priorityCapacity: fc.constantFrom(64, 128, 256), consumerSeed: fc.integer({ min: 1, max: 1e9 }), nearWrap: fc.boolean() })
    .chain((c) => fc.record({ c: fc.constant(c), plan: fc.array(opArb(c.capacity), { minLength: 0, maxLength: 300, size: 'medium' }) }));

  test('every frame arrives once, in order, byte-identical; priority frames never arrive after data they overtook; peek = what is then read', { timeout: 120_000 }, async () => {
    const coverage = { fragmented: 0, priority: 0, peekedFrames: 0, frames: 0 };
    await fc.assert(
      fc.asyncProperty(caseArb, async ({ c, plan }) => {
        const ops = plan.map((op) => (op.lane === 'priority' ? { ...op, size: 8 + (op.size % 120) } : op));
        const spec = createChannel({ capacityBytes: c.capacity, priorityCapacityBytes: c.priorityCapacity });
        if (c.nearWrap) {
          // Start the data lane's byte counters just below 2^32 so they wrap during the case.
          const h = new Int32Array(spec.data, 0, 32);
          h[0] = h[16] = (2 ** 32 - 3 * c.capacity) | 0;
        }
        const bell = Doorbell.create();
        const [produced, seen] = await Promise.all([
          request<{ framesWritten: number }>(producer, { cmd: 'produce', spec, bell: bell.buffer, plan: ops }),
          request<ConsumeResult>(consumer, { cmd: 'consume', spec, bell: bell.buffer, seed: c.consumerSeed }),
        ]);
        const dataOps = ops.filter((o) => o.lane === 'data');
        assert.equal(produced.framesWritten, dataOps.length);
        assert.deepEqual(
          seen.data,
          dataOps.map((o, index) => ({ index, kind: o.kind, size: o.size, digest: digest(payloadFor(o.seed, o.size)) })),
        );
        // Expected position of each priority frame = number of data ops before it.
        let dataBefore = 0;
        const expectedPriority: Array<{ kind: number; size: number; position: number }> = [];
        for (const o of ops) {
          if (o.lane === 'data') dataBefore++;
          else expectedPriority.push({ kind: o.kind, size: o.size, position: dataBefore });
        }
        assert.deepEqual(
          seen.priority.map((p) => ({ kind: p.kind, size: p.size, position: p.position })),
          expectedPriority,
        );
        seen.priority.forEach((p, i) => {
          assert.equal(p.index, i);
          assert.ok(p.dataReadAtReceipt <= p.position, `priority frame ${i} (position ${p.position}) arrived after data frame ${p.dataReadAtReceipt - 1}`);
        });
        assert.equal(seen.peekMismatches, 0);
        assert.equal(seen.unreadPeeks, 0);
        coverage.frames += dataOps.length;
        coverage.fragmented += dataOps.filter((o) => o.size + 8 > c.capacity).length;
        coverage.priority += seen.priority.length;
        coverage.peekedFrames += seen.peekedFrames;
      }),
      { numRuns: 100 },
    );
    // The random cases really exercised fragmentation, the priority lane and peek.
    assert.ok(coverage.fragmented > 0 && coverage.priority > 0 && coverage.peekedFrames > 0, JSON.stringify(coverage));
  });

  test('a blocked reader and a blocked writer sleep (no spinning) and close() wakes both', { timeout: 30_000 }, async () => {
    const empty = createChannel({ capacityBytes: 1024 });
    const full = createChannel({ capacityBytes: 1024 });
    const readerBell = Doorbell.create();
    const otherBell = Doorbell.create();
    let waiting = 0;
    let allWaiting!: () => void;
    const bothWaiting = new Promise<void>((resolve) => (allWaiting = resolve));
    const onEvent = (e: string): void => {
      if (e === 'waiting' && ++waiting === 2) allWaiting();
    };
    const readDone = request<{ finished: boolean; wakeups: number }>(consumer, { cmd: 'block-read', spec: empty, bell: readerBell.buffer }, onEvent);
    const writeDone = request<unknown>(producer, { cmd: 'block-write', spec: full, bell: otherBell.buffer }, onEvent).then(
      () => 'resolved',
      (e: { code?: string }) => e.code,
    );
    await bothWaiting;
    await new Promise((r) => setTimeout(r, 20)); // let both reach their waitAsync
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await new Promise((r) => setTimeout(r, 200));
    const cpu = process.cpuUsage(cpu0);
    const wallUs = Number(process.hrtime.bigint() - t0) / 1000;
    const busy = (cpu.user + cpu.system) / wallUs; // whole process: both workers + this thread
    assert.ok(busy < 0.3, `blocked workers used ${(busy * 100).toFixed(1)} % of one core`);

    new ChannelReader(full).close(); // consumer-side cancel of the full channel
    new ChannelWriter(empty, readerBell).close(); // producer-side end of the empty channel
    const r = await readDone;
    assert.equal(r.finished, true);
    assert.equal(await writeDone, 'WEIR_RING_CLOSED');
  });
});

describe('channel in one thread', () => {
  test('tryRead returns nothing while the priority lane is not empty', () => {
    const spec = createChannel({ capacityBytes: 256 });
    const w = new ChannelWriter(spec, Doorbell.create());
    const r = new ChannelReader(spec);
    assert.equal(w.tryWrite(1, new Uint8Array([1])), true);
    assert.equal(w.tryWrite(1, new Uint8Array([2])), true);
    assert.equal(w.tryWritePriority(2, new Uint8Array([9])), true);
    assert.deepEqual([r.hasAny(), r.hasData(), r.hasPriority()], [true, true, true]);
    assert.equal(r.tryRead(), null);
    const p = r.tryReadPriority();
    assert.deepEqual([p?.kind, [...p!.payload], p?.index], [2, [9], 0]);
    assert.deepEqual(r.peek().map((f) => [f.index, [...f.payload]]), [
      [0, [1]],
      [1, [2]],
    ]);
    assert.equal(r.hasPriority(), false);
    assert.deepEqual([...r.tryRead()!.payload], [1]);
    assert.deepEqual([...r.tryReadView()!.payload], [2]);
    assert.deepEqual([r.hasAny(), r.hasData()], [false, false]);
    assert.equal(r.dataFramesRead, 2);
    assert.equal(w.dataFramesRead, 2);
    assert.equal(w.dataFramesWritten, 2);
    assert.equal(r.dataFramesWritten, 2);
  });

  test('counters on both sides', () => {
    const spec = createChannel({ capacityBytes: 256 });
    const w = new ChannelWriter(spec, Doorbell.create());
    const r = new ChannelReader(spec);
    w.tryWrite(1, new Uint8Array([1]));
    w.tryWrite(1, new Uint8Array([2]));
    r.tryRead();
    assert.equal(r.dataFramesRead, 1);
    assert.equal(w.dataFramesRead, 1);
    assert.equal(w.dataFramesWritten, 2);
    assert.equal(r.dataFramesWritten, 2);
  });

  test('every publish rings the consumer doorbell when it is armed', async () => {
    const spec = createChannel({ capacityBytes: 256 });
    const bell = Doorbell.create();
    const w = new ChannelWriter(spec, bell);
    const r = new ChannelReader(spec);
    const token = bell.prepareWait();
    assert.equal(r.hasAny(), false);
    const woke = bell.wait(token);
    await w.writePriority(3, new Uint8Array(4));
    assert.equal(await woke, 'ok');
    assert.equal(r.tryReadPriority()?.kind, 3);
  });

  test('closing the writer lets the reader drain, then reports finished', async () => {
    const spec = createChannel({ capacityBytes: 64, priorityCapacityBytes: 64 });
    const w = new ChannelWriter(spec, Doorbell.create());
    const r = new ChannelReader(spec);
    const big = payloadFor(7, 300); // larger than the 64-byte lane: fragmented
    const writing = w.write(5, big);
    const got: number[][] = [];
    while (got.length === 0) {
      const f = r.tryRead();
      if (f) got.push([f.kind, f.payload.length, f.index]);
      else await new Promise((res) => setImmediate(res));
    }
    await writing;
    w.close();
    assert.equal(r.isFinished(), true);
    assert.deepEqual(got, [[5, 300, 0]]);
    await assert.rejects(w.write(1, new Uint8Array(1)), (e: { code?: string }) => e.code === 'WEIR_RING_CLOSED');
  });

  test('rejects a spec that is not one', () => {
    assert.throws(() => new ChannelReader({} as never), (e: { code?: string }) => e.code === 'WEIR_CHANNEL_SPEC');
  });
});
