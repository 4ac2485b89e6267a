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
import { defineJob, postgresSink, type PostgresSinkOptions } from '../../index.ts';
import { withCommitFaults } from './commit-faults.ts';
import { claim } from './fault-jobs.ts';

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
  const markers = (kind: PgFault['kind']) => p.faults.filter((f) => f.kind === kind).map((f) => f.marker);
  return withCommitFaults(inner, { preCommit: markers('pre-commit'), commit: markers('commit') });
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
