/**
 * The Flink-replica case group of `bench:checkpoints --flink-replica`: Flink's
 * `CheckpointingTimeBenchmark` topology (jobs/flink-replica-job.ts) measured the way Flink
 * measures it, next to Flink's published figures.
 *
 * Flink's benchmark (apache/flink-benchmarks, CheckpointingTimeBenchmark.java and
 * CheckpointEnvironmentContext.java): parallelism 4, one task manager per subtask, periodic
 * checkpointing off (`enableCheckpointing(Long.MAX_VALUE)`); after every task runs it waits until
 * the source is back-pressured (HIGH), with debloating 2 s more for buffer sizes to settle, then
 * each JMH invocation calls `miniCluster.triggerCheckpoint(job)` and waits for it. Modes there:
 * UNALIGNED (alignment timeout 0, no debloating), UNALIGNED_1 (aligned, timeout 1 ms) and ALIGNED
 * (with debloating: target 300 ms, period 200 ms, 5 samples, segments 8 KiB down to 256 B).
 *
 * Here, per mode × sink sleep: start the job (`threads` = 3 × parallelism: one thread per subtask,
 * like one task manager per subtask), warm up until the in-flight records stop growing (+2 s with
 * debloating), then trigger `checkpoints` checkpoints one after another (`client.triggerCheckpoint()`,
 * each awaited; periodic checkpointing off) and take each one's end-to-end duration from the
 * checkpoint statistics. A checkpoint still pending at `maxCaseS` ends the case with its age as a
 * lower bound. Sink records/s over the same window.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { flinkReplicaJob } from '../jobs/flink-replica-job.ts';
import { checkpointingFor, debloatOptionFor, splitMode, ALIGNED_TIMEOUT_MS, type CheckpointMode } from '../jobs/checkpoint-bench-job.ts';
import { percentile } from './stats.ts';
import type { CheckpointStats, JobMetrics } from '../../index.ts';

/** Modes of the replica (Flink's ALIGNED is aligned + debloating; plain aligned is Weir's extra). */
export const REPLICA_MODES = ['unaligned', 'aligned', 'aligned+debloat', 'aligned-timeout'] as const satisfies readonly CheckpointMode[];
/** Sink sleeps per record, ms (issue #17: 10 ms, 1 ms, 0.2 ms). */
export const REPLICA_SLEEPS_MS = [10, 1, 0.2] as const;
/** Debloating target of Flink's benchmark (DEBLOATING_TARGET). */
export const REPLICA_DEBLOAT_TARGET_MS = 300;
/** Flink's benchmark's debloating settings: target 300 ms, period 200 ms, 5 samples. */
const REPLICA_DEBLOAT = { targetMs: REPLICA_DEBLOAT_TARGET_MS, periodMs: 200, samples: 5 };

/**
 * Flink's published figures, as quoted in issue #17 ("Anchors (published, from
 * apache/flink-benchmarks CheckpointingTimeBenchmark …)"). The repository itself holds the code,
 * not results; no per-sleep breakdown was found there, so aligned is a range over the sleeps.
 */
export const FLINK_PUBLISHED: Record<(typeof REPLICA_MODES)[number], string> = {
  unaligned: '≈ 11–45 ms',
  aligned: '1.6–13.3 s (depending on the sleep)',
  'aligned+debloat': '≈ 0.88 s (target 300 ms)',
  'aligned-timeout': '≈ 133 ms (aligned, then unaligned after the timeout)',
};

export interface ReplicaConfig {
  parallelism: number; bufferBytes: number; recordBytes: number; checkpoints: number; maxCaseS: number; timeoutMs: number;
}

export interface ReplicaRow {
  group: 'flink-replica'; caseMode: CheckpointMode; mode: string; debloat: boolean; sinkSleepMs: number; parallelism: number; bufferBytes: number;
  checkpointMsP50: number | null; checkpointMsP95: number | null; checkpointMsMax: number | null; persistedInFlightBytesP50: number | null;
  completed: number; pendingMsMax: number | null; recordsPerSec: number | null; expectedAlignedMs: number | null; warmupMs: number; error?: string;
}

const sinkIn = (m: JobMetrics) => m.vertices.find((v) => v.id === 'slow-sink')?.recordsIn ?? 0;
const inFlight = (m: JobMetrics) => (m.vertices.find((v) => v.id === 'source')?.recordsOut ?? 0) - sinkIn(m);

/** Run one mode at one sink sleep. */
export async function runReplicaCase(caseMode: CheckpointMode, sinkSleepMs: number, cfg: ReplicaConfig): Promise<ReplicaRow> {
  const { base, debloat } = splitMode(caseMode);
  const row: ReplicaRow = {
    group: 'flink-replica', caseMode, mode: base, debloat, sinkSleepMs, parallelism: cfg.parallelism, bufferBytes: cfg.bufferBytes,
    checkpointMsP50: null, checkpointMsP95: null, checkpointMsMax: null, persistedInFlightBytesP50: null, completed: 0, pendingMsMax: null,
    recordsPerSec: null, expectedAlignedMs: null, warmupMs: 0,
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-bench-fr-'));
  const checkpointing = checkpointingFor(caseMode, { intervalMs: null, timeoutMs: cfg.timeoutMs, directory: path.join(dir, 'checkpoints') }, ALIGNED_TIMEOUT_MS);
  const options = {
    params: { recordBytes: cfg.recordBytes, sinkSleepMs }, parallelism: cfg.parallelism, threads: 3 * cfg.parallelism,
    bufferBytes: cfg.bufferBytes, retainCollected: false, ...(checkpointing ? { checkpointing } : {}), ...debloatOptionFor(caseMode, REPLICA_DEBLOAT),
  };
  const client = flinkReplicaJob.execute(options as Parameters<typeof flinkReplicaJob.execute>[0]);
  let failure: Error | undefined;
  client.done.catch((e: Error) => { failure = e; });
  const timer = new AbortController();
  try {
    await client.running;
    // Warm-up: in-flight records grow by < 3 % per 500 ms (back-pressured), + 2 s with debloating.
    const w0 = Date.now();
    const minMs = 1000 + (debloat ? 2000 : 0);
    let prev = inFlight(await client.metrics());
    for (;;) {
      await sleep(500);
      if (failure) throw failure;
      const cur = inFlight(await client.metrics());
      if ((Date.now() - w0 >= minMs && cur - prev <= Math.max(100, 0.03 * cur)) || Date.now() - w0 >= 30_000 + minMs) break;
      prev = cur;
    }
    row.warmupMs = Date.now() - w0;
    const m0 = await client.metrics();
    const tStart = Date.now();
    const capAt = tStart + cfg.maxCaseS * 1000;
    const durations: number[] = [];
    const persisted: number[] = [];
    const expected: number[] = [];
    for (let i = 0; i < cfg.checkpoints; i++) {
      const before = await client.metrics();
      const t0 = Date.now();
      const pending = client.triggerCheckpoint();
      pending.catch(() => undefined);
      const res = await Promise.race([pending, sleep(Math.max(0, capAt - Date.now()), undefined, { signal: timer.signal }).then(() => undefined, () => undefined)]);
      if (!res) { row.pendingMsMax = Date.now() - t0; break; }
      const stats: CheckpointStats | undefined = client.checkpointStats()?.history.find((s) => s.checkpointId === res.checkpointId);
      durations.push(stats?.durationMs ?? res.completionTimestamp - res.triggerTimestamp);
      persisted.push(stats?.persistedInFlightBytes ?? 0);
      expected.push(inFlight(before));
    }
    const m1 = await client.metrics();
    const secs = (Date.now() - tStart) / 1000;
    row.recordsPerSec = Math.round((sinkIn(m1) - sinkIn(m0)) / secs);
    row.completed = durations.length;
    row.checkpointMsP50 = percentile(durations, 50);
    row.checkpointMsP95 = percentile(durations, 95);
    row.checkpointMsMax = percentile(durations, 100);
    row.persistedInFlightBytesP50 = percentile(persisted, 50);
    const e50 = percentile(expected, 50);
    row.expectedAlignedMs = e50 !== null && row.recordsPerSec ? Math.round((e50 / row.recordsPerSec) * 1000) : null;
  } catch (e) {
    row.error = (e as Error).message;
  } finally {
    timer.abort();
    const cancelTimer = new AbortController();
    const ended = Promise.all([client.cancel().catch(() => undefined), client.done.catch(() => undefined)]).then(() => true);
    const settled = await Promise.race([ended, sleep(60_000, false, { signal: cancelTimer.signal }).catch(() => false)]);
    cancelTimer.abort(); // the timer must not keep the process alive
    if (!settled && !row.error) row.error = 'the job did not end within 60 s of cancel()';
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return row;
}
