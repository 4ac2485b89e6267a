/**
 * How one PostgreSQL sink subtask (postgres-sink.ts) fails: the first failure it latched, and the
 * typed WeirErrors it raises, each naming the operator, subtask, table and endpoint (never the password).
 */
import type { TaskInfo } from '../api/functions.ts';
import { WeirError, preview } from '../../common/weir-error.ts';
import { RuntimeErrorCode } from '../errors.ts';
import { ConnectError, causeText, classify, codeOf, describeEndpoint, sinkError, type Endpoint } from './postgres-connections.ts';

export class SinkFailures {
  /** The first failure: every later call of the sink throws it. */
  failure: WeirError | undefined;
  /** Where the sink connects (known once it opened). */
  endpoint: Endpoint = { host: '?', port: 0, database: '?', user: '?' };

  constructor(private readonly info: TaskInfo, private readonly table: string, public password: string | undefined) {}

  /** Runs one step against the server; a failure becomes a typed error naming the step. */
  async step<R>(what: string, fn: () => Promise<R>, extra: Record<string, unknown> = {}): Promise<R> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof WeirError) throw e;
      throw this.error(what, e instanceof ConnectError ? e.original : e, extra);
    }
  }

  error(what: string, e: unknown, extra: Record<string, unknown> = {}): WeirError {
    if (e instanceof WeirError) return e;
    const forced = (e as { forceKind?: unknown })?.forceKind;
    const kind = forced === 'misconfigured' ? 'misconfigured' : classify(e);
    return sinkError(codeOf(kind),
      `${this.who()}: ${what} on ${describeEndpoint(this.endpoint)} failed: ${causeText(e, this.password)}`,
      { ...this.details(), ...extra, step: what, endpoint: describeEndpoint(this.endpoint), sqlState: (e as { code?: unknown })?.code }, e);
  }

  /** Latches `e` unless an earlier failure is latched; returns the latched one. */
  fail(e: WeirError): WeirError {
    this.failure ??= e;
    return this.failure;
  }

  /** A record that cannot become a row (latched). */
  badRecord(value: unknown, what: string, reason: string): WeirError {
    return this.fail(sinkError(RuntimeErrorCode.SINK_RECORD_REJECTED, `${this.who()}: record ${preview(value)} ${what}`, { ...this.details(), record: preview(value), reason }));
  }

  /** The server rejected record `rec` (a preview) with `cause`. */
  recordRejected(rec: string, cause: unknown): WeirError {
    return sinkError(RuntimeErrorCode.SINK_RECORD_REJECTED,
      `${this.who()}: ${describeEndpoint(this.endpoint)} rejected record ${rec} in table ${this.table}: ${causeText(cause, this.password)}`,
      { ...this.details(), record: rec, sqlState: (cause as { code?: unknown })?.code, constraint: (cause as { constraint?: unknown })?.constraint }, cause);
  }

  /** More than 2 × maxBufferedRows rows wait for the server although the input is blocked. */
  bufferFull(maxBufferedRows: number): WeirError {
    return new WeirError(RuntimeErrorCode.SINK_FAILED,
      `${this.who()}: more than 2 × maxBufferedRows (${maxBufferedRows}) rows wait for ${describeEndpoint(this.endpoint)} to acknowledge them although the input is blocked (raise maxBufferedRows)`,
      { ...this.details(), reason: 'buffer-full', maxBufferedRows });
  }

  private who(): string {
    const i = this.info;
    return `PostgreSQL sink '${i.operatorName}' (uid ${i.uid}, subtask ${i.subtask + 1}/${i.parallelism}, table ${this.table})`;
  }

  private details(): Record<string, unknown> {
    return { operator: this.info.operatorName, uid: this.info.uid, subtask: this.info.subtask, table: this.table };
  }
}
