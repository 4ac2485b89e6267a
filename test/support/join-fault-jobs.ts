/**
 * An interval-join job for the fault-injection matrix (test/join-faults.test.ts): two parallel
 * generators (left and right events, test/support/two-input-jobs.ts `recoveryEvent`) → a map on
 * each input → timestamps → keyBy → an interval join → a slow map in its own chain → the
 * transactional collect sink. Faults (test/support/fault-jobs.ts `claim`, each once across
 * attempts, armed by a marker file) fire on one observed record:
 *
 *   left-map   the left input's map throws on left event `target` (its id)
 *   right-map  the right input's map throws on right event `target`
 *   join       the ProcessJoinFunction throws on the pair `target` ("l:r")
 *   exit       process.exit() in the join's worker, on the pair `target`
 *   sink-exit  process.exit() in the slow map's worker, on the pair `target`
 *
 * Every input respects its watermark bound in each source subtask's order, so no element is
 * late, also after a restore: the output is exactly intervalJoinReference of the two inputs.
 */
import { defineJob } from '../../index.ts';
import { claim } from './fault-jobs.ts';
import { spin } from './checkpoint-jobs.ts';
import { recoveryEvent } from './two-input-jobs.ts';
import type { Ev } from './join-reference.ts';

export type JoinFaultPoint = 'left-map' | 'right-map' | 'join' | 'exit' | 'sink-exit';
export interface JoinFault { point: JoinFaultPoint; target: string; marker: string }

export interface JoinFaultParams {
  /** Events per input. */
  count: number;
  keys: number;
  bound: number;
  lower: number;
  upper: number;
  parallelism: number;
  faults: JoinFault[];
  /** Work per joined pair in the slow map (backpressure on the join and its keyed inputs). */
  sinkMicros: number;
}

/** The two inputs of the job, in id order (the reference's input). */
export function joinFaultInputs(p: Pick<JoinFaultParams, 'count' | 'keys' | 'bound'>): { left: Ev[]; right: Ev[] } {
  const side = (s: 'left' | 'right') => Array.from({ length: p.count }, (_, i) => recoveryEvent(i, p.keys, p.bound, s));
  return { left: side('left'), right: side('right') };
}

function faultsAt(point: JoinFaultPoint, faults: readonly JoinFault[]): (target: string) => void {
  const mine = new Map(faults.filter((f) => f.point === point).map((f) => [f.target, f]));
  if (mine.size === 0) return () => {};
  return (target) => {
    const f = mine.get(target);
    if (!f || !claim(f.marker)) return; // not here, or fired already (in an earlier attempt)
    if (point === 'exit' || point === 'sink-exit') process.exit(7);
    throw new Error(`injected failure at ${point} on ${target}`);
  };
}

export const joinFaultJob = defineJob('t-interval-join-faults', (env, p: JoinFaultParams) => {
  const joinFault = faultsAt('join', p.faults);
  const exitFault = faultsAt('exit', p.faults);
  const sinkFault = faultsAt('sink-exit', p.faults);
  const side = (s: 'left' | 'right') => {
    const fault = faultsAt(`${s}-map`, p.faults);
    return env.fromGenerator((i) => recoveryEvent(i, p.keys, p.bound, s), { count: p.count }).setParallelism(p.parallelism).uid(`${s}-events`)
      .map((e) => {
        fault(String(e.id));
        return e;
      }).setParallelism(p.parallelism).uid(`${s}-map`)
      .assignTimestampsAndWatermarks({ timestamp: (e) => e.t, maxOutOfOrdernessMs: p.bound, intervalMs: 0 });
  };
  side('left').keyBy((e) => e.key)
    .intervalJoin(side('right').keyBy((e) => e.key))
    .between(p.lower, p.upper)
    .process<string>({
      processElement(l, r, ctx, out) {
        const pair = `${l.id}:${r.id}`;
        exitFault(pair);
        joinFault(pair);
        out.collect(`${pair}@${ctx.timestamp()}`);
      },
    }).setParallelism(p.parallelism).uid('join')
    .map((s) => {
      sinkFault(s.slice(0, s.indexOf('@')));
      spin(p.sinkMicros);
      return s;
    }).setParallelism(p.parallelism).uid('slow').startNewChain()
    .collect('out');
});
