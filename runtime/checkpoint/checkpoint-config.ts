/**
 * Checkpoint configuration: the user-facing input (all optional, Flink
 * defaults) and its validated, fully resolved form. `resolveCheckpointConfig`
 * is the only place that reads the input; `barrierAlignmentFor` is the only
 * place that turns the config into a barrier alignment mode.
 */
import { WeirError, preview } from '../../common/weir-error.ts';
import type { BarrierAlignment } from '../io/stream-elements.ts';

/** User-facing checkpoint options; every field is optional (Flink defaults). */
export interface CheckpointConfigInput {
  /** Periodic checkpoint interval; `null`/absent = periodic checkpointing off. Must be >= 10. */
  intervalMs?: number | null;
  /** Default `'exactly-once'`. */
  mode?: 'exactly-once' | 'at-least-once';
  /** Unaligned checkpoints (exactly-once only). Default false. */
  unaligned?: boolean;
  /** Only with `unaligned`: 0 = always unaligned (default); > 0 = start aligned, switch to unaligned after this long since the trigger. */
  alignedCheckpointTimeoutMs?: number;
  /** A pending checkpoint is aborted (CHECKPOINT_EXPIRED) after this long. Default 600 000, >= 10. */
  timeoutMs?: number;
  /** Minimum pause between the end of one checkpoint and the next periodic trigger. Default 0. */
  minPauseMs?: number;
  /** Maximum checkpoints in progress at once. Default 1; unaligned requires 1. */
  maxConcurrent?: number;
  /** Consecutive counted checkpoint failures tolerated before the job fails over. Default 0. */
  tolerableFailures?: number;
  /** Completed checkpoints kept. Default 1, >= 1. */
  retained?: number;
  /** What happens to retained checkpoints when the job is cancelled. Default `'delete-on-cancel'`. */
  retention?: 'delete-on-cancel' | 'retain-on-cancel';
  /** Root of checkpoint storage. Default `'.weir/checkpoints'`. */
  directory?: string;
  /** Incremental (delta) keyed-state checkpoints. Default false. */
  incremental?: boolean;
}

/** The resolved configuration: every field present and valid. */
export interface CheckpointConfig {
  readonly intervalMs: number | null;
  readonly mode: 'exactly-once' | 'at-least-once';
  readonly unaligned: boolean;
  readonly alignedCheckpointTimeoutMs: number;
  readonly timeoutMs: number;
  readonly minPauseMs: number;
  readonly maxConcurrent: number;
  readonly tolerableFailures: number;
  readonly retained: number;
  readonly retention: 'delete-on-cancel' | 'retain-on-cancel';
  readonly directory: string;
  readonly incremental: boolean;
}

/** Smallest interval and timeout accepted (as Flink's MINIMAL_CHECKPOINT_TIME). */
export const MIN_CHECKPOINT_TIME_MS = 10;

/** Defaults applied by {@link resolveCheckpointConfig}. */
export const CHECKPOINT_CONFIG_DEFAULTS: CheckpointConfig = Object.freeze({
  intervalMs: null,
  mode: 'exactly-once',
  unaligned: false,
  alignedCheckpointTimeoutMs: 0,
  timeoutMs: 600_000,
  minPauseMs: 0,
  maxConcurrent: 1,
  tolerableFailures: 0,
  retained: 1,
  retention: 'delete-on-cancel',
  directory: '.weir/checkpoints',
  incremental: false,
});

const KEYS = Object.keys(CHECKPOINT_CONFIG_DEFAULTS) as Array<keyof CheckpointConfig>;

function invalid(field: string, value: unknown, rule: string): WeirError {
  const shown = value === undefined ? 'undefined' : preview(value, 80);
  return new WeirError(
    'WEIR_INVALID_CHECKPOINT_CONFIG',
    `Invalid checkpoint config: ${field} ${rule}, got ${shown}`,
    { field, value, rule },
  );
}

function num(input: Record<string, unknown>, field: string, fallback: number, min: number, opts: { integer?: boolean; rule?: string } = {}): number {
  const value = input[field];
  if (value === undefined) return fallback;
  const rule = opts.rule ?? `must be ${opts.integer ? 'an integer' : 'a number'} >= ${min}`;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(field, value, rule);
  if (opts.integer && !Number.isInteger(value)) throw invalid(field, value, rule);
  if (value < min) throw invalid(field, value, rule);
  return value;
}

function bool(input: Record<string, unknown>, field: string, fallback: boolean): boolean {
  const value = input[field];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalid(field, value, 'must be a boolean');
  return value;
}

function oneOf<T extends string>(input: Record<string, unknown>, field: string, fallback: T, allowed: readonly T[]): T {
  const value = input[field];
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw invalid(field, value, `must be one of ${allowed.map((a) => `'${a}'`).join(', ')}`);
  }
  return value as T;
}

/**
 * Validate user input and fill in defaults.
 * @throws WeirError `WEIR_INVALID_CHECKPOINT_CONFIG` naming the field, the value and the rule
 *   (`details: { field, value, rule }`) for unknown keys, wrong types, out-of-range numbers and
 *   incompatible combinations (unaligned + at-least-once, unaligned + maxConcurrent > 1,
 *   alignedCheckpointTimeoutMs without unaligned).
 */
export function resolveCheckpointConfig(input: CheckpointConfigInput = {}): CheckpointConfig {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw invalid('(checkpoint config)', input, 'must be an object');
  }
  const raw = input as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!(KEYS as string[]).includes(key)) {
      throw invalid(key, raw[key], `is not a checkpoint option (known: ${KEYS.join(', ')})`);
    }
  }
  const d = CHECKPOINT_CONFIG_DEFAULTS;

  // 1. Each field on its own.
  let intervalMs: number | null = null;
  if (raw.intervalMs !== undefined && raw.intervalMs !== null) {
    intervalMs = num(raw, 'intervalMs', 0, MIN_CHECKPOINT_TIME_MS, {
      rule: `must be a number >= ${MIN_CHECKPOINT_TIME_MS} (or null to disable periodic checkpoints)`,
    });
  }
  const mode = oneOf(raw, 'mode', d.mode, ['exactly-once', 'at-least-once'] as const);
  const unaligned = bool(raw, 'unaligned', d.unaligned);
  const alignedCheckpointTimeoutMs = num(raw, 'alignedCheckpointTimeoutMs', d.alignedCheckpointTimeoutMs, 0);
  const timeoutMs = num(raw, 'timeoutMs', d.timeoutMs, MIN_CHECKPOINT_TIME_MS);
  const minPauseMs = num(raw, 'minPauseMs', d.minPauseMs, 0);
  const maxConcurrent = num(raw, 'maxConcurrent', d.maxConcurrent, 1, { integer: true });
  const tolerableFailures = num(raw, 'tolerableFailures', d.tolerableFailures, 0, { integer: true });
  const retained = num(raw, 'retained', d.retained, 1, { integer: true });
  const retention = oneOf(raw, 'retention', d.retention, ['delete-on-cancel', 'retain-on-cancel'] as const);
  const incremental = bool(raw, 'incremental', d.incremental);
  const directory = raw.directory === undefined ? d.directory : raw.directory;
  if (typeof directory !== 'string' || directory.trim() === '') {
    throw invalid('directory', directory, 'must be a non-empty string');
  }

  // 2. Combinations.
  if (unaligned && mode === 'at-least-once') {
    throw invalid('unaligned', true, "requires mode 'exactly-once' (unaligned checkpoints are exactly-once only; mode is 'at-least-once')");
  }
  if (unaligned && maxConcurrent > 1) {
    throw invalid('maxConcurrent', maxConcurrent, 'must be 1 with unaligned checkpoints (at most one unaligned checkpoint at a time)');
  }
  // 0 is the default (no timeout): saying so explicitly is not a mistake.
  if (raw.alignedCheckpointTimeoutMs !== undefined && raw.alignedCheckpointTimeoutMs !== 0 && !unaligned) {
    throw invalid('alignedCheckpointTimeoutMs', raw.alignedCheckpointTimeoutMs, 'is only allowed together with unaligned: true');
  }

  return Object.freeze({
    intervalMs, mode, unaligned, alignedCheckpointTimeoutMs, timeoutMs, minPauseMs,
    maxConcurrent, tolerableFailures, retained, retention, directory, incremental,
  });
}

/**
 * The barrier alignment for a checkpoint of the given kind. Savepoints are
 * always aligned; at-least-once checkpoints report `'aligned'` (the barrier
 * handler reads `config.mode` to skip blocking).
 */
export function barrierAlignmentFor(config: CheckpointConfig, kind: 'checkpoint' | 'savepoint'): BarrierAlignment {
  if (kind === 'savepoint' || !config.unaligned) return 'aligned';
  return config.alignedCheckpointTimeoutMs > 0 ? 'aligned-with-timeout' : 'unaligned';
}
