/**
 * Jobs of test/custom-source.test.ts: the lines word count of examples/custom-source with a fault
 * that fires once per armed marker, and sources that break the Source API's contract, one way each.
 */
import fs from 'node:fs';
import { defineJob, ValueStateDescriptor, type Source, type ValueState } from '../../index.ts';
import { linesSource, type Line } from '../../examples/custom-source/lines-source.ts';
import { claim } from './fault-jobs.ts';

/** examples/custom-source/job.ts, plus: while `failMarker` exists, the word splitter deletes it and throws. */
export const linesFaultJob = defineJob('t-lines-word-count', (env, p: { files: string[]; failMarker?: string }) => {
  env.fromSource(linesSource(p.files), undefined, 'Lines').uid('lines')
    .flatMap((l: Line) => {
      if (p.failMarker && fs.existsSync(p.failMarker) && claim(p.failMarker)) throw new Error(`injected failure at ${l.file}:${l.offset}`);
      return l.text.split(/\s+/).filter((w) => w.length > 0).map((w) => w.toLowerCase());
    }).uid('words')
    .keyBy((w) => w)
    .count().uid('counts')
    .collect('counts');
});

export type Breakage = 'createSplits-throws' | 'split-not-object' | 'split-regexp' | 'poll-bad-shape' | 'poll-rejects' | 'snapshot-function-async' | 'snapshot-regexp-sync';

function broken(b: Breakage): Source<number, { n: number }> {
  return {
    boundedness: 'bounded',
    createSplits: () => {
      if (b === 'createSplits-throws') throw new Error('no splits today');
      if (b === 'split-regexp') return [{ n: 1, pattern: /ab+c/ }] as unknown as Array<{ n: number }>;
      return (b === 'split-not-object' ? [{ n: 1 }, 2] : [{ n: 1 }]) as Array<{ n: number }>;
    },
    createReader: () => ({
      addSplits() {},
      poll() {
        if (b === 'poll-rejects') return Promise.reject(new Error('the disk is gone'));
        if (b === 'snapshot-function-async') return Promise.resolve({ records: [1], done: false });
        if (b === 'snapshot-regexp-sync') return { records: [1], done: false };
        return { items: [1] } as never;
      },
      snapshotSplits: () => {
        if (b === 'snapshot-function-async') return [{ n: 1, next: () => 2 }] as never;
        if (b === 'snapshot-regexp-sync') return [{ n: 1, pattern: /ab+c/ }] as never;
        return [];
      },
    }),
  };
}

export const brokenSourceJob = defineJob('t-broken-source', (env, p: { breakage: Breakage }) => {
  env.fromSource(broken(p.breakage), undefined, 'Broken').uid('broken').collect('out');
});

/**
 * A source whose reader emits what it learned in `createReader(ctx)`: its `taskInfo`. On attempt 0
 * its first poll throws, so a job with one restart emits the second attempt's.
 */
export const taskInfoSourceJob = defineJob('t-source-task-info', (env) => {
  env.fromSource<string, { done: boolean }>({
    boundedness: 'bounded',
    createSplits: () => [{ done: false }],
    createReader(ctx) {
      let split: { done: boolean } | undefined;
      return {
        addSplits(s) { split = s[0]; },
        poll() {
          if (ctx.taskInfo.attempt === 0) throw new Error('the first attempt fails');
          if (!split || split.done) return { records: [], done: true };
          split.done = true;
          return { records: [JSON.stringify(ctx.taskInfo)], done: true };
        },
        snapshotSplits: () => (split ? [{ ...split }] : []),
      };
    },
  }, undefined, 'Info').uid('info-source').collect('out');
});

/**
 * Sources start once every subtask of the attempt is deployed (job/attempt.ts): each subtask of
 * the keyed step marks its `open()` in `dir`; the source's first poll fails the job unless every
 * mark is there. The numbers 0 … n−1 are then summed per key (n % 7).
 */
export const startGateJob = defineJob('t-start-gate', (env, p: { dir: string; n: number; parallelism: number }) => {
  let sum: ValueState<number>;
  env.fromSource(checkedStartSource(p.dir, p.n, p.parallelism), undefined, 'Checked start').uid('numbers')
    .keyBy((i) => i % 7)
    .process<[number, number]>({
      open(ctx) {
        sum = ctx.getState(new ValueStateDescriptor<number>('sum'));
        fs.writeFileSync(`${p.dir}/opened-${ctx.taskInfo.subtask}`, '');
      },
      processElement(i, ctx, out) {
        const s = (sum.value() ?? 0) + i;
        sum.update(s);
        out.collect([ctx.getCurrentKey() as number, s]);
      },
    }).uid('sums')
    .collect('sums');
});

function checkedStartSource(dir: string, n: number, keyedParallelism: number): Source<number, { next: number; end: number }> {
  return {
    boundedness: 'bounded',
    createSplits: ({ parallelism }) => Array.from({ length: parallelism }, (_, i) => ({ next: Math.floor((n * i) / parallelism), end: Math.floor((n * (i + 1)) / parallelism) })),
    createReader() {
      let split: { next: number; end: number } | undefined;
      let checked = false;
      return {
        addSplits(s) { split = s[0]; },
        poll(max) {
          if (!checked) {
            checked = true;
            const opened = fs.readdirSync(dir).filter((f) => f.startsWith('opened-')).length;
            if (opened < keyedParallelism) throw new Error(`read before every subtask opened: ${opened} of ${keyedParallelism}`);
          }
          const records: number[] = [];
          while (split && split.next < split.end && records.length < max) records.push(split.next++);
          return { records, done: !split || split.next >= split.end };
        },
        snapshotSplits: () => (split ? [{ ...split }] : []),
      };
    },
  };
}
