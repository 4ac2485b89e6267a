/**
 * A two-phase-commit sink with injected failures around its real preCommit and commit (its logic
 * untouched). A fault fires once across attempts: the test creates its marker file when it wants
 * it (after a completed checkpoint); the first non-empty transaction that sees it claims it.
 *   pre-commit   preCommit fails AFTER the real one succeeded (for PostgreSQL: after PREPARE
 *                TRANSACTION): the checkpoint is declined and the restore must roll it back
 *   commit       commit fails AFTER the real one (COMMIT PREPARED): the restore commits again (idempotent)
 *   commitBefore commit fails BEFORE the real one: nothing was committed; the restore must commit it
 */
import { twoPhaseCommitSink, type TwoPhaseCommitSink, type TwoPhaseCommitSinkDefinition } from '../../index.ts';
import { claim } from './fault-jobs.ts';

export interface CommitFaults {
  /** Marker files of pre-commit faults. */
  preCommit: readonly string[];
  /** Marker files of commit faults. */
  commit: readonly string[];
  /** Marker files of faults before the real commit. */
  commitBefore?: readonly string[];
}

const nonEmpty = (txn: unknown): boolean => ((txn as { rows?: number }).rows ?? 1) > 0;

export function withCommitFaults<T>(inner: TwoPhaseCommitSinkDefinition<T, unknown>, faults: CommitFaults): TwoPhaseCommitSinkDefinition<T, unknown> {
  if (faults.preCommit.length === 0 && faults.commit.length === 0 && (faults.commitBefore ?? []).length === 0) return inner;
  return twoPhaseCommitSink<T, unknown>(`faulty-${inner.name}`, (info) => {
    const sink = inner.create(info) as TwoPhaseCommitSink<T, unknown>;
    const due = (markers: readonly string[]) => markers.find((m) => claim(m));
    return {
      open: () => sink.open?.(),
      beginTransaction: () => sink.beginTransaction(),
      invoke: (txn, v, ts) => sink.invoke(txn, v, ts),
      ...(sink.backpressure ? { backpressure: () => sink.backpressure!() } : {}),
      async preCommit(txn) {
        const f = nonEmpty(txn) ? due(faults.preCommit) : undefined;
        await sink.preCommit(txn);
        if (f) throw new Error(`injected failure after preCommit (subtask ${info.subtask}, attempt ${info.attempt})`);
      },
      async commit(txn) {
        const before = nonEmpty(txn) ? due(faults.commitBefore ?? []) : undefined;
        if (before) throw new Error(`injected failure before commit (subtask ${info.subtask}, attempt ${info.attempt})`);
        const f = nonEmpty(txn) ? due(faults.commit) : undefined;
        await sink.commit(txn);
        if (f) throw new Error(`injected failure after commit (subtask ${info.subtask}, attempt ${info.attempt})`);
      },
      abort: (txn) => sink.abort(txn),
      recoverAndCommit: (txn) => (sink.recoverAndCommit ?? sink.commit).call(sink, txn),
      recoverAndAbort: (txn) => (sink.recoverAndAbort ?? sink.abort).call(sink, txn),
      close: () => sink.close?.(),
    };
  });
}
