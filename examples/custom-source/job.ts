/**
 * A job on the custom lines source (lines-source.ts): lines of several files → words → count per
 * word in keyed state → collect. `main.ts` runs it; test/custom-source.test.ts checks the same
 * pipeline exactly, also through failures and rescaling.
 */
import { defineJob } from '../../index.ts';
import { linesSource, type Line } from './lines-source.ts';

export const linesJob = defineJob('lines-word-count', (env, p: { files: string[] }) => {
  env.fromSource(linesSource(p.files), undefined, 'Lines').uid('lines')
    .flatMap((l: Line) => l.text.split(/\s+/).filter((w) => w.length > 0).map((w) => w.toLowerCase())).uid('words')
    .keyBy((w) => w)
    .count().uid('counts')
    .collect('counts');
});
