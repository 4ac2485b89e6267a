/**
 * Jobs and helpers for the recovery, savepoint and rescaling tests. Every
 * worker imports this module, so jobs are defined at top level.
 *
 * The counting job: numbers (p) → map to {k, i} (chained) → keyBy → a counter
 * that spins `spinMicros` per record (the slow stage, so the rings between the
 * sources and the counter fill up) → collect 'out'. Each output record carries
 * the running count n of its key, so per key the outputs of a correct run are
 * n = 1 … total exactly once.
 */
import assert from 'node:assert/strict';
import { defineJob, ValueStateDescriptor, type JobClient, type KeyedProcessFunction, type ValueState } from '../../index.ts';
import type { CompletedCheckpoint } from '../../runtime/checkpoint/checkpoint-metadata.ts';
import { spin, type Counted, type Rec } from './checkpoint-jobs.ts';
import { countsByKey, inFlightRecords, remainingSourceValues } from './checkpoint-reader.ts';

export interface RecoveryJobParams {
  n: number;
  keys: number;
  /** Microseconds the counter spends per record (0 for the restored runs). */
  spinMicros: number;
  /** uid of the counter (change it to orphan the checkpointed state). Default 'counter'. */
  counterUid?: string;
  /** Add a second stateful operator (uid 'recount', counting again per key) after the counter. */
  recount?: boolean;
  /** Add a map (uid 'extra-map') after the source's map, chained into the source's vertex. */
  extraMap?: boolean;
}

/** Output of the optional 'recount' operator: the counter's record plus its own per-key count. */
export interface Recounted extends Counted { m: number }

function slowCounter(spinMicros: number, stateName: string): KeyedProcessFunction<number, Rec, Counted> {
  let count!: ValueState<number>;
  return {
    open(ctx) {
      count = ctx.getState(new ValueStateDescriptor<number>(stateName));
    },
    processElement(r, _ctx, out) {
      spin(spinMicros);
      const n = (count.value() ?? 0) + 1;
      count.update(n);
      out.collect({ k: r.k, i: r.i, n });
    },
  };
}

export const recoveryCountJob = defineJob('t-recovery-count', (env, p: RecoveryJobParams) => {
  let records = env.fromSequence(0, p.n - 1).uid('numbers')
    .map((i): Rec => ({ k: i % p.keys, i }));
  if (p.extraMap) records = records.map((r) => r).uid('extra-map');
  const counted = records
    .keyBy((r) => r.k)
    .process(slowCounter(p.spinMicros, 'count'))
    .uid(p.counterUid ?? 'counter');
  if (!p.recount) {
    counted.collect('out');
    return;
  }
  let m!: ValueState<number>;
  counted.keyBy((c) => c.k).process<Recounted>({
    open(ctx) {
      m = ctx.getState(new ValueStateDescriptor<number>('recount'));
    },
    processElement(c, _ctx, out) {
      const v = (m.value() ?? 0) + 1;
      m.update(v);
      out.collect({ ...c, m: v });
    },
  }).uid('recount').collect('out');
});

/** Records of key k among 0 … n-1 (i % keys === k). */
export function totalOfKey(n: number, keys: number, k: number): number {
  return Math.floor(n / keys) + (k < n % keys ? 1 : 0);
}

/** What a checkpoint says the restored run must still produce. */
export interface Expectation {
  /** Per key: the count in keyed state at the checkpoint. */
  counted: number[];
  /** Values not yet emitted by the sources, plus in-flight records (each exactly once): what a restored run outputs. */
  rest: number[];
  /** In-flight records persisted by the checkpoint (consumer 'counter' input + producer 'numbers' output). */
  inFlight: Rec[];
}

/** Read a completed checkpoint of the counting job back (independently of the restore path). */
export async function expectationOf(c: CompletedCheckpoint, keys: number, counterUid = 'counter'): Promise<Expectation> {
  const counted = await countsByKey(c, counterUid, keys);
  const remaining = remainingSourceValues(c, 'numbers');
  const inflight = await inFlightRecords(c, { consumers: [counterUid], producers: ['numbers'] });
  const rest = [...[...remaining.values()].flatMap((s) => [...s]), ...(inflight.records as Rec[]).map((r) => r.i)].sort((a, b) => a - b);
  return { counted, rest, inFlight: inflight.records as Rec[] };
}

/**
 * The restored run's output is exactly right: every value of `rest` once, and per key the
 * running counts continue from the checkpointed count up to the key's total (nothing lost,
 * nothing counted twice).
 */
export function assertContinues(out: Counted[], e: Expectation, n: number, keys: number, what: string): void {
  assert.deepEqual(out.map((c) => c.i).sort((a, b) => a - b), e.rest, `${what}: the restored run outputs each remaining/in-flight record exactly once`);
  for (let k = 0; k < keys; k++) {
    const ns = out.filter((c) => c.k === k).map((c) => c.n).sort((a, b) => a - b);
    const total = totalOfKey(n, keys, k);
    assert.deepEqual(ns, Array.from({ length: total - e.counted[k]! }, (_, j) => e.counted[k]! + 1 + j), `${what}: key ${k} counts ${e.counted[k]! + 1}…${total}`);
  }
}

/** Per key, the final count (max n) in an output. */
export function finalCounts(out: Counted[], keys: number): number[] {
  const f = new Array<number>(keys).fill(0);
  for (const c of out) f[c.k] = Math.max(f[c.k]!, c.n);
  return f;
}

/** Wait until the job runs (`client.running` rejects if it ends first), and a little more so the rings fill up. */
export async function whenRunning(client: JobClient, settleMs = 100): Promise<void> {
  await client.running;
  if (settleMs > 0) await new Promise((r) => setTimeout(r, settleMs));
}

/**
 * Trigger unaligned checkpoints until one persisted in-flight records (up to `tries`), so a test
 * relying on channel state proves something. Returns that checkpoint.
 */
export async function unalignedWithInFlight(client: JobClient, keys: number, tries = 6): Promise<{ checkpoint: CompletedCheckpoint; expectation: Expectation }> {
  for (let t = 0; t < tries; t++) {
    const checkpoint = await client.triggerCheckpoint();
    const expectation = await expectationOf(checkpoint, keys);
    if (expectation.inFlight.length > 0) return { checkpoint, expectation };
    await new Promise((r) => setTimeout(r, 30));
  }
  throw new Error(`no unaligned checkpoint persisted in-flight records in ${tries} tries`);
}
