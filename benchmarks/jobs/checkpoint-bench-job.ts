/**
 * The workload of `npm run bench:checkpoints`: a rate-limited parallel source
 * (with a map that can inject one failure) → keyBy → keyed counter in LMDB →
 * a sink that spins per record, so it can be made N× slower than the source.
 *
 *   generator (p, ratePerSecond) ─ map 'inject' ─keyBy─▶ counter (p, LMDB) ─▶ slow sink (p = 1)
 *   └──────── one chained vertex ────────┘   p×p channels     p channels
 *
 * The counter is the multi-input stage (every subtask reads p channels), the
 * sink reads p channels too. Records carry a padding string so the rings hold
 * a realistic amount of bytes per record.
 */
import fs from 'node:fs';
import { defineJob, ValueStateDescriptor, WeirError, type KeyedProcessFunction, type ValueState } from '../../index.ts';
import type { CheckpointConfigInput } from '../../tools.ts';

/**
 * The checkpointing modes compared by the benchmark. A `+debloat` mode is its base mode with
 * buffer debloating on (`bufferDebloat: { targetMs: DEBLOAT_TARGET_MS }`); result rows carry the
 * base mode and `debloat: true`.
 */
export const CHECKPOINT_MODES = ['aligned', 'aligned+debloat', 'aligned-timeout', 'unaligned', 'unaligned+debloat', 'at-least-once', 'off'] as const;
/** One of {@link CHECKPOINT_MODES}. */
export type CheckpointMode = (typeof CHECKPOINT_MODES)[number];
/** A mode without its `+debloat` suffix. */
export type BaseMode = 'aligned' | 'aligned-timeout' | 'unaligned' | 'at-least-once' | 'off';

/** The base mode and whether buffer debloating is on. */
export function splitMode(mode: CheckpointMode): { base: BaseMode; debloat: boolean } {
  const debloat = mode.endsWith('+debloat');
  return { base: (debloat ? mode.slice(0, -'+debloat'.length) : mode) as BaseMode, debloat };
}

/** Buffer debloating target of the `+debloat` modes (the 100 ms). */
export const DEBLOAT_TARGET_MS = 100;

/**
 * The execute options a mode adds besides `checkpointing`: `bufferDebloat` for the `+debloat`
 * modes. Typed loosely on purpose: the option is new in the runtime, and an execute() that does
 * not know it rejects the case (reported as that case's error), not the whole run.
 */
export function debloatOptionFor(mode: CheckpointMode, debloat: { targetMs: number; periodMs?: number; samples?: number } = { targetMs: DEBLOAT_TARGET_MS }): Record<string, unknown> {
  return splitMode(mode).debloat ? { bufferDebloat: debloat } : {};
}

/** How much slower than the source the sink is (capacity ratio). */
export const BACKPRESSURE_LEVELS = { none: 0, '2x': 2, '10x': 10, '100x': 100 } as const;
/** One of the keys of {@link BACKPRESSURE_LEVELS}. */
export type BackpressureLevel = keyof typeof BACKPRESSURE_LEVELS;

/** Aligned checkpoint timeout of the `aligned-timeout` mode. */
export const ALIGNED_TIMEOUT_MS = 100;

/** Parameters of {@link checkpointBenchJob} (structured-cloned to every worker). */
export interface CheckpointBenchParams {
  /** Distinct keys of the keyed counter. */
  keys: number;
  /** Records per second of the whole source (split over its subtasks). */
  ratePerSecond: number;
  /** Microseconds the sink spins per record (0 = no backpressure). */
  sinkMicros: number;
  /** Length of the padding string carried by every record. */
  payloadBytes: number;
  /** While this file exists, the next record through the 'inject' map deletes it and throws once. */
  failureMarker: string | null;
}

/** A record of the workload. */
export interface BenchRecord { k: number; i: number; pad: string }

/**
 * Microseconds of sink work per record so that the sink's capacity is
 * `rate / factor` records/s (factor 0 = no spin). The sink has parallelism 1.
 */
export function sinkMicrosFor(ratePerSecond: number, level: BackpressureLevel): number {
  const factor = BACKPRESSURE_LEVELS[level];
  return factor === 0 ? 0 : (factor * 1e6) / ratePerSecond;
}

/** The `checkpointing` execute option of a mode (undefined = checkpointing off). */
export function checkpointingFor(
  mode: CheckpointMode,
  common: { intervalMs: number | null; timeoutMs: number; directory: string },
  alignedTimeoutMs = ALIGNED_TIMEOUT_MS,
): CheckpointConfigInput | undefined {
  const base: CheckpointConfigInput = { ...common, tolerableFailures: 1_000_000 };
  switch (splitMode(mode).base) {
    case 'aligned': return base;
    case 'unaligned': return { ...base, unaligned: true };
    case 'aligned-timeout': return { ...base, unaligned: true, alignedCheckpointTimeoutMs: alignedTimeoutMs };
    case 'at-least-once': return { ...base, mode: 'at-least-once' };
    case 'off': return undefined;
  }
}

/** Busy-wait for `micros` (the sink's per-record cost). */
export function spin(micros: number): void {
  if (micros <= 0) return;
  const end = performance.now() + micros / 1000;
  while (performance.now() < end) { /* spin: simulated per-record work */ }
}

/** How often (ms) a subtask of the 'inject' map looks for the marker file. */
const MARKER_POLL_MS = 20;

/**
 * A map that throws once when `marker` exists. It deletes the file first, so
 * only one subtask fails (the other's unlink fails with ENOENT) and the
 * restarted job does not fail again; module state would not survive a restart.
 */
function failOnceWhenMarked(marker: string | null): (r: BenchRecord) => BenchRecord {
  if (marker === null) return (r) => r;
  let lastCheck = 0;
  return (r) => {
    const now = Date.now();
    if (now - lastCheck < MARKER_POLL_MS) return r;
    lastCheck = now;
    if (!fs.existsSync(marker)) return r;
    try {
      fs.unlinkSync(marker);
    } catch {
      return r; // another subtask took it
    }
    throw new WeirError('WEIR_BENCH_INJECTED_FAILURE', `bench:checkpoints injected failure at record ${r.i}`, { record: r.i });
  };
}

/** Counts records per key in LMDB-backed keyed state and forwards the record. */
function counter(): KeyedProcessFunction<number, BenchRecord, BenchRecord & { n: number }> {
  let count!: ValueState<number>;
  return {
    open(ctx) {
      count = ctx.getState(new ValueStateDescriptor<number>('count'));
    },
    processElement(r, _ctx, out) {
      const n = (count.value() ?? 0) + 1;
      count.update(n);
      out.collect({ k: r.k, i: r.i, pad: r.pad, n });
    },
  };
}

/** The benchmark job; vertex ids (head uids): 'source', 'counter', 'slow-sink'. */
export const checkpointBenchJob = defineJob('bench-checkpoints', (env, p: CheckpointBenchParams) => {
  const pad = 'x'.repeat(p.payloadBytes);
  env.fromGenerator((i): BenchRecord => ({ k: (i * 7919) % p.keys, i, pad }), { ratePerSecond: p.ratePerSecond })
    .uid('source')
    .map(failOnceWhenMarked(p.failureMarker))
    .uid('inject')
    .keyBy((r) => r.k)
    .process(counter())
    .uid('counter')
    .addSink(() => spin(p.sinkMicros))
    .setParallelism(1)
    .uid('slow-sink');
});
