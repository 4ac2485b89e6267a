/**
 * Jobs of test/custom-source.test.ts: the lines word count of examples/custom-source with a fault
 * that fires once per armed marker, and sources that break the Source API's contract, one way each.
 */
import fs from 'node:fs';
import { defineJob, type Source } from '../../index.ts';
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

export type Breakage = 'createSplits-throws' | 'split-not-object' | 'poll-bad-shape' | 'poll-rejects';

function broken(b: Breakage): Source<number, { n: number }> {
  return {
    boundedness: 'bounded',
    createSplits: () => {
      if (b === 'createSplits-throws') throw new Error('no splits today');
      return (b === 'split-not-object' ? [{ n: 1 }, 2] : [{ n: 1 }]) as Array<{ n: number }>;
    },
    createReader: () => ({
      addSplits() {},
      poll() {
        if (b === 'poll-rejects') return Promise.reject(new Error('the disk is gone'));
        return { items: [1] } as never;
      },
      snapshotSplits: () => [],
    }),
  };
}

export const brokenSourceJob = defineJob('t-broken-source', (env, p: { breakage: Breakage }) => {
  env.fromSource(broken(p.breakage), undefined, 'Broken').uid('broken').collect('out');
});
