/**
 * Word count: the classic. Lines of a text file → words → count per word.
 *
 * This module only *defines* the job (every worker imports it); `main.ts`
 * runs it. `count()` is Flink's rolling aggregate: it emits [word, n] for every
 * occurrence, so the last emitted value per word is its total.
 */
import { defineJob } from '../../index.ts';

export interface WordCountParams {
  /** Text file to count (default: the bundled opening of A Tale of Two Cities). */
  file: string;
  /** Repeat the file this many times (a bigger workload for demos). */
  repeat?: number;
}

export const wordCount = defineJob('word-count', (env, params: WordCountParams) => {
  const lines = env.readTextFile(params.file);
  const repeated = (params.repeat ?? 1) > 1
    ? lines.flatMap((line) => Array.from({ length: params.repeat! }, () => line)).name('Repeat')
    : lines;
  repeated
    .flatMap((line) => line.toLowerCase().split(/[^a-z']+/))
    .name('Tokenize')
    .filter((word) => word.length > 0)
    .name('NonEmpty')
    .keyBy((word) => word)
    .count()
    .uid('word-counts')
    .collect('counts');
});

/** Turns the rolling counts into final totals. */
export function totals(updates: ReadonlyArray<[string, number]>): Map<string, number> {
  const m = new Map<string, number>();
  for (const [w, n] of updates) if (n > (m.get(w) ?? 0)) m.set(w, n);
  return m;
}
