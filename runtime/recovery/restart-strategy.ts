/**
 * Restart strategies: whether, and after how long, a failed job is restarted
 * (Flink's `restart-strategy.*`, same names and semantics). Pure decisions;
 * time comes from an injected {@link Clock} and jitter from an injected
 * `random()`, so every decision is reproducible in tests.
 *
 * Call order: `resolveRestartStrategy(input, checkpointingEnabled)` once per
 * job (validates, fills defaults) → `new RestartTracker(strategy, clock)` →
 * `onFailure()` once per failover. Weir restarts the whole job on any failure
 * (one failover = one attempt), so the caller reports each failover once;
 * failures seen while tearing down or waiting out the delay of the same
 * failover must not be reported again (unlike Flink 1.19's exponential-delay,
 * the tracker does not merge failures that arrive during a pending restart).
 *
 * Defaults (as Flink ≥ 1.19): without checkpointing `none` (a restart would
 * start from scratch); with checkpointing `exponential-delay` with initial
 * 1 s, max 60 s, multiplier 1.5, reset after 1 h, jitter 0.1, unlimited
 * attempts.
 */
import { WeirError, preview } from '../../common/weir-error.ts';
import type { Clock } from '../../common/clock.ts';

/** User-facing restart strategy (Flink's names). */
export type RestartStrategyConfig =
  | { type: 'none' }
  | { type: 'fixed-delay'; attempts: number; delayMs: number }
  | {
      type: 'exponential-delay';
      /** First delay. Default 1000, >= 1. */
      initialDelayMs?: number;
      /** Delays never exceed this. Default 60 000, >= initialDelayMs. */
      maxDelayMs?: number;
      /** Each consecutive restart multiplies the delay by this. Default 1.5, > 1. */
      multiplier?: number;
      /** The backoff (and the attempt count) resets after the job ran this long without failure. Default 3 600 000, >= 1. */
      resetAfterMs?: number;
      /** Each delay varies randomly by ± this fraction. Default 0.1, in [0, 1]. */
      jitter?: number;
      /** Restarts allowed between two backoff resets. Default unlimited (`Infinity`). */
      attempts?: number;
    }
  | { type: 'failure-rate'; maxFailures: number; intervalMs: number; delayMs: number };

/** A validated strategy with every field present. `attempts: Infinity` = unlimited. */
export type ResolvedRestartStrategy =
  | Readonly<{ type: 'none' }>
  | Readonly<{ type: 'fixed-delay'; attempts: number; delayMs: number }>
  | Readonly<{ type: 'exponential-delay'; initialDelayMs: number; maxDelayMs: number; multiplier: number; resetAfterMs: number; jitter: number; attempts: number }>
  | Readonly<{ type: 'failure-rate'; maxFailures: number; intervalMs: number; delayMs: number }>;

/** The default exponential-delay parameters (Flink ≥ 1.19 defaults). */
export const EXPONENTIAL_DELAY_DEFAULTS = Object.freeze({
  type: 'exponential-delay' as const,
  initialDelayMs: 1000,
  maxDelayMs: 60_000,
  multiplier: 1.5,
  resetAfterMs: 3_600_000,
  jitter: 0.1,
  attempts: Infinity,
});

/** What to do about one failure. */
export interface RestartDecision {
  /** Restart the job (after `delayMs`), or let it fail for good. */
  restart: boolean;
  /** Wait this long before restarting (0 when `restart` is false). */
  delayMs: number;
  /**
   * 1-based number of this restart: since the job started (fixed-delay,
   * failure-rate), or since the last backoff reset (exponential-delay). When
   * `restart` is false, the number the refused restart would have had.
   */
  attempt: number;
  /** Why not, e.g. `'fixed-delay: 3 attempts used'`; absent when restarting. */
  reason?: string;
}

const FIELDS: Record<ResolvedRestartStrategy['type'], readonly string[]> = {
  none: ['type'],
  'fixed-delay': ['type', 'attempts', 'delayMs'],
  'exponential-delay': ['type', 'initialDelayMs', 'maxDelayMs', 'multiplier', 'resetAfterMs', 'jitter', 'attempts'],
  'failure-rate': ['type', 'maxFailures', 'intervalMs', 'delayMs'],
};

function invalid(field: string, value: unknown, rule: string): WeirError {
  const shown = value === undefined ? 'undefined' : typeof value === 'number' ? String(value) : preview(value, 80);
  return new WeirError('WEIR_INVALID_RESTART_STRATEGY', `Invalid restart strategy: ${field} ${rule}, got ${shown}`, { field, value, rule });
}

/** Reads and checks numeric fields of one strategy object. */
class FieldReader {
  constructor(private readonly raw: Record<string, unknown>, private readonly type: string) {}

  /** A finite number >= min (or > min with `exclusive`), integer if asked; `fallback` when absent (undefined = required). */
  num(field: string, opts: { min: number; exclusive?: boolean; integer?: boolean; fallback?: number; allowInfinity?: boolean }): number {
    const value = this.raw[field];
    const name = `${this.type}.${field}`;
    const kind = opts.integer ? 'an integer' : 'a number';
    const rule = `must be ${kind} ${opts.exclusive ? '>' : '>='} ${opts.min}${opts.allowInfinity ? ' (or Infinity for unlimited)' : ''}`;
    if (value === undefined) {
      if (opts.fallback === undefined) throw invalid(name, value, `is required and ${rule}`);
      return opts.fallback;
    }
    if (typeof value !== 'number' || Number.isNaN(value)) throw invalid(name, value, rule);
    if (value === Infinity && opts.allowInfinity) return value;
    if (!Number.isFinite(value) || (opts.integer && !Number.isInteger(value))) throw invalid(name, value, rule);
    if (opts.exclusive ? value <= opts.min : value < opts.min) throw invalid(name, value, rule);
    return value;
  }
}

/**
 * Validate a restart strategy and fill in defaults. Absent input: `none`
 * without checkpointing, exponential-delay ({@link EXPONENTIAL_DELAY_DEFAULTS})
 * with checkpointing.
 * @throws WeirError `WEIR_INVALID_RESTART_STRATEGY` naming the field, the value and the rule
 *   (`details: { field, value, rule }`) for an unknown type, unknown fields, missing required
 *   fields, wrong types and out-of-range values.
 */
export function resolveRestartStrategy(input: RestartStrategyConfig | undefined, checkpointingEnabled: boolean): ResolvedRestartStrategy {
  if (input === undefined) return checkpointingEnabled ? EXPONENTIAL_DELAY_DEFAULTS : Object.freeze({ type: 'none' as const });
  if (input === null || typeof input !== 'object' || Array.isArray(input)) throw invalid('(restart strategy)', input, 'must be an object with a type');
  const raw = input as Record<string, unknown>;
  const type = raw.type;
  if (typeof type !== 'string' || !(type in FIELDS)) {
    throw invalid('type', type, `must be one of ${Object.keys(FIELDS).map((t) => `'${t}'`).join(', ')}`);
  }
  const known = FIELDS[type as ResolvedRestartStrategy['type']];
  for (const key of Object.keys(raw)) {
    if (!known.includes(key)) throw invalid(`${type}.${key}`, raw[key], `is not an option of '${type}' (known: ${known.join(', ')})`);
  }
  const f = new FieldReader(raw, type);
  switch (type as ResolvedRestartStrategy['type']) {
    case 'none':
      return Object.freeze({ type: 'none' as const });
    case 'fixed-delay':
      return Object.freeze({
        type: 'fixed-delay' as const,
        attempts: f.num('attempts', { min: 0, integer: true }),
        delayMs: f.num('delayMs', { min: 0 }),
      });
    case 'failure-rate':
      return Object.freeze({
        type: 'failure-rate' as const,
        maxFailures: f.num('maxFailures', { min: 1, integer: true }),
        intervalMs: f.num('intervalMs', { min: 0, exclusive: true }),
        delayMs: f.num('delayMs', { min: 0 }),
      });
    case 'exponential-delay': {
      const d = EXPONENTIAL_DELAY_DEFAULTS;
      const initialDelayMs = f.num('initialDelayMs', { min: 1, fallback: d.initialDelayMs });
      const maxDelayMs = f.num('maxDelayMs', { min: 1, fallback: Math.max(d.maxDelayMs, initialDelayMs) });
      if (maxDelayMs < initialDelayMs) throw invalid('exponential-delay.maxDelayMs', maxDelayMs, `must be >= initialDelayMs (${initialDelayMs})`);
      const multiplier = f.num('multiplier', { min: 1, exclusive: true, fallback: d.multiplier });
      const resetAfterMs = f.num('resetAfterMs', { min: 1, fallback: d.resetAfterMs });
      const jitter = f.num('jitter', { min: 0, fallback: d.jitter });
      if (jitter > 1) throw invalid('exponential-delay.jitter', jitter, 'must be a number in [0, 1]');
      const attempts = f.num('attempts', { min: 1, integer: true, fallback: d.attempts, allowInfinity: true });
      return Object.freeze({ type: 'exponential-delay' as const, initialDelayMs, maxDelayMs, multiplier, resetAfterMs, jitter, attempts });
    }
  }
}

/** One line for logs and the CLI, e.g. `fixed-delay (3 attempts, 1000 ms apart)`. */
export function describeRestartStrategy(s: ResolvedRestartStrategy): string {
  switch (s.type) {
    case 'none':
      return 'none (a failure fails the job)';
    case 'fixed-delay':
      return `fixed-delay (${s.attempts} attempts, ${s.delayMs} ms apart)`;
    case 'failure-rate':
      return `failure-rate (at most ${s.maxFailures} failures per ${s.intervalMs} ms, ${s.delayMs} ms delay)`;
    case 'exponential-delay':
      return `exponential-delay (${s.initialDelayMs} ms × ${s.multiplier} up to ${s.maxDelayMs} ms, jitter ${s.jitter}, `
        + `reset after ${s.resetAfterMs} ms, ${s.attempts === Infinity ? 'unlimited' : s.attempts} attempts)`;
  }
}

/**
 * Decides, failure by failure, whether the job restarts and after which
 * delay. One tracker per job (it outlives the attempts it decides about).
 *
 * - `none`: never.
 * - `fixed-delay`: the first `attempts` failures restart after `delayMs`; the next fails the job.
 * - `failure-rate`: restart after `delayMs` unless this failure makes more than `maxFailures`
 *   failures within the last `intervalMs` (a failure exactly `intervalMs` ago still counts).
 * - `exponential-delay`: restart k (1-based, since the last reset) waits
 *   `initialDelayMs × multiplier^(k-1)` ± a jitter of up to `⌊that × jitter⌋` ms, clamped to
 *   [`initialDelayMs`, `maxDelayMs`] and rounded down to whole ms. If the job ran `resetAfterMs`
 *   without failure since the scheduled restart, k starts again at 1. More than `attempts`
 *   restarts without a reset fail the job. Jitter does not compound: the next base is
 *   computed from k, not from the jittered delay.
 */
export class RestartTracker {
  private count = 0;
  /** failure-rate: timestamps of recent failures (oldest first). */
  private recent: number[] = [];
  /** exponential-delay: restarts since the last reset, and when the last restart was due. */
  private sinceReset = 0;
  private lastRestartAt: number | undefined;

  constructor(
    readonly strategy: ResolvedRestartStrategy,
    private readonly clock: Clock,
    private readonly random: () => number = Math.random,
  ) {}

  /** Failures reported so far (every `onFailure` call, restarted or not). */
  get failures(): number {
    return this.count;
  }

  /** Report one failover; returns whether to restart and after how long. */
  onFailure(): RestartDecision {
    this.count++;
    const s = this.strategy;
    switch (s.type) {
      case 'none':
        return { restart: false, delayMs: 0, attempt: this.count, reason: 'none: restarts are disabled (restart strategy none)' };
      case 'fixed-delay':
        if (this.count > s.attempts) {
          return { restart: false, delayMs: 0, attempt: this.count, reason: `fixed-delay: ${s.attempts} ${s.attempts === 1 ? 'attempt' : 'attempts'} used` };
        }
        return { restart: true, delayMs: s.delayMs, attempt: this.count };
      case 'failure-rate':
        return this.failureRate(s);
      case 'exponential-delay':
        return this.exponential(s);
    }
  }

  private failureRate(s: Extract<ResolvedRestartStrategy, { type: 'failure-rate' }>): RestartDecision {
    const now = this.clock.now();
    this.recent.push(now);
    // Only failures within the interval (now - t <= intervalMs) count; at most maxFailures + 1 are kept.
    this.recent = this.recent.filter((t) => now - t <= s.intervalMs).slice(-(s.maxFailures + 1));
    if (this.recent.length > s.maxFailures) {
      return {
        restart: false, delayMs: 0, attempt: this.count,
        reason: `failure-rate: ${this.recent.length} failures within ${s.intervalMs} ms exceed maxFailures ${s.maxFailures}`,
      };
    }
    return { restart: true, delayMs: s.delayMs, attempt: this.count };
  }

  private exponential(s: Extract<ResolvedRestartStrategy, { type: 'exponential-delay' }>): RestartDecision {
    const now = this.clock.now();
    // 1. Reset the backoff if the job ran long enough since its last restart.
    if (this.lastRestartAt !== undefined && now - this.lastRestartAt >= s.resetAfterMs) this.sinceReset = 0;
    const attempt = this.sinceReset + 1;
    // 2. Attempt budget between resets.
    if (attempt > s.attempts) {
      return {
        restart: false, delayMs: 0, attempt,
        reason: `exponential-delay: ${s.attempts} ${s.attempts === 1 ? 'attempt' : 'attempts'} used without ${s.resetAfterMs} ms of failure-free running`,
      };
    }
    // 3. Delay: base × multiplier^(attempt-1), ± jitter, clamped to [initial, max].
    const base = Math.floor(Math.min(s.initialDelayMs * Math.pow(s.multiplier, attempt - 1), s.maxDelayMs));
    const spread = Math.floor(base * s.jitter);
    const offset = spread === 0 ? 0 : Math.min(spread, Math.floor(this.random() * (2 * spread + 1)) - spread);
    const delayMs = Math.max(s.initialDelayMs, Math.min(base + offset, s.maxDelayMs));
    this.sinceReset = attempt;
    this.lastRestartAt = now + delayMs;
    return { restart: true, delayMs, attempt };
  }
}

/** The wait before a restart: `done` resolves after `ms`, or at once when `end()` is called (a cancel). */
export function restartDelay(ms: number): { done: Promise<void>; end(): void } {
  let end!: () => void;
  const done = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    end = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  return { done, end };
}
