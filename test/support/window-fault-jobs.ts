/**
 * A windowed job for the fault-injection matrix (test/window-faults.test.ts): per-key event-time
 * records → a process function that sends every 10th record to a side output → keyBy →
 * event-time sliding windows with allowed lateness and a late-data side output → a slow map →
 * the transactional collect sink. Faults (test/support/fault-jobs.ts `claim`, each once across
 * attempts) fire in the process function, in the window function, as process.exit() in the
 * window's worker and in the slow map's worker, and in the source's map.
 *
 * The records' timestamps rise with their sequence (each source subtask emits in order), so no
 * record is ever late, even after a restore restarts the watermarks: every window fires exactly
 * once with all its records, and the output is a pure function of the input (windowReference).
 */
import { defineJob, OutputTag, SlidingEventTimeWindows } from '../../index.ts';
import { claim, type Fault } from './fault-jobs.ts';
import { spin } from './checkpoint-jobs.ts';

export type WindowFaultPoint = 'map' | 'process' | 'window' | 'exit' | 'sink-exit';
export interface Tick { key: number; seq: number; ts: number }
export interface WindowFaultParams { keys: number; perKey: number; parallelism: number; faults: Array<Omit<Fault, 'point'> & { point: WindowFaultPoint }>; sinkMicros: number }

export const SIZE = 40;
export const SLIDE = 20;
export const AUDIT = new OutputTag<string>('audit');
export const LATE = new OutputTag<Tick>('late');

const tsOf = (key: number, seq: number) => seq * 3 + (key % 3);

function faultsAt(point: WindowFaultPoint, p: WindowFaultParams): (key: number, seq: number) => void {
  const mine = new Map(p.faults.filter((f) => f.point === point).map((f) => [`${f.key}:${f.seq}`, f]));
  if (mine.size === 0) return () => {};
  return (key, seq) => {
    const f = mine.get(`${key}:${seq}`);
    if (!f || !claim(f.marker)) return;
    if (point === 'exit' || point === 'sink-exit') process.exit(7);
    throw new Error(`injected failure at ${point} on ${key}/${seq}`);
  };
}

export const windowFaultJob = defineJob('t-window-faults', (env, p: WindowFaultParams) => {
  const mapFault = faultsAt('map', p);
  const processFault = faultsAt('process', p);
  const windowFault = faultsAt('window', p);
  const exitFault = faultsAt('exit', p);
  const sinkFault = faultsAt('sink-exit', p);
  const ticks = env.fromGenerator((i): Tick => {
    const key = i % p.keys;
    const seq = Math.floor(i / p.keys);
    return { key, seq, ts: tsOf(key, seq) };
  }, { count: p.keys * p.perKey }).setParallelism(p.parallelism).uid('ticks')
    .map((t) => {
      mapFault(t.key, t.seq);
      return t;
    }).setParallelism(p.parallelism).uid('map')
    .assignTimestampsAndWatermarks({ timestamp: (t) => t.ts, maxOutOfOrdernessMs: 10, intervalMs: 0 })
    .process<Tick>({
      processElement(t, ctx, out) {
        processFault(t.key, t.seq);
        if (t.seq % 10 === 0) ctx.output(AUDIT, `${t.key}/${t.seq}`);
        out.collect(t);
      },
    }).setParallelism(p.parallelism).uid('audit');
  const windows = ticks.keyBy((t) => t.key)
    .window(SlidingEventTimeWindows.of(SIZE, SLIDE))
    .allowedLateness(15)
    .sideOutputLateData(LATE)
    .process<string>({
      process(key, ctx, elements, out) {
        exitFault(key, elements[0]!.seq);
        windowFault(key, elements[0]!.seq);
        out.collect(`${key}@${ctx.window.start}:${elements.map((e) => e.seq).sort((a, b) => a - b).join(',')}`);
      },
    }).setParallelism(p.parallelism).uid('windows');
  windows.map((s) => {
    sinkFault(Number(s.slice(0, s.indexOf('@'))), Number(s.slice(s.indexOf(':') + 1).split(',')[0]));
    spin(p.sinkMicros);
    return s;
  }).setParallelism(p.parallelism).uid('slow').collect('out');
  ticks.getSideOutput(AUDIT).collect('audit');
  windows.getSideOutput(LATE).collect('late');
});

/** The windows (sliding SIZE by SLIDE) each key's records fall in, as the job prints them. */
export function windowReference(keys: number, perKey: number): { out: string[]; audit: string[] } {
  const out: string[] = [];
  const audit: string[] = [];
  for (let key = 0; key < keys; key++) {
    const byStart = new Map<number, number[]>();
    for (let seq = 0; seq < perKey; seq++) {
      const ts = tsOf(key, seq);
      for (let start = ts - (ts % SLIDE); start > ts - SIZE; start -= SLIDE) (byStart.get(start) ?? byStart.set(start, []).get(start)!).push(seq);
      if (seq % 10 === 0) audit.push(`${key}/${seq}`);
    }
    for (const [start, seqs] of byStart) out.push(`${key}@${start}:${seqs.join(',')}`);
  }
  return { out, audit };
}
