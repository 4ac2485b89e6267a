/**
 * Two-phase-commit sinks (Flink's `TwoPhaseCommitSinkFunction`): the contract a
 * user implements (`TwoPhaseCommitSink`), the definition a job passes to
 * `stream.sinkTo()` (`TwoPhaseCommitSinkDefinition`), and the operator that
 * drives it from the subtask's checkpoint hooks (`TwoPhaseCommitSinkOperator`).
 *
 * Call order on one subtask (one `TwoPhaseCommitSink` instance per subtask):
 *
 *   initializeState(restored)     1. for each restored entry (one per old subtask mapped here):
 *                                    recoverAndCommit every pending txn (its checkpoint completed),
 *                                    then recoverAndAbort the restored current txn;
 *                                 2. beginTransaction() → current
 *   open                          beginTransaction() if initializeState was not called
 *   processElement(v)             invoke(current, v)
 *   snapshotState(n)              preCommit(current) (started; may return a Promise); pending += [n, current];
 *                                 current = beginTransaction(); return { pending, current }
 *   snapshotDurable(n)            (asynchronous part of checkpoint n) resolves when every preCommit of a
 *                                 checkpoint <= n resolved; the subtask acknowledges n only then, and a
 *                                 rejection fails the task (the checkpoint is declined)
 *   notifyCheckpointComplete(n)   commit every pending txn with id <= n, oldest first (subsuming)
 *   notifyCheckpointAborted(n)    nothing: the txns stay pending; a later completion subsumes them
 *   finish                        commit what is still pending, preCommit + commit current
 *   close                         abort current unless it was committed; pending txns are kept
 *                                 (they may belong to a completed checkpoint: restore commits them)
 *
 * Snapshot shape (exact JSON in `_metadata`, stored under the operator's uid):
 *   { pending: [[checkpointId, txn], …] (oldest first), current: txn | null }
 */
import type { TaskInfo } from '../../api/functions.ts';
import type { StreamOperator } from '../operator.ts';
import type { OperatorContext } from '../operator.ts';
import { isThenable, userFunctionFailed } from '../operator.ts';
import { WeirError } from '../../../common/weir-error.ts';
import { fromExactJson, toExactJson } from '../../../common/codec/exact-json.ts';
import { RuntimeErrorCode } from '../../errors.ts';

/**
 * What an exactly-once sink implements: one instance per subtask, created in the
 * worker by {@link TwoPhaseCommitSinkDefinition.create}.
 *
 * Transaction handles (`Txn`) go into checkpoints: they must be data (numbers —
 * also Infinity/NaN —, bigints, strings, Dates, bytes, arrays, plain objects, Maps,
 * Sets; they are stored exactly; a class instance or a RegExp is refused) and must carry everything `recoverAndCommit` / `recoverAndAbort` need in a new
 * process (file names, transaction ids — never a file descriptor or a socket).
 * `beginTransaction` and `invoke` run on the record path and must be synchronous.
 * `preCommit` is started synchronously at the barrier (before the next record goes
 * into the next transaction) but may return a Promise (network I/O such as
 * PostgreSQL's PREPARE TRANSACTION): the checkpoint is acknowledged only after it
 * resolved, and its rejection fails the task. `commit` and `abort` may return a Promise;
 * a transaction is committed only after its preCommit resolved and its checkpoint completed.
 */
export interface TwoPhaseCommitSink<T, Txn> {
  /** Start a transaction (called at start, after every checkpoint and after restore). */
  beginTransaction(): Txn;
  /** Write one record into the transaction. Throw a `WeirError` for a bad record. */
  invoke(txn: Txn, value: T, timestamp: number | undefined): void;
  /**
   * Checkpoint barrier: flush and make the transaction durable, so it can be committed after a crash.
   * Runs synchronously up to its first `await`; the returned Promise (if any) must resolve before the
   * checkpoint may be acknowledged. It must not touch transactions begun after it.
   */
  preCommit(txn: Txn): void | Promise<void>;
  /**
   * Asked after every `invoke`: a Promise while the sink holds as much as it may (e.g. rows not yet
   * acknowledged by a database); the subtask then takes no more input until it resolves, while
   * mails and checkpoint barriers are still handled (OperatorContext.blockInputUntil).
   */
  backpressure?(): Promise<void> | undefined;
  /** Make the pre-committed transaction visible. Must be idempotent: it is repeated after a restore. */
  commit(txn: Txn): void | Promise<void>;
  /** Discard the transaction (nothing of it may ever become visible). */
  abort(txn: Txn): void | Promise<void>;
  /** Commit a pre-committed transaction found in the restored checkpoint. Default: `commit`. */
  recoverAndCommit?(txn: Txn): void | Promise<void>;
  /** Discard the transaction that was open in the restored checkpoint. Default: `abort`. */
  recoverAndAbort?(txn: Txn): void | Promise<void>;
  /**
   * Acquire resources (connect, check the target) before any other call: at restore before
   * `recoverAndCommit`, else before the first `beginTransaction`. A rejection fails the task.
   */
  open?(): void | Promise<void>;
  /** Release resources of this instance (after the operator's last transaction call). */
  close?(): void | Promise<void>;
}

/**
 * A two-phase-commit sink as a job declares it: created inside the job's build
 * function (every worker rebuilds it) and passed to `stream.sinkTo()`. `create`
 * runs once per subtask, in the worker.
 */
export interface TwoPhaseCommitSinkDefinition<T, Txn = unknown> {
  readonly kind: 'two-phase-commit-sink';
  /** Operator name (errors, metrics, logs). */
  readonly name: string;
  create(info: TaskInfo): TwoPhaseCommitSink<T, Txn>;
}

/**
 * Declare a two-phase-commit sink: `create(info)` returns the per-subtask
 * implementation. Call it inside the job's build function.
 */
export function twoPhaseCommitSink<T, Txn>(name: string, create: (info: TaskInfo) => TwoPhaseCommitSink<T, Txn>): TwoPhaseCommitSinkDefinition<T, Txn> {
  if (typeof name !== 'string' || name.length === 0) {
    throw new WeirError(RuntimeErrorCode.INVALID_ARGUMENT, 'twoPhaseCommitSink: the name must be a non-empty string', {});
  }
  if (typeof create !== 'function') {
    throw new WeirError(RuntimeErrorCode.INVALID_ARGUMENT, `twoPhaseCommitSink('${name}'): expected a function (info) => TwoPhaseCommitSink`, { sink: name });
  }
  return { kind: 'two-phase-commit-sink', name, create };
}

/** What `snapshotState` returns (and `initializeState` receives, one per old subtask). */
export interface TwoPhaseCommitState<Txn> {
  /** Pre-committed transactions not yet committed, oldest first, with the checkpoint that pre-committed them. */
  readonly pending: ReadonlyArray<readonly [number, Txn]>;
  /** The transaction opened right after the snapshot (null after `finish`). */
  readonly current: Txn | null;
}

/**
 * The operator that drives a {@link TwoPhaseCommitSink} from the subtask's
 * checkpoint hooks. Works with and without checkpointing: without it no
 * snapshot is ever taken, and `finish()` commits the one transaction.
 *
 * Departures from Flink, on purpose:
 * - `notifyCheckpointAborted` keeps the aborted checkpoint's transactions
 *   pending (Flink does too); the next completed checkpoint commits them.
 * - A failed commit fails the task: the error is rethrown to the notifier and
 *   again at the next record, checkpoint or `finish` (the control-plane call
 *   that delivers notifications may not surface it). The failed and later
 *   transactions stay pending, so a restore commits them again.
 * - Without checkpointing, `finish()` commits the one transaction. With
 *   checkpointing it does nothing: operators finish at end-of-data, BEFORE the
 *   final checkpoint, whose snapshot pre-commits the current transaction and
 *   whose completion commits it — so a failover before that completion can
 *   never leave a committed duplicate.
 */
export class TwoPhaseCommitSinkOperator<T, Txn> implements StreamOperator<T> {
  private readonly sink: TwoPhaseCommitSink<T, Txn>;
  private current: Txn | undefined;
  /** Pre-committed, not yet committed; ascending checkpoint ids. */
  private pending: Array<[number, Txn]> = [];
  /** Serializes notifications / finish / close (commits may be asynchronous). */
  private queue: Promise<void> = Promise.resolve();
  private failure: WeirError | undefined;
  /** Asynchronous preCommits by checkpoint id, until the transaction is committed or the operator closes. */
  private readonly preparing = new Map<number, Promise<void>>();

  constructor(definition: TwoPhaseCommitSinkDefinition<T, Txn>, private readonly info: TaskInfo) {
    try {
      this.sink = definition.create(info);
    } catch (e) {
      throw this.sinkFailed(`cannot be created: ${message(e)}`, {}, e);
    }
  }

  /** Transactions pre-committed and waiting for a checkpoint to complete (for tests and diagnostics). */
  get pendingCheckpointIds(): number[] {
    return this.pending.map(([id]) => id);
  }

  async initializeState(restored: readonly unknown[] | undefined): Promise<void> {
    await this.openSink();
    if (restored) {
      const states = restored.map((r, i) => this.parseRestored(r, i));
      // 1. Pending transactions belong to the completed checkpoint being restored: commit them again.
      for (const s of states) for (const [id, txn] of s?.pending ?? []) await this.call('recoverAndCommit', txn, () => (this.sink.recoverAndCommit ?? this.sink.commit).call(this.sink, txn), { checkpointId: id });
      // 2. The transaction that was open at the snapshot holds records that will be replayed: discard it.
      for (const s of states) {
        const txn = s?.current;
        if (txn !== null && txn !== undefined) await this.call('recoverAndAbort', txn, () => (this.sink.recoverAndAbort ?? this.sink.abort).call(this.sink, txn));
      }
    }
    this.current ??= this.begin();
  }

  private checkpointing = false;
  private ctx: OperatorContext | undefined;

  open(ctx?: OperatorContext): void | Promise<void> {
    this.checkpointing = ctx?.checkpointingEnabled ?? false;
    this.ctx = ctx;
    if (this.sinkOpened === undefined && this.sink.open) return this.openSink().then(() => { this.current ??= this.begin(); });
    this.current ??= this.begin();
  }

  private sinkOpened: Promise<void> | undefined;

  private openSink(): Promise<void> {
    return this.sinkOpened ??= this.call('open', undefined, () => this.sink.open?.());
  }

  processElement(value: T, timestamp: number | undefined): void {
    if (this.failure) throw this.failure;
    if (this.current === undefined) throw this.sinkFailed('received a record before open() or after finish()', { record: value });
    try {
      this.sink.invoke(this.current, value, timestamp);
    } catch (e) {
      if (e instanceof WeirError) throw e;
      throw userFunctionFailed(this.info, 'invoke of the two-phase-commit sink', value, e);
    }
    if (this.sink.backpressure) {
      const freed = this.sink.backpressure();
      if (freed) this.ctx?.blockInputUntil?.(freed);
    }
  }

  snapshotState(checkpointId: number): TwoPhaseCommitState<Txn> {
    if (this.failure) throw this.failure;
    const last = this.pending[this.pending.length - 1];
    if (last && last[0] >= checkpointId) {
      throw this.sinkFailed(`snapshot of checkpoint ${checkpointId} after checkpoint ${last[0]}: checkpoint ids must increase`, { checkpointId });
    }
    if (this.current !== undefined) {
      const txn = this.current;
      this.startPreCommit(checkpointId, txn);
      this.pending.push([checkpointId, txn]);
      this.current = this.begin();
    }
    return this.toJson({ pending: this.pending, current: this.current ?? null }, checkpointId);
  }

  /**
   * The asynchronous part of checkpoint n: resolves when every preCommit of a checkpoint <= n resolved
   * (undefined when none is in flight); rejects with the first failure (the task then fails).
   */
  snapshotDurable(checkpointId: number): Promise<void> | undefined {
    const waits = [...this.preparing].filter(([id]) => id <= checkpointId).map(([, p]) => p);
    if (waits.length === 0) return this.failure ? Promise.reject(this.failure) : undefined;
    return Promise.all(waits).then(() => {});
  }

  /** Subsuming: commits every pending transaction of a checkpoint <= n, oldest first. */
  notifyCheckpointComplete(checkpointId: number): Promise<void> {
    return this.enqueue(() => this.commitUpTo(checkpointId));
  }

  /** Keeps the checkpoint's transactions pending: a later completed checkpoint commits them (Flink does the same). */
  notifyCheckpointAborted(): void {}

  /** End of input without checkpointing: commit everything still pending, then the current transaction. */
  finish(): Promise<void> {
    if (this.checkpointing) return Promise.resolve();
    return this.enqueue(async () => {
      await this.commitUpTo(Infinity);
      const txn = this.current;
      if (txn === undefined) return;
      await this.call('preCommit', txn, () => this.sink.preCommit(txn));
      await this.call('commit', txn, () => this.sink.commit(txn));
      this.current = undefined;
    });
  }

  /** Aborts the current transaction unless it was committed; pending ones are kept for a restore. */
  async close(): Promise<void> {
    await this.queue.catch(() => {});
    // Asynchronous preCommits still in flight are not awaited (one may wait on locks that only a
    // restore releases): the sink's close ends them; a restore finishes whatever they left.
    this.preparing.clear();
    const txn = this.current;
    this.current = undefined;
    try {
      if (txn !== undefined) await this.call('abort', txn, () => this.sink.abort(txn));
    } finally {
      if (this.sink.close) await this.call('close', undefined, () => this.sink.close!());
    }
  }

  // ---- internals ----

  private begin(): Txn {
    return this.syncCall('beginTransaction', () => this.sink.beginTransaction());
  }

  /**
   * Starts the sink's preCommit of checkpoint n's transaction: a synchronous throw fails the snapshot
   * (and the task) at once; an asynchronous one is remembered for `snapshotDurable` and fails the
   * next record, snapshot or commit.
   */
  private startPreCommit(checkpointId: number, txn: Txn): void {
    let r: void | Promise<void>;
    try {
      r = this.sink.preCommit(txn);
    } catch (e) {
      throw this.wrap('preCommit', txn, e, { checkpointId });
    }
    if (!isThenable(r)) return;
    const p = Promise.resolve(r).catch((e: unknown) => {
      const err = this.wrap('preCommit', txn, e, { checkpointId });
      this.failure ??= err;
      throw err;
    });
    p.catch(() => {}); // observed through snapshotDurable / failure
    this.preparing.set(checkpointId, p);
  }

  private async commitUpTo(checkpointId: number): Promise<void> {
    if (this.failure) throw this.failure;
    while (this.pending.length > 0 && this.pending[0]![0] <= checkpointId) {
      const [id, txn] = this.pending[0]!;
      try {
        // Normally resolved already (the checkpoint was acknowledged after it); never commit before it.
        const prepared = this.preparing.get(id);
        if (prepared) await prepared;
        await this.call('commit', txn, () => this.sink.commit(txn), { checkpointId: id });
      } catch (e) {
        this.failure ??= e as WeirError;
        throw e;
      }
      this.pending.shift();
      this.preparing.delete(id);
    }
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const run = this.queue.then(step);
    this.queue = run.catch(() => {});
    return run;
  }

  /** Runs a possibly asynchronous sink method; failures become WEIR_SINK_FAILED naming operator, subtask and txn. */
  private async call(what: string, txn: Txn | undefined, fn: () => void | Promise<void>, extra: Record<string, unknown> = {}): Promise<void> {
    try {
      const r = fn();
      if (isThenable(r)) await r;
    } catch (e) {
      throw this.wrap(what, txn, e, extra);
    }
  }

  private syncCall<R>(what: string, fn: () => R, extra: Record<string, unknown> = {}): R {
    let r: R;
    try {
      r = fn();
    } catch (e) {
      throw this.wrap(what, this.current, e, extra);
    }
    if (isThenable(r)) throw this.sinkFailed(`${what} returned a Promise: it runs on the record path and must be synchronous`, extra);
    return r;
  }

  private wrap(what: string, txn: Txn | undefined, e: unknown, extra: Record<string, unknown>): WeirError {
    // Sink errors keep their own code (failed, connection failed, misconfigured, record rejected).
    if (e instanceof WeirError && SINK_CODES.has(e.code)) return e;
    return this.sinkFailed(`${what} failed: ${message(e)}`, { ...extra, step: what, ...(txn !== undefined ? { transaction: safeJson(txn) } : {}) }, e);
  }

  private sinkFailed(what: string, details: Record<string, unknown> = {}, cause?: unknown): WeirError {
    const i = this.info;
    return new WeirError(
      RuntimeErrorCode.SINK_FAILED,
      `two-phase-commit sink '${i.operatorName}' (uid ${i.uid}, subtask ${i.subtask + 1}/${i.parallelism}): ${what}`,
      { operator: i.operatorName, uid: i.uid, subtask: i.subtask, ...details },
      cause === undefined ? undefined : { cause },
    );
  }

  private toJson(state: TwoPhaseCommitState<Txn>, checkpointId: number): TwoPhaseCommitState<Txn> {
    try {
      // An exact copy: the live handles may change after the snapshot; also proves the handles
      // can be written to the checkpoint (Infinity, bigint, Date, bytes… read back identical).
      // Strict, as source splits: an instance of a class (or a RegExp) would come back as a plain
      // object after a restore and fail in recoverAndCommit, when it is too late to say why.
      return fromExactJson(toExactJson(state, 'transaction handles', { strict: true })) as TwoPhaseCommitState<Txn>;
    } catch (e) {
      throw this.sinkFailed(`transaction handles must be data (they go into checkpoint ${checkpointId}): ${message(e)}`, { checkpointId }, e);
    }
  }

  private parseRestored(value: unknown, index: number): TwoPhaseCommitState<Txn> | undefined {
    if (value === undefined || value === null) return undefined;
    const v = value as Partial<TwoPhaseCommitState<Txn>>;
    const ok = typeof v === 'object' && Array.isArray(v.pending) && 'current' in v
      && v.pending.every((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === 'number');
    if (!ok) throw this.sinkFailed(`restored state #${index} is not a two-phase-commit sink state ({ pending: [[id, txn]…], current })`, { restored: safeJson(value) });
    return v as TwoPhaseCommitState<Txn>;
  }
}

const SINK_CODES: ReadonlySet<string> = new Set([
  RuntimeErrorCode.SINK_FAILED, RuntimeErrorCode.SINK_CONNECTION_FAILED, RuntimeErrorCode.SINK_MISCONFIGURED, RuntimeErrorCode.SINK_RECORD_REJECTED,
]);

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function safeJson(v: unknown): unknown {
  try {
    return JSON.parse(JSON.stringify(v)) as unknown;
  } catch {
    return String(v);
  }
}
