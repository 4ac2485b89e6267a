/** Options of `job.execute()`, their defaults and validation. */
import os from 'node:os';
import { generatedJobId } from '../checkpoint/job-ids.ts';
import { invalidArgument } from '../errors.ts';
import { assertCloneable } from './cloneable.ts';
import { DEFAULT_MAX_PARALLELISM } from '../../state/index.ts';
import { DEFAULT_BATCHING, type BatchingOptions } from '../task/record-writer.ts';
import { DEFAULT_BUFFER_DEBLOAT, type BufferDebloatConfig } from '../task/buffer-debloater.ts';
import { resolveCheckpointConfig, type CheckpointConfig, type CheckpointConfigInput } from '../checkpoint/checkpoint-config.ts';
import type { RestartStrategyConfig } from '../recovery/restart-strategy.ts';
import type { Logger, LogLevel } from '../../actors/logger.ts';
import { resolveRestOptions, type RestOptions, type ResolvedRestOptions } from '../rest/rest-options.ts';
import { preview } from '../../common/weir-error.ts';

/**
 * `job.execute(options)`: {@link ExecuteOptionFields}, with `params` required when the job's build
 * function takes them (its P does not include undefined).
 */
export type ExecuteOptions<P> = undefined extends P ? ExecuteOptionFields<P> : ExecuteOptionFields<P> & { params: P };

/** The options of `job.execute()` (see {@link ExecuteOptions}). */
export interface ExecuteOptionFields<P> {
  /** Passed to the build function on the main thread and in every worker (structured-clone data). */
  params?: P;
  /** Default parallelism of operators. Default: the number of cores. */
  parallelism?: number;
  /** Number of key groups (upper bound of parallelism). Default 128. */
  maxParallelism?: number;
  /** Worker threads hosting the subtasks. Default: min(cores, number of subtasks). */
  threads?: number;
  /**
   * Bytes of each channel's ring buffer (in-flight data per producer→consumer pair). Default 256 KiB.
   * In-flight data per channel — its memory, and what an unaligned checkpoint persists for it — is
   * at most this + `batching.maxPendingBytes` + about three batches (docs/checkpointing.md).
   */
  bufferBytes?: number;
  /**
   * Buffer debloating (Flink's `taskmanager.network.memory.buffer-debloat.*`): each consumer limits
   * the bytes in flight on each of its input channels to what it consumes in `targetMs`, measured
   * every `periodMs` (busy time only, averaged over `samples` periods) and published when it moves
   * by more than `thresholdPercent`; never below `minBytes` nor above `bufferBytes`. `true` = the
   * defaults: targetMs 1000, periodMs 200, samples 20, thresholdPercent 25, minBytes 1024. Off by
   * default. Aligned checkpoints then wait behind about `targetMs` of data per channel, unaligned
   * ones persist about that much (docs/checkpointing.md, "Buffer debloating").
   */
  bufferDebloat?: boolean | BufferDebloatOptions;
  /** Keyed state backend. Default 'lmdb'. */
  stateBackend?: 'lmdb' | 'heap';
  /** Where working state (LMDB environments) lives. Default '.weir/state'. */
  stateDirectory?: string;
  /** Job id (names checkpoint and state directories). Default: the job name plus a random suffix. */
  jobId?: string;
  /** Keep every collected record for `JobResult.collected` (turn off for long-running embedded jobs that consume `results()`). Default true. */
  retainCollected?: boolean;
  /** Record batching per output channel. */
  batching?: Partial<BatchingOptions>;
  /**
   * Enable checkpointing (Flink's names and defaults; see docs/checkpointing.md). Present =
   * enabled: manual triggers and the final checkpoint of a bounded job work even without
   * `intervalMs`; with `intervalMs` checkpoints are also taken periodically.
   */
  checkpointing?: CheckpointConfigInput;
  /**
   * Start from a checkpoint or savepoint: a path (`chk-<n>` or savepoint directory, or its
   * `_metadata`), or 'latest' = the newest complete checkpoint of this job in the checkpoint
   * directory (incomplete or corrupt ones are skipped with a warning; none → WEIR_RESTORE_NOTHING).
   */
  restore?: 'latest' | string;
  /** Drop state of operators (by uid) that no longer exist instead of failing (Flink's --allowNonRestoredState). */
  allowNonRestoredState?: boolean;
  /** What to do when a subtask fails (default: none without checkpointing, exponential-delay with it). */
  restartStrategy?: RestartStrategyConfig;
  /** Aborting it cancels the job, like `client.cancel()` (`done` resolves with status 'cancelled'); already aborted: nothing starts. */
  signal?: AbortSignal;
  /**
   * Your pino logger (main-thread lines go through `logger.child({ job })`; worker lines are
   * re-logged through it with their subtask bindings), or a level for Weir's own stderr
   * loggers. Default: stderr at `WEIR_LOG_LEVEL` (warn). See runtime/job/embedding.ts.
   */
  logger?: Logger | LogLevel;
  /**
   * Serve the job's HTTP endpoint: Prometheus metrics (`/metrics`), the REST API (`/jobs/…`, job
   * control) and the dashboard (`/`). Off by default; loopback unless `host` says otherwise, which
   * then requires `token`. See docs/observability.md.
   */
  rest?: RestOptions;
}

/** The fields of the `bufferDebloat` execute option (each defaults to Flink's value). */
export interface BufferDebloatOptions {
  /** Time the in-flight data of a channel should take to consume, ms. Default 1000. */
  targetMs?: number;
  /** How often the throughput is measured and the limit recomputed, ms. Default 200. */
  periodMs?: number;
  /** The smallest limit per channel, bytes (≥ 64). Default 1024. */
  minBytes?: number;
  /** Publish a new limit only when it differs by more than this, % (0..100). Default 25. */
  thresholdPercent?: number;
  /** Periods the throughput's moving average spans. Default 20. */
  samples?: number;
}

export interface ResolvedExecuteOptions<P> {
  readonly params: P;
  readonly parallelism: number;
  readonly maxParallelism: number;
  readonly threads: number | undefined;
  readonly bufferBytes: number;
  /** Buffer debloating, when enabled. */
  readonly bufferDebloat: BufferDebloatConfig | undefined;
  readonly stateBackend: 'lmdb' | 'heap';
  readonly stateDirectory: string;
  readonly jobId: string;
  readonly retainCollected: boolean;
  readonly batching: BatchingOptions;
  readonly checkpointing: CheckpointConfig | undefined;
  readonly restore: string | undefined;
  readonly allowNonRestoredState: boolean;
  readonly restartStrategy: RestartStrategyConfig | undefined;
  /** Whether the caller chose the job id (a restore otherwise continues the restored job's id). */
  readonly jobIdExplicit: boolean;
  /** The HTTP endpoint, when enabled. */
  readonly rest: ResolvedRestOptions | undefined;
}

const KNOWN = new Set(['params', 'parallelism', 'maxParallelism', 'threads', 'bufferBytes', 'bufferDebloat', 'stateBackend', 'stateDirectory', 'jobId', 'retainCollected', 'batching', 'checkpointing', 'restore', 'allowNonRestoredState', 'restartStrategy', 'signal', 'logger', 'rest']);

export function resolveExecuteOptions<P>(jobName: string, o: ExecuteOptionFields<P> = {}): ResolvedExecuteOptions<P> {
  for (const k of Object.keys(o)) if (!KNOWN.has(k)) throw invalidArgument(`execute(): unknown option '${k}' (known: ${[...KNOWN].join(', ')})`, { option: k });
  const int = (name: string, v: unknown, min: number, max = Number.MAX_SAFE_INTEGER) => {
    if (v === undefined) return undefined;
    if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) throw invalidArgument(`execute(): ${name} must be an integer in [${min}, ${max}], got ${preview(v)}`, { option: name, value: v });
    return v as number;
  };
  const bool = (name: string, v: unknown, dflt: boolean) => {
    if (v === undefined) return dflt;
    if (typeof v !== 'boolean') throw invalidArgument(`execute(): ${name} must be true or false, got ${preview(v)}`, { option: name, value: v });
    return v;
  };
  const stateBackend = o.stateBackend ?? 'lmdb';
  if (stateBackend !== 'lmdb' && stateBackend !== 'heap') throw invalidArgument(`execute(): stateBackend must be 'lmdb' or 'heap', got ${preview(stateBackend)}`, { option: 'stateBackend' });
  const jobId = o.jobId ?? generatedJobId(jobName);
  if (!/^[A-Za-z0-9._-]+$/.test(jobId)) throw invalidArgument(`execute(): jobId '${jobId}' may only contain letters, digits, '.', '_' and '-'`, { option: 'jobId' });
  // It names directories (checkpoints, state): '.' and '..' would be the parent or the root itself,
  // which a job removes when it ends.
  if (/^\.+$/.test(jobId)) throw invalidArgument(`execute(): jobId '${jobId}' cannot be only dots (it names the job's checkpoint and state directories)`, { option: 'jobId' });
  const batching = { ...DEFAULT_BATCHING, ...(o.batching ?? {}) };
  int('batching.maxBatchRecords', batching.maxBatchRecords, 1);
  int('batching.targetBatchBytes', batching.targetBatchBytes, 64);
  int('batching.maxPendingBytes', batching.maxPendingBytes, 0);
  int('batching.bufferTimeoutMs', batching.bufferTimeoutMs, 0);
  return {
    params: assertCloneable(o.params) as P, // structured-cloned to every worker: refuse what cannot be, now
    parallelism: int('parallelism', o.parallelism, 1) ?? os.availableParallelism(),
    maxParallelism: int('maxParallelism', o.maxParallelism, 1, 32768) ?? DEFAULT_MAX_PARALLELISM,
    threads: int('threads', o.threads, 1, 256),
    bufferBytes: int('bufferBytes', o.bufferBytes, 1024, 1 << 30) ?? 256 * 1024,
    bufferDebloat: resolveBufferDebloat(o.bufferDebloat, int),
    stateBackend,
    stateDirectory: o.stateDirectory ?? '.weir/state',
    jobId,
    retainCollected: bool('retainCollected', o.retainCollected, true),
    batching,
    checkpointing: o.checkpointing === undefined ? undefined : resolveCheckpointConfig(o.checkpointing),
    restore: checkRestore(o.restore),
    allowNonRestoredState: bool('allowNonRestoredState', o.allowNonRestoredState, false),
    restartStrategy: o.restartStrategy,
    jobIdExplicit: o.jobId !== undefined,
    rest: resolveRestOptions(o.rest),
  };
}

const DEBLOAT_FIELDS = ['targetMs', 'periodMs', 'minBytes', 'thresholdPercent', 'samples'] as const;

/** `bufferDebloat`: false/undefined = off, true = the defaults, an object = the defaults overridden field by field. */
function resolveBufferDebloat(
  v: unknown,
  int: (name: string, v: unknown, min: number, max?: number) => number | undefined,
): BufferDebloatConfig | undefined {
  if (v === undefined || v === false) return undefined;
  if (v === true) return DEFAULT_BUFFER_DEBLOAT;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw invalidArgument(`execute(): bufferDebloat must be true, false or an object { ${DEBLOAT_FIELDS.join(', ')} }, got ${JSON.stringify(v) ?? String(v)}`, { option: 'bufferDebloat', value: v });
  }
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!(DEBLOAT_FIELDS as readonly string[]).includes(k)) throw invalidArgument(`execute(): unknown option 'bufferDebloat.${k}' (known: ${DEBLOAT_FIELDS.join(', ')})`, { option: `bufferDebloat.${k}` });
  }
  const d = DEFAULT_BUFFER_DEBLOAT;
  const thresholdPercent = o.thresholdPercent ?? d.thresholdPercent;
  if (typeof thresholdPercent !== 'number' || !(thresholdPercent >= 0 && thresholdPercent <= 100)) {
    throw invalidArgument(`execute(): bufferDebloat.thresholdPercent must be a number in [0, 100], got ${preview(thresholdPercent)}`, { option: 'bufferDebloat.thresholdPercent', value: thresholdPercent });
  }
  return {
    targetMs: int('bufferDebloat.targetMs', o.targetMs, 1, 3_600_000) ?? d.targetMs,
    periodMs: int('bufferDebloat.periodMs', o.periodMs, 10, 3_600_000) ?? d.periodMs,
    minBytes: int('bufferDebloat.minBytes', o.minBytes, 64, 1 << 30) ?? d.minBytes,
    thresholdPercent,
    samples: int('bufferDebloat.samples', o.samples, 1, 1000) ?? d.samples,
  };
}

function checkRestore(r: unknown): string | undefined {
  if (r === undefined) return undefined;
  if (typeof r === 'object' && r !== null && typeof (r as { directory?: unknown }).directory === 'string') {
    // What triggerSavepoint()/triggerCheckpoint() resolve with: say which field to pass (its whole metadata was printed).
    throw invalidArgument(`execute(): restore must be 'latest' or a checkpoint/savepoint path; got a completed checkpoint object: pass its .directory ('${(r as { directory: string }).directory}')`, { option: 'restore' });
  }
  if (typeof r !== 'string' || r.length === 0) throw invalidArgument(`execute(): restore must be 'latest' or a checkpoint/savepoint path, got ${preview(r)}`, { option: 'restore' });
  return r;
}
