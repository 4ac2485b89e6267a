/**
 * One record as a line of the exactly-once file sink: JSON Lines, or an RFC 4180 CSV row whose
 * columns are given or inferred from the first record (a later record with another field is an
 * error). Bad records fail through `badRecord` (the sink names its operator and subtask).
 */
import type { WeirError } from '../../../common/weir-error.ts';

export class RecordLines {
  private columns: readonly string[] | undefined;
  private readonly inferColumns: boolean;

  constructor(
    private readonly format: 'jsonl' | 'csv',
    columns: readonly string[] | undefined,
    private readonly badRecord: (record: unknown, what: string, details: Record<string, unknown>) => WeirError,
  ) {
    this.columns = columns;
    this.inferColumns = columns === undefined;
  }

  /** The record's line, its line end included. */
  line(value: unknown): string {
    return this.format === 'jsonl' ? this.jsonLine(value) : this.csvLine(value);
  }

  /** CSV: the header row (the columns are known once a record was encoded, or were given). */
  csvHeader(): string {
    return this.columns!.map((c) => csvField(c)!).join(',') + '\r\n';
  }

  private jsonLine(value: unknown): string {
    let s: string | undefined;
    try {
      s = JSON.stringify(value);
    } catch (e) {
      throw this.badRecord(value, `has no JSON form: ${(e as Error).message}`, { reason: 'not-json' });
    }
    if (s === undefined) throw this.badRecord(value, 'has no JSON form', { reason: 'not-json' });
    return s + '\n';
  }

  private csvLine(value: unknown): string {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw this.badRecord(value, 'is not an object: CSV records must be objects with one field per column', { reason: 'not-an-object' });
    }
    const rec = value as Record<string, unknown>;
    if (!this.columns) {
      const keys = Object.keys(rec);
      if (keys.length === 0) throw this.badRecord(value, 'has no fields to infer CSV columns from (pass columns)', { reason: 'no-columns' });
      this.columns = keys;
    }
    const cols = this.columns;
    if (this.inferColumns) {
      let n = 0;
      for (const k in rec) if (Object.prototype.hasOwnProperty.call(rec, k)) n++;
      if (n > cols.length) {
        const extra = Object.keys(rec).find((k) => !cols.includes(k))!;
        throw this.badRecord(value, `has field '${extra}' that is not a column (columns inferred from the first record: ${cols.join(', ')}; pass columns to choose them)`, { reason: 'extra-field', column: extra });
      }
    }
    let line = '';
    for (let i = 0; i < cols.length; i++) {
      const c = cols[i]!;
      const v = rec[c];
      if (v === undefined) throw this.badRecord(value, `has no field '${c}' (columns: ${cols.join(', ')})`, { reason: 'missing-column', column: c });
      const field = csvField(v);
      if (field === undefined) throw this.badRecord(value, `field '${c}' holds ${Array.isArray(v) ? 'an array' : `a ${typeof v === 'object' ? 'nested object' : typeof v}`}; CSV fields must be strings, numbers, booleans, bigints, dates or null`, { reason: 'nested-value', column: c });
      line += i === 0 ? field : ',' + field;
    }
    return line + '\r\n';
  }
}

/** RFC 4180 field text, or undefined when the value has no CSV form (objects, arrays, functions, symbols). */
export function csvField(v: unknown): string | undefined {
  switch (typeof v) {
    case 'string':
      if (v.length === 0) return '""';
      return /[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(v);
    case 'object':
      if (v === null) return '';
      if (v instanceof Date) {
        const t = v.getTime();
        return Number.isNaN(t) ? undefined : v.toISOString();
      }
      return undefined;
    default:
      return undefined;
  }
}
