/**
 * Jobs for the fault-injection tests. Records carry a per-key sequence number
 * and a checksum; a keyed verifier checks, with its own checkpointed state,
 * that every key's sequence arrives with no gap, duplicate or reordering and
 * that no replayed record is corrupted, and reports violations as records.
 *
 * Faults fire once each across attempts: a fault is armed by a marker file and
 * claimed by deleting it (only one subtask of one attempt succeeds).
 */
import fs from 'node:fs';
import { defineJob, ValueStateDescriptor, type ValueState } from '../../index.ts';
import { spin } from './checkpoint-jobs.ts';

export type FaultPoint = 'map' | 'keyed' | 'exit' | 'sink-exit';
/** Fires when the subtask at `point` processes record (key, seq), if the marker still exists. */
export interface Fault { point: FaultPoint; key: number; seq: number; marker: string }

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
    if (!f) return;
    try {
      fs.unlinkSync(f.marker);
    } catch {
      return; // already fired (in an earlier attempt)
    }
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
}

/** generator (p) → map (chained) → keyBy → verifier (p) → slow map → collect. */
export const exactlyOnceJob = defineJob('t-exactly-once', (env, p: FaultJobParams) => {
  const mapFault = faultsAt('map', p.faults);
  const keyedFault = faultsAt('keyed', p.faults);
  const exitFault = faultsAt('exit', p.faults);
  const sinkFault = faultsAt('sink-exit', p.faults);
  env.fromGenerator((i): SeqRecord => {
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
    }).setParallelism(p.parallelism).uid('slow')
    .collect('out');
});
