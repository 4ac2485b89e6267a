/**
 * `npm run bench:channels [-- --quick]`: how fast do records move between two
 * worker threads?
 *
 * 1. Transports, for 16 B, 256 B and 4 KiB raw-byte records (no codec, so the
 *    channel is measured): `ring` (Weir channel, 1 MiB data lane, records
 *    batched into 64 KiB frames), `postMessage` (one message per record) and
 *    `postMessageBatched` (64 KiB transferred ArrayBuffers). Both postMessage
 *    cases get credit flow control (≤ 1 MiB in flight, like the ring).
 * 2. `ringRecordCodec`: the ring carrying 4-field records through the record
 *    codec (BatchBuilder → frame → decodeBatch): the runtime's real ceiling.
 * 3. Codec micro-benchmark on one thread: JSON, msgpackr variants, Weir's
 *    tagged and shaped paths (4-field records, batches of 1 000).
 * 4. CPU used by a reader blocked on an empty channel (must be ≈ 0).
 *
 * Flags: `--quick` (1/20 of the records), `--scale=<factor>`. Writes
 * benchmarks/results/channels.json; the worker side is channels-worker.ts.
 */
import { once } from 'node:events';
import { MessageChannel, type TransferListItem, type Worker } from 'node:worker_threads';
import { Packr, Unpackr } from 'msgpackr';
import { createChannel, ChannelWriter } from '../actors/channel.ts';
import { Doorbell } from '../actors/doorbell.ts';
import { BatchBuilder, decodeBatch } from '../runtime/io/record-codec.ts';
import { ByteSink, ByteSource } from '../common/codec/byte-buffers.ts';
import { readValue, writeValue } from '../common/codec/tagged-values.ts';
import { formatNumber, parseBenchArgs, printTable, progress, startTsWorker, writeResults } from './support/index.ts';
import type { ConsumerReport, Job } from './channels-worker.ts';

type Case = 'ring' | 'postMessage' | 'postMessageBatched' | 'ringRecordCodec';
interface Row {
  case: Case;
  recordBytes: number;
  recordsPerSec: number;
  mbPerSec: number;
  records: number;
  elapsedMs: number;
}
interface CodecRow {
  codec: string;
  encodeRecordsPerSec: number;
  decodeRecordsPerSec: number;
  bytesPerRecord: number;
  selfContained: boolean;
}

const { quick, flags } = parseBenchArgs();
/** Record counts are multiplied by this (`--scale=0.5`; --quick = 1/20). */
const scale = typeof flags.scale === 'string' ? Number(flags.scale) : quick ? 1 / 20 : 1;
const RING_BYTES = 1 << 20;
const FRAME_BYTES = 1 << 16;
const SIZES = [16, 256, 4096];
const COUNTS: Record<Exclude<Case, 'ringRecordCodec'>, Record<number, number>> = {
  ring: { 16: 32e6, 256: 4e6, 4096: 5e5 },
  postMessage: { 16: 1e6, 256: 8e5, 4096: 2e5 },
  postMessageBatched: { 16: 32e6, 256: 4e6, 4096: 5e5 },
};
const CODEC_RECORDS = 4e6;

const started = performance.now();
const workerUrl = new URL('./channels-worker.ts', import.meta.url);
const producer = startTsWorker(workerUrl);
const consumer = startTsWorker(workerUrl);

/** Send a job; resolve with the worker's result (interim { ready } messages go to onReady). */
function job<T>(worker: Worker, j: Job, transfer: TransferListItem[] = [], onReady?: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onMessage = (m: { ready?: boolean; done?: boolean; result?: T; error?: string }): void => {
      if (m.ready) return onReady?.();
      worker.off('message', onMessage);
      if (m.error !== undefined) reject(new Error(m.error));
      else resolve(m.result as T);
    };
    worker.on('message', onMessage);
    worker.postMessage(j, transfer);
  });
}

/** Run one transport case: consumer first (it replies ready), then the producer. */
async function transport(kind: Case, recordBytes: number, records: number): Promise<Row> {
  const base = { recordBytes, records, frameBytes: FRAME_BYTES };
  let report: ConsumerReport;
  if (kind === 'postMessage' || kind === 'postMessageBatched') {
    const batched = kind === 'postMessageBatched';
    const window = batched ? RING_BYTES / FRAME_BYTES : Math.max(4, Math.floor(RING_BYTES / Math.max(recordBytes, 128)));
    const { port1, port2 } = new MessageChannel();
    let ready!: () => void;
    const isReady = new Promise<void>((r) => (ready = r));
    const consumed = job<ConsumerReport>(consumer, { ...base, role: 'pm-consumer', window, batched, port: port2 }, [port2], ready);
    await isReady;
    const produced = job<void>(producer, { ...base, role: 'pm-producer', window, batched, port: port1 }, [port1]);
    [report] = await Promise.all([consumed, produced]);
  } else {
    const spec = createChannel({ capacityBytes: RING_BYTES });
    const bell = Doorbell.create();
    const codec = kind === 'ringRecordCodec';
    let ready!: () => void;
    const isReady = new Promise<void>((r) => (ready = r));
    const consumed = job<ConsumerReport>(consumer, { ...base, role: codec ? 'codec-consumer' : 'ring-consumer', spec, bell: bell.buffer }, [], ready);
    await isReady;
    const produced = job<void>(producer, { ...base, role: codec ? 'codec-producer' : 'ring-producer', spec, bell: bell.buffer });
    [report] = await Promise.all([consumed, produced]);
  }
  if (report.errors !== 0 || report.records !== records) {
    throw new Error(`${kind} ${recordBytes} B: ${report.errors} sequence errors, ${report.records}/${records} records`);
  }
  const seconds = report.elapsedMs / 1000;
  return { case: kind, recordBytes, recordsPerSec: records / seconds, mbPerSec: (records * recordBytes) / seconds / 1e6, records, elapsedMs: report.elapsedMs };
}

/** CPU (percent of one core, whole process) while a reader sleeps on an empty channel. */
async function blockedReaderCpu(): Promise<number> {
  const spec = createChannel({ capacityBytes: 4096 });
  const bell = Doorbell.create();
  let ready!: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  const done = job<ConsumerReport>(consumer, { role: 'idle-consumer', recordBytes: 16, records: 0, frameBytes: 0, spec, bell: bell.buffer }, [], ready);
  await isReady;
  await new Promise((r) => setTimeout(r, 50));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, quick ? 200 : 500));
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - t0;
  new ChannelWriter(spec, bell).close();
  await done;
  return ((cpu.user + cpu.system) / 1000 / wallMs) * 100;
}

/** Records/s of `fn` over batches of `n` records for about `ms` milliseconds. */
function rate(n: number, ms: number, fn: () => unknown): number {
  for (let i = 0; i < 50; i++) fn();
  let iterations = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    fn();
    iterations++;
    t = performance.now();
  }
  return (iterations * n) / ((t - t0) / 1000);
}

function codecBench(): CodecRow[] {
  const n = 1000;
  const ms = quick ? 100 : 600;
  const recs = Array.from({ length: n }, (_, i) => ({ id: i * 7, key: `key-${(i * 7919) % 10000}`, value: i * 0.37 + 0.01, ok: (i & 1) === 0 }));
  const te = new TextEncoder();
  const td = new TextDecoder();
  const plain = new Packr({ useRecords: false });
  const plainU = new Unpackr({ useRecords: false });
  const inline = new Packr({ useRecords: true });
  const structures: object[] = [];
  const shared = new Packr({ structures });
  const sharedU = new Unpackr({ structures });
  const sink = new ByteSink();
  const builder = new BatchBuilder();
  const variants: Array<[string, boolean, () => Uint8Array, (b: Uint8Array) => unknown]> = [
    ['JSON', true, () => te.encode(JSON.stringify(recs)), (b) => JSON.parse(td.decode(b))],
    ['msgpackr maps (useRecords:false)', true, () => plain.pack(recs), (b) => plainU.unpack(b)],
    ['msgpackr inline records (useRecords:true)', true, () => inline.pack(recs), (b) => new Unpackr({ useRecords: true }).unpack(b)],
    ['msgpackr shared structures', false, () => shared.pack(recs), (b) => sharedU.unpack(b)],
    ['weir tagged path', true, () => { sink.pos = 0; for (const r of recs) writeValue(sink, r); return sink.buf.slice(0, sink.pos); }, (b) => { const s = new ByteSource(b); while (s.pos < b.length) readValue(s); }],
    ['weir record codec (shaped)', true, () => { for (const r of recs) builder.add(r); return builder.finishView(); }, (b) => decodeBatch(b)],
  ];
  return variants.map(([codec, selfContained, enc, dec], i) => {
    progress('codec', i, variants.length);
    const bytes = enc().slice();
    return { codec, encodeRecordsPerSec: rate(n, ms, enc), decodeRecordsPerSec: rate(n, ms, () => dec(bytes)), bytesPerRecord: bytes.length / n, selfContained };
  });
}

try {
  await Promise.all([once(producer, 'online'), once(consumer, 'online')]);
  const rows: Row[] = [];
  const plan: Array<[Case, number, number]> = [];
  for (const size of SIZES) for (const c of ['ring', 'postMessage', 'postMessageBatched'] as const) plan.push([c, size, Math.round(COUNTS[c][size]! * scale)]);
  plan.push(['ringRecordCodec', 0, Math.round(CODEC_RECORDS * scale)]);
  for (const [i, [c, size, records]] of plan.entries()) {
    progress('transports', i, plan.length);
    await transport(c, size, Math.ceil(records / 5)); // warm-up: let both JITs optimize this path first
    rows.push(await transport(c, size, records));
  }
  progress('transports', plan.length, plan.length);
  const codecRow = rows[rows.length - 1]!;
  const blockedCpuPercent = await blockedReaderCpu();
  const codec = codecBench();
  progress('codec', codec.length, codec.length);
  const shaped = codec[codec.length - 1]!;
  codecRow.recordBytes = Math.round(shaped.bytesPerRecord);
  codecRow.mbPerSec = (codecRow.recordsPerSec * shaped.bytesPerRecord) / 1e6;

  const mb = (v: unknown) => formatNumber(v as number, 0);
  const rps = (v: unknown) => `${formatNumber((v as number) / 1e6, 2)} M`;
  printTable(rows, [
    'case',
    { key: 'recordBytes', header: 'record B' },
    { key: 'recordsPerSec', header: 'records/s', format: rps, align: 'right' },
    { key: 'mbPerSec', header: 'MB/s', format: mb, align: 'right' },
    { key: 'elapsedMs', header: 'ms', format: mb, align: 'right' },
  ]);
  const at = (c: Case, size: number) => rows.find((r) => r.case === c && r.recordBytes === size)!.recordsPerSec;
  const ratios = Object.fromEntries(SIZES.map((s) => [`${s}`, { ringVsPostMessage: at('ring', s) / at('postMessage', s), ringVsPostMessageBatched: at('ring', s) / at('postMessageBatched', s) }]));
  process.stdout.write(`\nring ÷ postMessage: ${SIZES.map((s) => `${s} B ${formatNumber(ratios[s]!.ringVsPostMessage, 1)}×`).join(', ')}\n`);
  process.stdout.write(`ring ÷ postMessageBatched: ${SIZES.map((s) => `${s} B ${formatNumber(ratios[s]!.ringVsPostMessageBatched, 2)}×`).join(', ')}\n`);
  process.stdout.write(`CPU while a reader is blocked: ${blockedCpuPercent.toFixed(1)} % of one core (whole process)\n\n`);
  printTable(codec, [
    'codec',
    { key: 'encodeRecordsPerSec', header: 'encode/s', format: rps, align: 'right' },
    { key: 'decodeRecordsPerSec', header: 'decode/s', format: rps, align: 'right' },
    { key: 'bytesPerRecord', header: 'B/record' },
    { key: 'selfContained', header: 'self-contained' },
  ]);
  const durationMs = Math.round(performance.now() - started);
  const results = rows.map((r) => ({ case: r.case, recordBytes: r.recordBytes, recordsPerSec: r.recordsPerSec, mbPerSec: r.mbPerSec }));
  const runs = rows.map((r) => ({ case: r.case, recordBytes: r.recordBytes, records: r.records, elapsedMs: r.elapsedMs }));
  const file = writeResults('channels', results, { quick, durationMs, ringBytes: RING_BYTES, frameBytes: FRAME_BYTES, ratios, blockedReaderCpuPercent: blockedCpuPercent, codec, runs });
  process.stdout.write(`\nwrote ${file} (${(durationMs / 1000).toFixed(1)} s)\n`);
} finally {
  await Promise.all([producer.terminate(), consumer.terminate()]);
}
