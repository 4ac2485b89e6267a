/**
 * Jobs for the PostgreSQL sink tests (every worker imports this module: jobs at top level).
 *
 * Faults fire once each across attempts: the test creates a fault's marker file when it wants it
 * (after a completed checkpoint), and the first place that sees it claims it by deleting it.
 *   map-throw / map-exit   the map before the sink throws / calls process.exit at its next record
 *   pre-commit             the next preCommit of a non-empty transaction fails AFTER the real
 *                          PREPARE TRANSACTION succeeded (asynchronously): the checkpoint is
 *                          declined and the prepared transaction must be rolled back on restore
 *   commit                 the next commit of a non-empty transaction fails AFTER the real COMMIT
 *                          PREPARED: the restore commits it again (idempotent)
 */
import fs from 'node:fs';
import { defineJob, postgresSink, twoPhaseCommitSink, type PostgresSinkOptions, type TwoPhaseCommitSink } from '../../index.ts';

export interface PgRecord { id: number; total: number; label: string | null }

/** Exactly-once records: id = i. Upsert records: id = i % keys, total = i (the last one per key wins). */
export function pgRecord(i: number, keys?: number): PgRecord {
  return keys === undefined ? { id: i, total: i * 3, label: `r${i}` } : { id: i % keys, total: i, label: `k${i % keys}` };
}

export interface PgFault { kind: 'map-throw' | 'map-exit' | 'pre-commit' | 'commit'; marker: string }

export interface PgJobParams {
  n: number;
  connection: PostgresSinkOptions<PgRecord>['connection'];
  table: string;
  mode: 'exactly-once' | 'upsert';
  /** Upsert: records cycle over this many keys. */
  keys?: number;
  spinMicros: number;
  rebalance: boolean;
  faults: PgFault[];
  /** Record index whose label is null (a NOT NULL violation). */
  nullLabelAt?: number;
  batchRows?: number;
  maxBufferedRows?: number;
}

function claim(file: string): boolean {
  if (!fs.existsSync(file)) return false; // the common case, without an exception
  try {
    fs.unlinkSync(file);
    return true;
  } catch {
    return false;
  }
}

function spin(micros: number): void {
  if (micros <= 0) return;
  const end = performance.now() + micros / 1000;
  while (performance.now() < end) { /* spin */ }
}

/** The PostgreSQL sink with the pre-commit and commit faults around it (its logic untouched). */
function faultyPostgresSink(p: PgJobParams) {
  const inner = postgresSink<PgRecord>({
    connection: p.connection,
    table: p.table,
    columns: ['id', 'total', 'label'],
    mode: p.mode,
    ...(p.mode === 'upsert' ? { key: ['id'] } : {}),
    ...(p.batchRows ? { batchRows: p.batchRows } : {}),
    ...(p.maxBufferedRows ? { maxBufferedRows: p.maxBufferedRows } : {}),
  });
  const preCommitFaults = p.faults.filter((f) => f.kind === 'pre-commit');
  const commitFaults = p.faults.filter((f) => f.kind === 'commit');
  if (preCommitFaults.length === 0 && commitFaults.length === 0) return inner;
  return twoPhaseCommitSink<PgRecord, unknown>('faulty-postgres', (info) => {
    const sink = inner.create(info) as TwoPhaseCommitSink<PgRecord, unknown>;
    const due = (faults: PgFault[]) => faults.find((f) => claim(f.marker));
    return {
      open: () => sink.open?.(),
      beginTransaction: () => sink.beginTransaction(),
      invoke: (txn, v, ts) => sink.invoke(txn, v, ts),
      async preCommit(txn) {
        const f = (txn as { rows: number }).rows > 0 ? due(preCommitFaults) : undefined;
        await sink.preCommit(txn);
        if (f) throw new Error(`injected failure after PREPARE TRANSACTION (subtask ${info.subtask}, attempt ${info.attempt})`);
      },
      async commit(txn) {
        const f = (txn as { rows: number }).rows > 0 ? due(commitFaults) : undefined;
        await sink.commit(txn);
        if (f) throw new Error(`injected failure after COMMIT PREPARED (subtask ${info.subtask}, attempt ${info.attempt})`);
      },
      abort: (txn) => sink.abort(txn),
      recoverAndCommit: (txn) => (sink.recoverAndCommit ?? sink.commit).call(sink, txn),
      recoverAndAbort: (txn) => (sink.recoverAndAbort ?? sink.abort).call(sink, txn),
      close: () => sink.close?.(),
    };
  });
}

/** numbers (parallel) → map (slow, faults; chained to the source) → [rebalance] → PostgreSQL sink. */
export const postgresJob = defineJob('t-postgres-sink', (env, p: PgJobParams) => {
  const mapFaults = p.faults.filter((f) => f.kind === 'map-throw' || f.kind === 'map-exit');
  const records = env.fromSequence(0, p.n - 1).uid('numbers').map((i) => {
    spin(p.spinMicros);
    for (const f of mapFaults) {
      if (!claim(f.marker)) continue;
      if (f.kind === 'map-exit') process.exit(7);
      throw new Error(`injected failure in the map at record ${i}`);
    }
    const r = pgRecord(i, p.keys);
    return i === p.nullLabelAt ? { ...r, label: null } : r;
  }).uid('records');
  (p.rebalance ? records.rebalance() : records).sinkTo(faultyPostgresSink(p)).uid('pg');
});
