/**
 * npm run bench:recovery [-- --quick]
 *
 * Time to restore and resume after one injected failure, against (a) keyed-state size
 * (10^4, 10^5, 10^6 keys × 100 B on LMDB) and (b) persisted in-flight bytes (unaligned
 * checkpoints under backpressure, ring size swept). `recoveryMs` = failure noticed → every
 * subtask of the new attempt deployed with its state restored (the replay of in-flight data
 * follows, before new input). Writes benchmarks/results/recovery.json.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseBenchArgs, printTable, writeResults, progress } from './support/index.ts';
import { recoveryBenchJob } from './jobs/recovery-bench-job.ts';

const args = parseBenchArgs();
const stateCases = args.quick ? [10_000] : [10_000, 100_000, 1_000_000];
const bufferCases = args.quick ? [64 * 1024] : [16 * 1024, 256 * 1024, 1024 * 1024];

interface Row { case: 'state' | 'in-flight'; keys: number; bufferBytes: number; stateBytes: number; persistedInFlightBytes: number; recoveryMs: number | null; restoredCheckpointId: number | null }

async function measure(keys: number, bufferBytes: number, unaligned: boolean, sinkMicros: number): Promise<Row> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-bench-recovery-'));
  const marker = path.join(dir, 'fail');
  try {
    const client = recoveryBenchJob.execute({
      params: { keys, marker, sinkMicros },
      parallelism: 2,
      stateBackend: 'lmdb',
      stateDirectory: path.join(dir, 'state'),
      bufferBytes,
      checkpointing: { directory: path.join(dir, 'checkpoints'), unaligned, timeoutMs: 120_000 },
      restartStrategy: { type: 'fixed-delay', attempts: 3, delayMs: 0 },
    });
    // 1. Build the state: every key written at least once (the source cycles over the keys).
    while ((await client.metrics()).vertices.find((v) => v.id === 'state')!.recordsIn < keys * 1.2) await sleep(100);
    if (unaligned) await sleep(1500); // let backpressure fill the rings
    // 2. A checkpoint holding it all, then one failure.
    const cp = await client.triggerCheckpoint();
    const stats = client.checkpointStats()!.history.find((h) => h.checkpointId === cp.checkpointId)!;
    fs.writeFileSync(marker, '');
    const deadline = Date.now() + 180_000;
    while (!(client.failovers[0]?.runningAt) && Date.now() < deadline) await sleep(20);
    const f = client.failovers[0];
    await client.cancel();
    await client.done;
    return { case: unaligned ? 'in-flight' : 'state', keys, bufferBytes, stateBytes: stats.stateBytes, persistedInFlightBytes: stats.persistedInFlightBytes, recoveryMs: f?.runningAt ? f.recoveryMs : null, restoredCheckpointId: f?.restoredCheckpointId ?? null };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

const rows: Row[] = [];
const total = stateCases.length + bufferCases.length;
let done = 0;
for (const keys of stateCases) {
  progress('recovery', done++, total);
  rows.push(await measure(keys, 256 * 1024, false, 0));
}
for (const bufferBytes of bufferCases) {
  progress('recovery', done++, total);
  rows.push(await measure(10_000, bufferBytes, true, 200));
}
progress('recovery', total, total);
process.stderr.write('\n');
printTable(rows, ['case', 'keys', 'bufferBytes', 'stateBytes', 'persistedInFlightBytes', { key: 'recoveryMs', format: (v) => (v === null ? 'n/a' : String(Math.round(v as number))) }, 'restoredCheckpointId']);
console.log(`results: ${writeResults('recovery', rows, { quick: args.quick })}`);
