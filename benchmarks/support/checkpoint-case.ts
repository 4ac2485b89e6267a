/**
 * One case of `bench:checkpoints` (benchmarks/checkpoints.ts): run jobs/checkpoint-bench-job.ts
 * in one mode × backpressure level × ring size and measure it.
 *
 * Grid case ({@link runCase}):
 *   1. start the unbounded job and wait until it runs;
 *   2. warm up until the in-flight records (source recordsOut − sink recordsIn) stop growing
 *      (the rings are full; with debloating, at least DEBLOAT_SETTLE_MS more so sizes settle);
 *   3. measure until `checkpoints` checkpoints **triggered after the warm-up** have completed
 *      (stats polled every 250 ms, merged by id) and at least `minWindowS` passed, or `maxCaseS`
 *      passed (then the row keeps the age of the oldest pending one as a lower bound). Mode 'off'
 *      measures `offWindowS`.
 *      Sink records/s over the same window; the in-flight records sampled at each poll give the
 *      expected aligned duration of each completed checkpoint: in flight at its trigger ÷ sink
 *      records/s;
 *   4. inject one failure (marker file) and wait for the failover's new attempt to run;
 *   5. cancel (no final checkpoint: the job is unbounded).
 *
 * Recovery case ({@link runRecoveryCase}): steps 1–2, then wait for one completed checkpoint
 * after the warm-up (so the failure restores a checkpoint holding full rings), inject the
 * failure and follow the new attempt until the runtime reports the restored in-flight data
 * replayed (`FailoverRecord.replayedAt`: every subtask replayed what it restored).
 * recoveryMs = failure noticed → replay over; checkpoints completed during recovery =
 * `FailoverRecord.checkpointsDuringReplay` (completed after the new attempt ran, before replayedAt).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  checkpointBenchJob, checkpointingFor, debloatOptionFor, sinkMicrosFor, splitMode,
  type BackpressureLevel, type CheckpointMode,
} from '../jobs/checkpoint-bench-job.ts';
import type { CheckpointStats, JobClient, JobMetrics } from '../../index.ts';
import { percentile } from './stats.ts';

/** The knobs of a run that every case shares (flags of checkpoints.ts). */
export interface CaseConfig {
  rate: number; keys: number; parallelism: number; intervalMs: number; timeoutMs: number; payloadBytes: number;
  /** Completed checkpoints (triggered after the warm-up) to measure per case. */
  checkpoints: number;
  /** Cap of a case's measurement, s. */
  maxCaseS: number;
  /** Measurement window of mode 'off' (no checkpoints to wait for), s. */
  offWindowS: number;
  /** Shortest measurement window (for records/s), s. */
  minWindowS: number;
  /** How long to wait for a failover (grid) or for the replay (recovery case), s. */
  recoveryWaitS: number;
  warmupMinMs: number; warmupMaxMs: number;
  injectFailure: boolean;
}

export interface Case { mode: CheckpointMode; backpressure: BackpressureLevel; bufferBytes: number }

/** One result row (the JSON schema of issue #17, plus diagnostic fields). `mode` is the base mode. */
export interface Row {
  /** The case's mode as given on the command line ('aligned+debloat'). */
  caseMode: CheckpointMode;
  mode: string; debloat: boolean; backpressure: BackpressureLevel; bufferBytes: number;
  /** 'grid' (mode × level × ring) or 'recovery' (the recovery case). */
  kind: 'grid' | 'recovery';
  checkpointMsP50: number | null; checkpointMsP95: number | null; checkpointMsMax: number | null;
  /** p50 over completed checkpoints of (in-flight records at the trigger ÷ sink records/s). */
  expectedAlignedMs: number | null;
  alignmentMsP50: number | null; startDelayMsP50: number | null; stateBytesP50: number | null; persistedInFlightBytesP50: number | null;
  completed: number; aborted: number; recordsPerSec: number | null;
  /** Grid: failure → new attempt running (FailoverRecord.recoveryMs). Recovery case: failure → restored in-flight data replayed. */
  recoveryMs: number | null;
  /** FailoverRecord.recoveryMs (failure noticed → every subtask of the new attempt restored). */
  restartMs: number | null;
  /** Set when the failover (grid) or the replay (recovery case) had not finished after --recovery-wait: how long was waited. */
  recoveryPendingMs: number | null;
  /**
   * Recovery case: records to replay (restored in-flight bytes ÷ bytes per record, for the table),
   * whether checkpoints completed during the replay (FailoverRecord.checkpointsDuringReplay; null
   * when nothing was replayed) and the fastest of them.
   */
  replayRecords: number | null; checkpointDuringRecovery: boolean | null; checkpointsDuringRecovery: number | null; checkpointDuringRecoveryMs: number | null;
  /** Measurement window, ms, and whether it ended at the cap rather than after `checkpoints` completions. */
  windowMs: number; hitCap: boolean;
  cancelMs: number | null;
  /** Checkpoints still in progress at the end of the window, and the age of the oldest (a lower bound on its duration). */
  inProgress: number; pendingMsMax: number | null;
  /** Completed checkpoints in which some subtask ended unaligned. */
  unalignedCompleted: number;
  sinkMicros: number; warmupMs: number; restoredCheckpointId: number | null; error?: string;
}

/** Every case may fail over (once, injected) without checkpoints too: restart from scratch then. */
const RESTART_STRATEGY = { type: 'fixed-delay', attempts: 3, delayMs: 0 } as const;
/** How long a cancelled job may take to end before the case is reported stuck. */
const CANCEL_WAIT_MS = 60_000;
/** Extra warm-up with debloating, so buffer sizes settle (Flink's benchmark waits 2 s). */
const DEBLOAT_SETTLE_MS = 2_000;
const POLL_MS = 250;

/** Jobs that did not end after cancel() (the process must exit non-zero). */
export let stuckJobs = 0;

const sinkIn = (m: JobMetrics) => m.vertices.find((v) => v.id === 'slow-sink')?.recordsIn ?? 0;
const inFlight = (m: JobMetrics) => (m.vertices.find((v) => v.id === 'source')?.recordsOut ?? 0) - sinkIn(m);

function emptyRow(c: Case, kind: Row['kind'], sinkMicros: number): Row {
  const { base, debloat } = splitMode(c.mode);
  return {
    caseMode: c.mode, mode: base, debloat, backpressure: c.backpressure, bufferBytes: c.bufferBytes, kind,
    checkpointMsP50: null, checkpointMsP95: null, checkpointMsMax: null, expectedAlignedMs: null, alignmentMsP50: null, startDelayMsP50: null,
    stateBytesP50: null, persistedInFlightBytesP50: null, completed: 0, aborted: 0, recordsPerSec: null, recoveryMs: null, restartMs: null,
    recoveryPendingMs: null, replayRecords: null, checkpointDuringRecovery: null, checkpointsDuringRecovery: null, checkpointDuringRecoveryMs: null, windowMs: 0, hitCap: false,
    cancelMs: null, inProgress: 0, pendingMsMax: null, unalignedCompleted: 0, sinkMicros: Math.round(sinkMicros), warmupMs: 0, restoredCheckpointId: null,
  };
}

/** A started case: the client, its failure, its checkpoint stats merged by id. */
class Run {
  failure: Error | undefined;
  readonly seen = new Map<number, CheckpointStats>();
  constructor(readonly client: JobClient) { client.done.catch((e: Error) => { this.failure = e; }); }
  check(): void { if (this.failure) throw this.failure; }
  poll(): void { for (const s of this.client.checkpointStats()?.history ?? []) this.seen.set(s.checkpointId, s); }
  completedSince(t: number): CheckpointStats[] {
    return [...this.seen.values()].filter((s) => s.kind === 'checkpoint' && s.status === 'completed' && s.triggerTimestamp >= t);
  }
}

function start(c: Case, cfg: CaseConfig, dir: string, marker: string, sinkMicros: number): Run {
  const checkpointing = checkpointingFor(c.mode, { intervalMs: cfg.intervalMs, timeoutMs: cfg.timeoutMs, directory: path.join(dir, 'checkpoints') });
  const options = {
    params: { keys: cfg.keys, ratePerSecond: cfg.rate, sinkMicros, payloadBytes: cfg.payloadBytes, failureMarker: marker },
    parallelism: cfg.parallelism, bufferBytes: c.bufferBytes, stateBackend: 'lmdb' as const, stateDirectory: path.join(dir, 'state'),
    retainCollected: false, restartStrategy: RESTART_STRATEGY, ...(checkpointing ? { checkpointing } : {}), ...debloatOptionFor(c.mode),
  };
  return new Run(checkpointBenchJob.execute(options as Parameters<typeof checkpointBenchJob.execute>[0]));
}

/** Step 2: until in-flight records grow by < 3 % (or 100 records) per 500 ms; returns its duration. */
async function warmUp(run: Run, c: Case, cfg: CaseConfig): Promise<number> {
  const w0 = Date.now();
  const minMs = cfg.warmupMinMs + (splitMode(c.mode).debloat ? DEBLOAT_SETTLE_MS : 0);
  let prev = inFlight(await run.client.metrics());
  for (;;) {
    await sleep(500);
    run.check();
    const cur = inFlight(await run.client.metrics());
    const elapsed = Date.now() - w0;
    if ((elapsed >= minMs && cur - prev <= Math.max(100, 0.03 * cur)) || elapsed >= cfg.warmupMaxMs + minMs) break;
    prev = cur;
  }
  return Date.now() - w0;
}

/** Step 5: cancel, read the failover record, remove the case's files. */
async function finish(run: Run, row: Row, dir: string): Promise<void> {
  const cancelledAt = Date.now();
  const ended = Promise.all([run.client.cancel(), run.client.done.catch(() => undefined)]).then(([, r]) => ({ result: r }));
  const timer = new AbortController();
  const settled = await Promise.race([ended, sleep(CANCEL_WAIT_MS, undefined, { signal: timer.signal }).then(() => undefined, () => undefined)]);
  timer.abort(); // the timer must not keep the process alive
  row.cancelMs = Date.now() - cancelledAt;
  if (!settled) {
    stuckJobs++;
    row.error = `the job did not end within ${CANCEL_WAIT_MS / 1000} s of cancel() (status '${run.client.status}')`;
  }
  const fo = (settled?.result?.failovers ?? run.client.failovers)[0];
  row.restartMs = fo && fo.runningAt > 0 ? Math.round(fo.recoveryMs) : null;
  if (row.kind === 'grid') row.recoveryMs = row.restartMs;
  row.restoredCheckpointId = fo?.restoredCheckpointId ?? null;
  if (run.failure && !row.error) row.error = run.failure.message;
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Fill the checkpoint figures of `row` from the checkpoints triggered in [tStart, tEnd]. */
function summarize(row: Row, run: Run, tStart: number, tEnd: number, samples: ReadonlyArray<{ t: number; inFlight: number }>): void {
  const all = [...run.seen.values()].filter((s) => s.kind === 'checkpoint');
  const inWindow = all.filter((s) => s.triggerTimestamp >= tStart && s.triggerTimestamp <= tEnd);
  const done = inWindow.filter((s) => s.status === 'completed');
  const pending = all.filter((s) => s.status === 'in_progress');
  const p = (k: 'durationMs' | 'alignmentMs' | 'startDelayMs' | 'stateBytes' | 'persistedInFlightBytes', q = 50) => percentile(done.map((s) => s[k]), q);
  // In flight at a trigger: the last sample taken at or before it (the first sample otherwise).
  const atTrigger = (t: number) => [...samples].reverse().find((s) => s.t <= t)?.inFlight ?? samples[0]?.inFlight ?? null;
  const expected = row.recordsPerSec ? done.map((s) => atTrigger(s.triggerTimestamp)).filter((n): n is number => n !== null).map((n) => (Math.max(0, n) / row.recordsPerSec!) * 1000) : [];
  Object.assign(row, {
    checkpointMsP50: p('durationMs'), checkpointMsP95: p('durationMs', 95), checkpointMsMax: p('durationMs', 100),
    expectedAlignedMs: percentile(expected, 50) === null ? null : Math.round(percentile(expected, 50)!),
    alignmentMsP50: p('alignmentMs'), startDelayMsP50: p('startDelayMs'), stateBytesP50: p('stateBytes'),
    persistedInFlightBytesP50: p('persistedInFlightBytes'), completed: done.length,
    aborted: inWindow.filter((s) => s.status === 'failed').length, inProgress: pending.length,
    pendingMsMax: pending.length ? Math.max(...pending.map((s) => tEnd - s.triggerTimestamp)) : null,
    unalignedCompleted: done.filter((s) => s.unalignedSubtasks > 0).length,
  });
}

/** Run one grid case (see the header). */
export function runCase(c: Case, cfg: CaseConfig): Promise<Row> {
  return withRunningCase(c, cfg, 'grid', async (run, row, marker) => {
    // 3. Measure until enough checkpoints triggered after the warm-up completed (or the cap).
    const m0 = await run.client.metrics();
    const tStart = Date.now();
    const samples = [{ t: tStart, inFlight: inFlight(m0) }];
    const off = c.mode === 'off';
    const stopAt = tStart + (off ? cfg.offWindowS : cfg.maxCaseS) * 1000;
    const minEnd = tStart + cfg.minWindowS * 1000;
    let m1 = m0;
    for (;;) {
      run.poll();
      run.check();
      if (off ? Date.now() >= stopAt : run.completedSince(tStart).length >= cfg.checkpoints && Date.now() >= minEnd) break;
      if (Date.now() >= stopAt) { row.hitCap = true; break; }
      await sleep(POLL_MS);
      m1 = await run.client.metrics();
      samples.push({ t: Date.now(), inFlight: inFlight(m1) });
    }
    m1 = await run.client.metrics();
    const tEnd = Date.now();
    run.poll();
    row.windowMs = tEnd - tStart;
    row.recordsPerSec = Math.round((sinkIn(m1) - sinkIn(m0)) / ((tEnd - tStart) / 1000));
    summarize(row, run, tStart, tEnd, samples);
    // 4. One injected failure; wait until the new attempt runs (client.failovers is live).
    if (cfg.injectFailure) {
      fs.writeFileSync(marker, '');
      const injectedAt = Date.now();
      const deadline = injectedAt + cfg.recoveryWaitS * 1000;
      while (Date.now() < deadline && !run.failure && !(run.client.failovers[0]?.runningAt ?? 0)) await sleep(10);
      if (!run.failure && !(run.client.failovers[0]?.runningAt ?? 0)) row.recoveryPendingMs = Date.now() - injectedAt;
    }
  });
}

/**
 * Steps 1–2 and 5 of every case: start the job in a fresh directory, wait until it runs and is
 * warmed up, run `body`, then cancel and clean up; an error is recorded in the row.
 */
async function withRunningCase(c: Case, cfg: CaseConfig, kind: Row['kind'], body: (run: Run, row: Row, marker: string) => Promise<void>): Promise<Row> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-bench-cp-'));
  const marker = path.join(dir, 'fail-now');
  const sinkMicros = sinkMicrosFor(cfg.rate, c.backpressure);
  const row = emptyRow(c, kind, sinkMicros);
  let run: Run | undefined;
  try {
    run = start(c, cfg, dir, marker, sinkMicros);
    await run.client.running;
    row.warmupMs = await warmUp(run, c, cfg);
    await body(run, row, marker);
  } catch (e) {
    row.error = (e as Error).message;
  } finally {
    if (run) await finish(run, row, dir);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
  return row;
}

/** Run the recovery case of one mode (see the header). */
export function runRecoveryCase(c: Case, cfg: CaseConfig): Promise<Row> {
  return withRunningCase(c, cfg, 'recovery', async (run, row, marker) => {
    // One completed checkpoint after the warm-up: the one the failure will restore.
    const m0 = await run.client.metrics();
    const tStart = Date.now();
    const capAt = tStart + cfg.maxCaseS * 1000;
    while (run.completedSince(tStart).length === 0 && Date.now() < capAt) { await sleep(POLL_MS); run.check(); run.poll(); }
    const m1 = await run.client.metrics();
    row.windowMs = Date.now() - tStart;
    row.hitCap = run.completedSince(tStart).length === 0;
    row.recordsPerSec = Math.round((sinkIn(m1) - sinkIn(m0)) / (row.windowMs / 1000));
    summarize(row, run, tStart, Date.now(), [{ t: tStart, inFlight: inFlight(m0) }]);
    const src = m1.vertices.find((v) => v.id === 'source');
    const bytesPerRecord = src && src.recordsOut > 0 ? src.bytesOut / src.recordsOut : cfg.payloadBytes;
    // The failure.
    fs.writeFileSync(marker, '');
    const injectedAt = Date.now();
    const deadline = injectedAt + cfg.recoveryWaitS * 1000;
    while (Date.now() < deadline && !run.failure && !(run.client.failovers[0]?.runningAt ?? 0)) await sleep(10);
    const fo = run.client.failovers[0];
    if (!fo || !fo.runningAt) { row.recoveryPendingMs = Date.now() - injectedAt; return; }
    run.poll();
    const restored = fo.restoredCheckpointId === null ? undefined : run.seen.get(fo.restoredCheckpointId);
    row.replayRecords = Math.round((restored?.persistedInFlightBytes ?? 0) / bytesPerRecord);
    // Follow the replay until the runtime reports it over (FailoverRecord.replayedAt).
    while (!(run.client.failovers[0]?.replayedAt ?? 0) && Date.now() < deadline) {
      run.check();
      run.poll();
      await sleep(POLL_MS);
    }
    run.poll();
    const done = run.client.failovers[0]!;
    if (!done.replayedAt) { row.recoveryPendingMs = Date.now() - done.failedAt; return; }
    row.recoveryMs = done.replayedAt - done.failedAt;
    const during = [...run.seen.values()].filter((s) => s.kind === 'checkpoint' && s.status === 'completed'
      && s.triggerTimestamp >= done.runningAt && (s.endTimestamp ?? Infinity) <= done.replayedAt);
    row.checkpointsDuringRecovery = done.checkpointsDuringReplay;
    row.checkpointDuringRecovery = done.replayMs === 0 ? null : done.checkpointsDuringReplay > 0;
    row.checkpointDuringRecoveryMs = during.length ? Math.min(...during.map((s) => s.durationMs)) : null;
  });
}
