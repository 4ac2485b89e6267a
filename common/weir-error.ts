/**
 * Base class of every error Weir throws on purpose.
 *
 * Match on `code`, never on `message`: codes are stable across releases,
 * messages are for people. `details` carries the machine-readable context
 * (operator, subtask, checkpoint id, offending value …).
 */
export class WeirError extends Error {
  readonly code: string;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WeirError';
    this.code = code;
    this.details = details;
  }

  /** A plain object that survives structured clone (postMessage) and JSON. */
  toJSON(): SerializedWeirError {
    return { name: this.name, code: this.code, message: this.message, details: { ...this.details }, stack: this.stack };
  }
}

export interface SerializedWeirError {
  name: string;
  code: string;
  message: string;
  details: Record<string, unknown>;
  stack?: string;
}

/** Rebuild an error that crossed a thread boundary; keeps `code` and `details` when present. */
export function reviveError(value: unknown): Error {
  if (value instanceof Error) return value;
  if (value && typeof value === 'object') {
    const v = value as Partial<SerializedWeirError> & { message?: string };
    if (typeof v.code === 'string') {
      const e = new WeirError(v.code, v.message ?? v.code, v.details ?? {});
      if (v.name) e.name = v.name;
      if (v.stack) e.stack = v.stack;
      return e;
    }
    if (typeof v.message === 'string') {
      const e = new Error(v.message);
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
