/**
 * `npm start`: aligned vs unaligned checkpoints under backpressure, side by side, then
 * one injected failure, the recovery and an exactly-once check. About 30 s, embedded
 * defaults: LMDB state and checkpoints under a temporary directory, no server, no config.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { demoJob, type Checked } from './job.ts';

const RATE = 20_000;
const KEYS = 64;
const BACKPRESSURE = 10; // the sink is 10× slower than the source
const sinkMicros = (BACKPRESSURE * 1e6) / RATE / 2; // two sink subtasks share the load
const WINDOW_MS = 6_000;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-demo-'));

const pct = (xs: number[], p: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]! : NaN);
const kib = (b: number) => `${(b / 1024).toFixed(0)} KiB`;

async function underBackpressure(mode: 'aligned' | 'unaligned') {
  process.stdout.write(`  running ${mode} checkpoints every 500 ms for ${WINDOW_MS / 1000} s under ${BACKPRESSURE}× backpressure…\n`);
  const client = demoJob.execute({
    params: { keys: KEYS, ratePerSecond: RATE, sinkMicros, failureMarker: null },
    parallelism: 2,
    stateDirectory: path.join(dir, 'state'),
    retainCollected: false,
    checkpointing: { intervalMs: 500, unaligned: mode === 'unaligned', directory: path.join(dir, 'checkpoints'), timeoutMs: 60_000, tolerableFailures: 100 },
  });
  await new Promise((r) => setTimeout(r, 1_500)); // let the rings fill up
  const from = Date.now();
  const sinkIn0 = (await client.metrics()).vertices.find((v) => v.id === 'verifier')!.recordsIn;
  await new Promise((r) => setTimeout(r, WINDOW_MS));
  const sinkIn1 = (await client.metrics()).vertices.find((v) => v.id === 'verifier')!.recordsIn;
  const stats = client.checkpointStats()!;
  await client.cancel();
  await client.done;
  const window = stats.history.filter((h) => h.triggerTimestamp >= from);
  const done = window.filter((h) => h.status === 'completed');
  const pending = window.filter((h) => h.status === 'in_progress');
  return {
    mode,
    completed: done.length,
    pending: pending.length,
    p50: pct(done.map((h) => h.durationMs), 50),
    max: Math.max(...done.map((h) => h.durationMs), ...pending.map((h) => Date.now() - h.triggerTimestamp)),
    alignment: pct(done.map((h) => h.alignmentMs), 50),
    persisted: pct(done.map((h) => h.persistedInFlightBytes), 50),
    rate: ((sinkIn1 - sinkIn0) / (WINDOW_MS / 1000)),
  };
}

console.log('Weir demo — aligned vs unaligned checkpoints under backpressure\n');
const rows = [await underBackpressure('aligned'), await underBackpressure('unaligned')];
console.log('\n| mode | checkpoints completed (in progress) | duration p50 | duration max | alignment p50 | in-flight persisted p50 | records/s |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(`| ${r.mode} | ${r.completed} (${r.pending}) | ${Number.isNaN(r.p50) ? '—' : `${r.p50} ms`} | ≥ ${Math.round(r.max)} ms | ${Number.isNaN(r.alignment) ? '—' : `${r.alignment} ms`} | ${Number.isNaN(r.persisted) ? '—' : kib(r.persisted)} | ${Math.round(r.rate)} |`);
}

console.log('\nNow a bounded run with unaligned checkpoints and one injected failure…');
const marker = path.join(dir, 'fail-once');
const count = 40_000;
const client = demoJob.execute({
  params: { keys: KEYS, ratePerSecond: RATE, count, sinkMicros: sinkMicros / 4, failureMarker: marker },
  parallelism: 2,
  stateDirectory: path.join(dir, 'state'),
  checkpointing: { intervalMs: 200, unaligned: true, directory: path.join(dir, 'checkpoints') },
  restartStrategy: { type: 'fixed-delay', attempts: 3, delayMs: 0 },
});
setTimeout(() => fs.writeFileSync(marker, ''), 1_000);
const result = await client.done;
const f = result.failovers[0];
if (f) console.log(`  failure: ${f.cause.message}\n  recovered from checkpoint ${f.restoredCheckpointId ?? '(none: from the start)'} in ${f.recoveryMs} ms (every subtask redeployed, state and in-flight data restored)`);
const out = result.collected.out as Checked[];
const seen = new Set(out.map((c) => `${c.key}/${c.seq}`));
const bad = out.filter((c) => !c.ok).length;
const exact = out.length === count && seen.size === count && bad === 0;
console.log(`  exactly-once check: ${out.length} records delivered for ${count} produced, ${seen.size} distinct, ${bad} out of sequence → ${exact ? 'OK: no record lost, none duplicated' : 'FAILED'}`);
const chart = fileURLToPath(new URL('../../benchmarks/results/checkpoints-duration.png', import.meta.url));
console.log(`\nThe full comparison (5 modes × 4 backpressure levels, ring-size sweep): npm run bench:checkpoints`);
console.log(`Chart of the latest run: ${fs.existsSync(chart) ? chart : '(run the benchmark to draw it)'}`);
fs.rmSync(dir, { recursive: true, force: true });
if (!exact) process.exitCode = 1;
