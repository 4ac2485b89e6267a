/**
 * Jobs for the hardening tests (issue #11). Every worker imports this module, so
 * the jobs are defined at top level; inputs arrive as params.
 */
import fs from 'node:fs';
import { claim } from './fault-jobs.ts';
import { defineJob, exactlyOnceFileSink, twoPhaseCommitSink, ValueStateDescriptor, type KeyedProcessFunction, type ValueState } from '../../index.ts';


export interface Numbered { key: number; seq: number; i: number }

export interface UnboundedParams {
  keys: number;
  ratePerSecond: number;
  /** While this file exists, the keyed function deletes it and throws on its next record. */
  failMarker: string;
  directory: string;
}

function sequencer(failMarker: string): KeyedProcessFunction<number, number, Numbered> {
  let seq!: ValueState<number>;
  return {
    open(ctx) {
      seq = ctx.getState(new ValueStateDescriptor<number>('seq'));
    },
    processElement(i, ctx, out) {
      if (fs.existsSync(failMarker) && claim(failMarker)) throw new Error(`injected failure on record ${i}`);
      const n = seq.value() ?? 0;
      seq.update(n + 1);
      out.collect({ key: ctx.getCurrentKey(), seq: n, i });
    },
  };
}

/**
 * An unbounded generator (no `count`) → keyBy → keyed state (a per-key sequence number) →
 * the exactly-once file sink. The source has parallelism 1, so the records committed over
 * the job's whole life must be exactly i = 0 … n−1, each once, with per-key sequences 0 … m−1.
 */
export const unboundedJob = defineJob('t-unbounded', (env, p: UnboundedParams) => {
  env.fromGenerator((i) => i, { ratePerSecond: p.ratePerSecond }).setParallelism(1).uid('numbers')
    .keyBy((i) => i % p.keys)
    .process(sequencer(p.failMarker)).uid('sequencer')
    .sinkTo(exactlyOnceFileSink<Numbered>({ directory: p.directory, format: 'jsonl' }));
});

export interface DeclineParams {
  keys: number;
  /** Bytes of state per key: a big LMDB state keeps the asynchronous part of a snapshot busy. */
  valueBytes: number;
  /** Armed (exists) at start: the first record after a snapshot's synchronous part throws once. */
  failMarker: string;
}

/** Set by the sink's preCommit (the synchronous part of a checkpoint) in this worker. */
let snapshotTaken = false;

function padded(pad: string): KeyedProcessFunction<number, number, number> {
  let v!: ValueState<string>;
  return {
    open(ctx) {
      v = ctx.getState(new ValueStateDescriptor<string>('v'));
    },
    processElement(i, _ctx, out) {
      v.update(pad);
      out.collect(i);
    },
  };
}

/**
 * keyBy → keyed state (valueBytes per key) → map → a two-phase-commit sink, chained in one
 * subtask. The map throws on the first record after the sink's preCommit, i.e. while that
 * checkpoint's asynchronous part (materializing the LMDB state) is still running.
 */
export const failDuringSnapshotJob = defineJob('t-fail-during-snapshot', (env, p: DeclineParams) => {
  const pad = 'x'.repeat(p.valueBytes);
  env.fromGenerator((i) => i).setParallelism(1)
    .keyBy((i) => i % p.keys)
    .process(padded(pad)).uid('state').setParallelism(1)
    .map((i) => {
      if (snapshotTaken && claim(p.failMarker)) throw new Error(`injected failure on record ${i}, right after a snapshot`);
      return i;
    }).uid('fails').setParallelism(1)
    .sinkTo(twoPhaseCommitSink<number, number>('discard', () => ({
      beginTransaction: () => 0,
      invoke: () => {},
      preCommit: () => {
        snapshotTaken = true;
      },
      commit: () => {},
      abort: () => {},
    })));
});

export interface FinalWatermarkParams {
  items: Array<{ key: string; t: number }>;
}

/**
 * No timestamp assigner anywhere: records carry no event time, yet an event-time timer
 * registered far in the future must fire when the bounded input ends (the sources' final
 * maximum watermark).
 */
export const finalWatermarkJob = defineJob('t-final-watermark', (env, p: FinalWatermarkParams) => {
  env.fromArray(p.items)
    .keyBy((r) => r.key)
    .process<string>({
      processElement(r, ctx) {
        ctx.timerService().registerEventTimeTimer(r.t);
      },
      onTimer(ts, ctx, out) {
        out.collect(`${ctx.getCurrentKey()}@${ts}`);
      },
    }).uid('timers')
    .collect('fired');
});

export interface SizesParams {
  /** Every `hugeEvery`-th record carries `hugeBytes` of payload; the others a few bytes. */
  hugeEvery: number;
  hugeBytes: number;
  keys: number;
  /** Microseconds the keyed consumer spends per record (backpressure). */
  consumerMicros: number;
}

/** Records of mixed sizes: a parallelism-1 source → keyBy → a slow keyed consumer (parallelism 2) → a discarding sink. */
export const mixedSizesJob = defineJob('t-mixed-sizes', (env, p: SizesParams) => {
  const huge = 'h'.repeat(p.hugeBytes);
  env.fromGenerator((i) => ({ i, payload: i % p.hugeEvery === 0 ? huge : 't' })).setParallelism(1).uid('sizes')
    .keyBy((r) => r.i % p.keys)
    .process<number>({
      processElement(r, _ctx, out) {
        const end = performance.now() + p.consumerMicros / 1000;
        while (performance.now() < end) { /* spin: a slow consumer */ }
        out.collect(r.payload.length);
      },
    }).uid('slow').setParallelism(2)
    .addSink(() => {});
});
