/**
 * A job module the embedding test imports only through tsx's scoped `tsImport()` (its URL then
 * carries a `tsx-namespace` query that workers cannot use). Never executed.
 */
import { defineJob } from '../../index.ts';

export const scopedLoaderJob = defineJob('t-scoped-loader', (env, p: { words: string[] }) => {
  env.fromArray(p.words).keyBy((w) => w).count().collect('counts');
});
