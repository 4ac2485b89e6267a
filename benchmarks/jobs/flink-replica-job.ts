/**
 * A replica of Flink's `CheckpointingTimeBenchmark` (apache/flink-benchmarks,
 * `org.apache.flink.benchmark.CheckpointingTimeBenchmark` with its
 * `CheckpointEnvironmentContext`), the workload of `bench:checkpoints --flink-replica`:
 *
 *   source (p, unbounded, as fast as it can) ─rebalance─▶ map (p, identity) ─rebalance─▶ slow sink (p)
 *
 * Flink's version: parallelism 4, every vertex in its own slot-sharing group (one task manager
 * per subtask), records of 1 KiB (unaligned modes) or 64 B (aligned with debloating), and a sink
 * that waits per record (`Thread.sleep(1)` in older versions, a 200 µs busy wait in newer ones;
 * issue #17 asks for 10 ms, 1 ms and 0.2 ms). Here each subtask gets its own worker thread
 * (`threads` = 3 × parallelism, set by the benchmark), and the sink really sleeps:
 * `Atomics.wait` on a private Int32Array blocks its thread without using a core, as
 * `Thread.sleep` does — a busy wait would steal the two cores from the source and the map.
 */
import { defineJob } from '../../index.ts';

/** Parameters of {@link flinkReplicaJob} (structured-cloned to every worker). */
export interface FlinkReplicaParams {
  /** Bytes of payload per record (Flink: 1 KiB, or 64 B with debloating). */
  recordBytes: number;
  /** Milliseconds the sink sleeps per record (fractions allowed: 0.2). */
  sinkSleepMs: number;
}

/** A record of the replica: a sequence number and a padding string. */
export interface ReplicaRecord { i: number; pad: string }

/** Sleep `ms` on this thread (blocks it, uses no CPU); `ms` ≤ 0 returns at once. */
export function sleepSync(ms: number): void {
  if (ms <= 0) return;
  Atomics.wait(SLEEP_CELL, 0, 0, ms);
}
/** Nobody ever notifies this cell, so `Atomics.wait` on it always runs to its timeout. */
const SLEEP_CELL = new Int32Array(new SharedArrayBuffer(4));

/** The replica; vertex ids (head uids): 'source', 'map', 'slow-sink'. Parallelism comes from execute(). */
export const flinkReplicaJob = defineJob('bench-flink-replica', (env, p: FlinkReplicaParams) => {
  const pad = 'x'.repeat(p.recordBytes);
  env.fromGenerator((i): ReplicaRecord => ({ i, pad }))
    .uid('source')
    .rebalance()
    .map((r) => r)
    .uid('map')
    .rebalance()
    .addSink(() => sleepSync(p.sinkSleepMs))
    .uid('slow-sink');
});
