/**
 * Jobs for the fault-injection tests. Records carry a per-key sequence number
 * and a checksum; a keyed verifier checks, with its own checkpointed state,
 * that every key's sequence arrives with no gap, duplicate or reordering and
 * that no replayed record is corrupted, and reports violations as records.
 *
 * Faults fire once each across attempts: a fault is armed by a marker file and
 * claimed by deleting it (only one subtask of one attempt succeeds).
 *
 * Where they fire (each keyed to one record (key, seq)):
 *   map        a chained map throws while processing the record
 *   keyed      the keyed function throws while processing it
 *   exit       process.exit() in the keyed function's worker thread
 *   sink-exit  process.exit() in the worker of the slow map before the sinks
 *   snapshot   the file sink instance that wrote the record throws in its next
 *              preCommit — the synchronous part of a checkpoint
 *   restore    the file sink throws when writing the record (so a restore
 *              follows), and then the next restore of a file sink subtask
 *              throws: in recoverAndCommit / recoverAndAbort of its restored
 *              transactions, or — when no checkpoint had completed and the
 *              attempt starts fresh — in its first beginTransaction (two failures)
 *   close      the first file sink close() after the record was written
 *              throws: at the end of the job (the job then restores its final
 *              checkpoint) or while a failover tears an attempt down. Armed by
 *              a file, because the instance that wrote the record may die with
 *              its worker and a committed record is never written again.
 */
import fs from 'node:fs';
import { defineJob, exactlyOnceFileSink, twoPhaseCommitSink, ValueStateDescriptor, type TwoPhaseCommitSink, type ValueState } from '../../index.ts';
import { spin } from './checkpoint-jobs.ts';

export type FaultPoint = 'map' | 'keyed' | 'exit' | 'sink-exit' | 'snapshot' | 'restore' | 'close';
/** Fires when the subtask at `point` processes record (key, seq), if the marker still exists. */
export interface Fault { point: FaultPoint; key: number; seq: number; marker: string }

/** Claim a fault (true once across all subtasks and attempts). */
export function claim(file: string): boolean {
  try {
    fs.unlinkSync(file);
    return true;
  } catch {
    return false;
  }
}

export interface SeqRecord { key: number; seq: number; check: number }
export interface Verified { key: number; seq: number; violation?: string }

export function checksum(key: number, seq: number): number {
  return (Math.imul(key + 1, 2654435761) ^ Math.imul(seq + 7, 40503)) >>> 0;
}

/** Fault triggers for one point: checked per record (a map lookup when a fault is armed there). */
function faultsAt(point: FaultPoint, faults: readonly Fault[]): (r: { key: number; seq: number }) => void {
  const mine = new Map(faults.filter((f) => f.point === point).map((f) => [`${f.key}:${f.seq}`, f]));
  if (mine.size === 0) return () => {};
  return (r) => {
    const f = mine.get(`${r.key}:${r.seq}`);
    if (!f || !claim(f.marker)) return; // not here, or fired already (in an earlier attempt)
    if (point === 'exit' || point === 'sink-exit') process.exit(7);
    throw new Error(`injected failure at ${point} on record ${r.key}/${r.seq}`);
  };
}

export interface FaultJobParams {
  keys: number;
  perKey: number;
  parallelism: number;
  sinkMicros: number;
  faults: Fault[];
  /** Where the exactly-once file sink commits its JSONL files. */
  directory: string;
}

/**
 * The exactly-once file sink with the snapshot / restore / close faults
 * injected around it (the sink's own logic is untouched).
 */
function faultyFileSink(p: FaultJobParams) {
  const at = (point: FaultPoint) => new Map(p.faults.filter((f) => f.point === point).map((f) => [`${f.key}:${f.seq}`, f]));
  const snapshotFaults = at('snapshot');
  const restoreFaults = at('restore');
  const closeFaults = at('close');
  const files = exactlyOnceFileSink<Verified>({ directory: p.directory, format: 'jsonl' });
  return twoPhaseCommitSink<Verified, unknown>('faulty-files', (info) => {
    const sink = files.create(info) as TwoPhaseCommitSink<Verified, unknown>;
    let snapshotFault: Fault | undefined;
    let restoring = info.attempt > 0;
    const failRestore = (): void => {
      if (!restoring) return;
      for (const f of restoreFaults.values()) {
        if (claim(`${f.marker}.armed`)) throw new Error(`injected failure during restore (subtask ${info.subtask}, attempt ${info.attempt})`);
      }
    };
    return {
      beginTransaction() {
        failRestore(); // the first one ends the restore
        restoring = false;
        return sink.beginTransaction();
      },
      invoke(txn, v, ts) {
        const id = `${v.key}:${v.seq}`;
        snapshotFault ??= snapshotFaults.get(id);
        const c = closeFaults.get(id);
        if (c && fs.existsSync(c.marker)) fs.writeFileSync(`${c.marker}.armed`, '');
        const r = restoreFaults.get(id);
        if (r && claim(r.marker)) {
          fs.writeFileSync(`${r.marker}.armed`, '');
          throw new Error(`injected failure at the file sink on record ${id} (the restore after it fails too)`);
        }
        sink.invoke(txn, v, ts);
      },
      preCommit(txn) {
        if (snapshotFault && claim(snapshotFault.marker)) throw new Error(`injected failure in snapshot (preCommit, subtask ${info.subtask})`);
        sink.preCommit(txn);
      },
      commit: (txn) => sink.commit(txn),
      abort: (txn) => sink.abort(txn),
      recoverAndCommit(txn) {
        failRestore();
        return (sink.recoverAndCommit ?? sink.commit).call(sink, txn);
      },
      recoverAndAbort(txn) {
        failRestore();
        return (sink.recoverAndAbort ?? sink.abort).call(sink, txn);
      },
      async close() {
        await sink.close?.();
        for (const f of closeFaults.values()) {
          if (fs.existsSync(`${f.marker}.armed`) && claim(f.marker)) {
            fs.rmSync(`${f.marker}.armed`, { force: true });
            throw new Error(`injected failure in close (subtask ${info.subtask}, attempt ${info.attempt})`);
          }
        }
      },
    };
  });
}

/** generator (p) → map (chained) → keyBy → verifier (p) → slow map → collect and exactly-once files. */
export const exactlyOnceJob = defineJob('t-exactly-once', (env, p: FaultJobParams) => {
  const mapFault = faultsAt('map', p.faults);
  const keyedFault = faultsAt('keyed', p.faults);
  const exitFault = faultsAt('exit', p.faults);
  const sinkFault = faultsAt('sink-exit', p.faults);
  const fileSink = faultyFileSink(p);
  const slow = env.fromGenerator((i): SeqRecord => {
    const key = i % p.keys;
    const seq = Math.floor(i / p.keys);
    return { key, seq, check: checksum(key, seq) };
  }, { count: p.keys * p.perKey }).setParallelism(p.parallelism).uid('numbers')
    .map((r) => {
      mapFault(r);
      return r;
    }).setParallelism(p.parallelism).uid('pass')
    .keyBy((r) => r.key)
    .process<Verified>({
      open(ctx) {
        (this as unknown as { last: ValueState<number> }).last = ctx.getState(new ValueStateDescriptor<number>('last-seq'));
      },
      processElement(r, _ctx, out) {
        keyedFault(r);
        exitFault(r);
        const last = (this as unknown as { last: ValueState<number> }).last;
        const prev = last.value() ?? -1;
        let violation: string | undefined;
        if (r.check !== checksum(r.key, r.seq)) violation = `corrupt record ${JSON.stringify(r)}`;
        else if (r.seq !== prev + 1) violation = r.seq <= prev ? `duplicate seq ${r.seq} after ${prev}` : `gap: seq ${r.seq} after ${prev}`;
        if (r.seq > prev) last.update(r.seq);
        out.collect(violation ? { key: r.key, seq: r.seq, violation } : { key: r.key, seq: r.seq });
      },
    }).setParallelism(p.parallelism).uid('verifier')
    .map((v) => {
      sinkFault(v);
      spin(p.sinkMicros);
      return v;
    }).setParallelism(p.parallelism).uid('slow');
  slow.collect('out');
  slow.sinkTo(fileSink).setParallelism(p.parallelism).uid('files');
});

/**
 * A record that never returns: once `marker` exists, the first subtask to claim it loops forever
 * in the map (its worker thread stops answering). Otherwise a slow pass-through to collect.
 */
export const stuckRecordJob = defineJob('t-stuck-record', (env, p: { n: number; marker: string }) => {
  env.fromSequence(0, p.n - 1)
    .map((i) => {
      if (fs.existsSync(p.marker) && claim(p.marker)) for (;;) { /* stuck */ }
      spin(50);
      return i;
    }).uid('maybe-stuck')
    .collect('out');
});
