/**
 * The PostgreSQL sink's options (postgres-sink.ts): their types, validation and defaults, and the
 * names (gids) of the transactions one sink instance prepares.
 */
import { randomBytes } from 'node:crypto';
import type { TaskInfo } from '../api/functions.ts';
import { invalidArgument } from '../errors.ts';
import { preview } from '../../common/weir-error.ts';
import { checkConnectionOption } from './postgres-connections.ts';

/** Each field may be `undefined` (absent): `password: process.env.PGPASSWORD` type-checks under exactOptionalPropertyTypes. */
export interface PostgresConnectionOptions {
  readonly host?: string | undefined;
  readonly port?: number | undefined;
  readonly user?: string | undefined;
  readonly password?: string | undefined;
  readonly database?: string | undefined;
}

/** Options of {@link postgresSink}. */
export interface PostgresSinkOptions<T> {
  /** Connection parameters, or a connection string `postgres://user:password@host:port/database`. */
  readonly connection: PostgresConnectionOptions | string;
  /** Target table, `table` or `schema.table` (each part quoted as given: case-sensitive). */
  readonly table: string;
  /** Column names (each record's fields of those names), or a function record → { column: value } (same keys for every record). */
  readonly columns: readonly string[] | ((record: T) => Record<string, unknown>);
  /** Default 'exactly-once'. */
  readonly mode?: 'exactly-once' | 'upsert';
  /** Upsert: the conflict target (columns of a unique index or primary key). */
  readonly key?: readonly string[];
  /** Rows per INSERT statement. Default 500 (capped at 65535 parameters per statement). */
  readonly batchRows?: number;
  /** Rows held in memory per subtask before the server acknowledged them. Default 100000. */
  readonly maxBufferedRows?: number;
  /** Connections per subtask. Default 4 (≥ 2: a transaction is prepared while the next one fills). */
  readonly poolSize?: number;
  /** Start of every gid this sink prepares. Default `weir:<table>`; two jobs writing one table with the same sink uid need different ones. */
  readonly transactionIdPrefix?: string;
  /** Connection timeout. Default 10000 ms. */
  readonly connectTimeoutMs?: number;
}

/** A PostgreSQL transaction's handle (stored in checkpoints). */
export interface PostgresTransaction {
  readonly gid: string;
  /** Subtask index of the instance that began it (recovery scope). */
  readonly subtask: number;
  /** Rows written (0: nothing was ever sent, nothing to prepare or commit). */
  rows: number;
}

/** {@link PostgresSinkOptions} validated, with every default filled in. */
export type ResolvedOptions<T> = Required<Omit<PostgresSinkOptions<T>, 'key' | 'connection'>> & { key: readonly string[] | undefined; connection: PostgresConnectionOptions | string };

const IDENT = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/** Checks the options (throws WEIR_INVALID_ARGUMENT naming the option) and fills in the defaults. */
export function resolveOptions<T>(options: PostgresSinkOptions<T>): ResolvedOptions<T> {
  if (!options || typeof options !== 'object') throw invalidArgument('postgresSink: expected options { connection, table, columns, mode }');
  const { connection, table, columns, mode = 'exactly-once', key, batchRows = 500, maxBufferedRows = 100_000, poolSize = 4, connectTimeoutMs = 10_000 } = options;
  checkConnectionOption('postgresSink', connection);
  if (typeof table !== 'string' || !table.split('.').every((p) => IDENT.test(p)) || table.split('.').length > 2) {
    throw invalidArgument(`postgresSink: table '${String(table)}' must be 'table' or 'schema.table' (letters, digits, _ and $)`, { option: 'table' });
  }
  if (typeof columns !== 'function') {
    if (!Array.isArray(columns) || columns.length === 0 || !columns.every((c) => typeof c === 'string' && c.length > 0)) throw invalidArgument('postgresSink: columns must be a non-empty array of column names or a function record => row', { option: 'columns' });
    if (new Set(columns).size !== columns.length) throw invalidArgument(`postgresSink: columns contain a duplicate: ${columns.join(', ')}`, { option: 'columns' });
  }
  if (mode !== 'exactly-once' && mode !== 'upsert') throw invalidArgument(`postgresSink: mode must be 'exactly-once' or 'upsert', got '${String(mode)}'`, { option: 'mode' });
  if (mode === 'upsert') {
    if (!Array.isArray(key) || key.length === 0 || !key.every((k) => typeof k === 'string' && k.length > 0)) throw invalidArgument('postgresSink: upsert mode needs key: the conflict target columns', { option: 'key' });
    if (Array.isArray(columns)) for (const k of key) if (!columns.includes(k)) throw invalidArgument(`postgresSink: key column '${k}' is not among columns (${columns.join(', ')})`, { option: 'key' });
  } else if (key !== undefined) throw invalidArgument("postgresSink: key only applies to mode 'upsert'", { option: 'key' });
  const positive = (name: string, v: unknown, min: number) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw invalidArgument(`postgresSink: ${name} must be an integer >= ${min}, got ${preview(v)}`, { option: name });
  };
  positive('batchRows', batchRows, 1);
  positive('maxBufferedRows', maxBufferedRows, 1);
  positive('poolSize', poolSize, 2);
  positive('connectTimeoutMs', connectTimeoutMs, 1);
  const transactionIdPrefix = options.transactionIdPrefix ?? `weir:${table}`;
  if (typeof transactionIdPrefix !== 'string' || !/^[A-Za-z0-9_.:$-]{1,80}$/.test(transactionIdPrefix)) {
    throw invalidArgument('postgresSink: transactionIdPrefix must be 1–80 letters, digits or _.:$-', { option: 'transactionIdPrefix' });
  }
  return { connection, table, columns, mode, key: mode === 'upsert' ? [...key!] : undefined, batchRows, maxBufferedRows, poolSize, transactionIdPrefix, connectTimeoutMs };
}

/** The password given in the options (a connection string's is read by pg when the sink opens). */
export const configuredPassword = (c: PostgresConnectionOptions | string): string | undefined => (typeof c === 'string' ? undefined : c.password);

/**
 * The gids of one sink instance: `<prefix>:<uid>:<subtask>:<attempt>-<nonce>:<seq>`. The nonce is
 * random per instance, seq counts its transactions.
 */
export class TransactionIds {
  private readonly base: string;
  /** Start of every gid of this instance (and of no other). */
  readonly mine: string;
  private seq = 0;

  constructor(prefix: string, info: TaskInfo) {
    const instance = `${info.attempt}-${randomBytes(4).toString('hex')}`;
    this.base = `${prefix}:${info.uid}`;
    this.mine = `${this.base}:${info.subtask}:${instance}:`;
  }

  /** The gid of this instance's next transaction. */
  next(): string {
    return `${this.mine}${this.seq++}`;
  }

  /** Start of every gid of this sink prepared by any instance of subtask index `subtask`. */
  ofSubtask(subtask: number): string {
    return `${this.base}:${subtask}:`;
  }
}
