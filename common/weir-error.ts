/**
 * Base class of every error Weir throws on purpose.
 *
 * Match on `code`, never on `message`: codes are stable across releases,
 * messages are for people. `details` carries the machine-readable context
 * (operator, subtask, checkpoint id, offending value …).
 */
/**
 * The mark of a WeirError, shared by every copy of Weir in a process (its sources and its build, two
 * installed versions): `instanceof WeirError` holds across them — the CLI run from the repository's
 * sources lost the codes of errors thrown by a job that imported the build.
 */
const WEIR_ERROR = Symbol.for('weir.WeirError');

export class WeirError extends Error {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[WEIR_ERROR] === true;
  }

  readonly code: string;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WeirError';
    this.code = code;
    this.details = details;
  }

  /** A plain object that survives structured clone (postMessage) and JSON; the cause chain included (a user function's own stack). */
  toJSON(): SerializedWeirError {
    const cause = serializedCause(this.cause, 0);
    return { name: this.name, code: this.code, message: this.message, details: { ...this.details }, stack: this.stack, ...(cause ? { cause } : {}) };
  }
}

Object.defineProperty(WeirError.prototype, WEIR_ERROR, { value: true });

export interface SerializedWeirError {
  name: string;
  code: string;
  message: string;
  details: Record<string, unknown>;
  stack?: string;
  cause?: SerializedCause;
}

/** An error's cause as it crosses threads (a WeirError's code and details kept). */
export interface SerializedCause {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  details?: Record<string, unknown>;
  cause?: SerializedCause;
}

/** Causes kept across a thread boundary, nearest first. */
const MAX_CAUSES = 5;

/** The serializable form of `cause` (undefined: none); `depth` bounds the chain. */
export function serializedCause(cause: unknown, depth: number): SerializedCause | undefined {
  if (cause === undefined || cause === null || depth >= MAX_CAUSES) return undefined;
  if (!(cause instanceof Error)) return { name: 'Error', message: typeof cause === 'string' ? cause : `non-Error value thrown: ${String(cause)}` };
  const code = (cause as { code?: unknown }).code;
  const details = (cause as { details?: unknown }).details;
  const next = serializedCause(cause.cause, depth + 1);
  return {
    name: cause.name,
    message: cause.message,
    ...(cause.stack !== undefined ? { stack: cause.stack } : {}),
    ...(typeof code === 'string' ? { code } : {}),
    ...(typeof code === 'string' && details !== null && typeof details === 'object' ? { details: { ...(details as Record<string, unknown>) } } : {}),
    ...(next ? { cause: next } : {}),
  };
}

/** Rebuild an error that crossed a thread boundary; keeps `code` and `details` when present. */
export function reviveError(value: unknown): Error {
  if (value instanceof Error) return value;
  if (value && typeof value === 'object') {
    const v = value as Partial<SerializedWeirError> & { message?: string };
    const options = v.cause !== undefined ? { cause: reviveError(v.cause) } : undefined;
    if (typeof v.code === 'string') {
      const e = new WeirError(v.code, v.message ?? v.code, v.details ?? {}, options);
      if (v.name) e.name = v.name;
      if (v.stack) e.stack = v.stack;
      return e;
    }
    if (typeof v.message === 'string') {
      const e = new Error(v.message, options);
      if (v.name) e.name = v.name;
      if (v.stack) e.stack = v.stack;
      return e;
    }
  }
  return new Error(String(value));
}

/** Truncate a value's printed form for error messages (records can be huge). */
export function preview(value: unknown, max = 200): string {
  let s: string;
  try {
    // JSON prints NaN and ±Infinity as null: a number is printed by String(), a nested one as a string.
    s = typeof value === 'string' ? JSON.stringify(value)
      : typeof value === 'number' ? String(value)
      : JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `${v}n` : typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
  } catch {
    s = String(value);
  }
  if (s === undefined) s = String(value);
  return s.length > max ? `${s.slice(0, max)}… (${s.length} chars)` : s;
}
