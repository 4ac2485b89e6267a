/**
 * Records → rows of query parameters for the PostgreSQL sink (postgres-sink.ts): the column list
 * (given, or the first record's when a function maps records) and each record's values in its order.
 */
import { toParam } from './postgres-connections.ts';
import type { SinkFailures } from './postgres-sink-failures.ts';

export class RowMapper<T> {
  /** The columns, in order; with a mapping function, unknown until the first record. */
  columns: readonly string[] | undefined;

  constructor(
    private readonly spec: readonly string[] | ((record: T) => Record<string, unknown>),
    private readonly key: readonly string[] | undefined,
    private readonly failures: SinkFailures,
  ) {
    this.columns = Array.isArray(spec) ? spec : undefined;
  }

  /** The record's values, one per column (a record that does not fit fails the sink). */
  toRow(value: T): unknown[] {
    if (typeof this.spec === 'function') {
      let mapped: Record<string, unknown>;
      try {
        mapped = this.spec(value);
      } catch (e) {
        throw this.failures.badRecord(value, `the columns function threw: ${(e as Error)?.message ?? String(e)}`, 'mapping-failed');
      }
      if (mapped === null || typeof mapped !== 'object') throw this.failures.badRecord(value, 'the columns function did not return an object { column: value }', 'mapping-failed');
      const keys = Object.keys(mapped);
      this.columns ??= keys;
      const cols = this.columns;
      if (keys.length !== cols.length || !cols.every((c) => Object.hasOwn(mapped, c))) throw this.failures.badRecord(value, `maps to columns (${keys.join(', ')}) other than the first record's (${cols.join(', ')})`, 'columns-differ');
      return cols.map((c) => toParam(mapped[c]));
    }
    if (value === null || typeof value !== 'object') throw this.failures.badRecord(value, 'is not an object with one field per column', 'not-an-object');
    const rec = value as Record<string, unknown>;
    return this.columns!.map((c) => {
      if (!(c in rec)) throw this.failures.badRecord(value, `has no field '${c}' (columns: ${this.columns!.join(', ')})`, 'missing-column');
      return toParam(rec[c]);
    });
  }

  /** Upsert: the last row of each key, in order (ON CONFLICT DO UPDATE cannot touch a row twice in one statement). */
  lastPerKey(values: unknown[][]): unknown[][] {
    const idx = this.key!.map((k) => this.columns!.indexOf(k));
    const byKey = new Map<string, unknown[]>();
    for (const v of values) {
      const k = JSON.stringify(idx.map((i) => v[i]), (_, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));
      byKey.delete(k);
      byKey.set(k, v);
    }
    return byKey.size === values.length ? values : [...byKey.values()];
  }
}
