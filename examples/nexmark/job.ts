/**
 * The Nexmark job: the generator source (source.ts) feeding any of the queries. Each query's
 * output goes to a `collect` sink named after it (tests, main.ts) or to a sink that drops it (the
 * reference's `blackhole` connector: what `npm run bench:nexmark` measures).
 */
import { defineJob, type DataStream } from '../../index.ts';
import type { NexmarkConfig } from './generator.ts';
import type { NexmarkEvent } from './model.ts';
import { nexmarkSource, nexmarkWatermarks } from './source.ts';
import { q0, q1, q2 } from './queries-stateless.ts';
import { q3, q4, q8 } from './queries-joins.ts';
import { q5, q7, q12 } from './queries-windows.ts';

export const QUERIES = { q0, q1, q2, q3, q4, q5, q7, q8, q12 } satisfies Record<string, (events: DataStream<NexmarkEvent>) => DataStream<any>>;
export type QueryName = keyof typeof QUERIES;
export const QUERY_NAMES = Object.keys(QUERIES) as QueryName[];

export interface NexmarkJobParams {
  readonly config: NexmarkConfig;
  /** The queries to run on the one event stream. */
  readonly queries: readonly QueryName[];
  /** 'collect' (default): one collect sink per query, named after it; 'discard': drop the results. */
  readonly sink?: 'collect' | 'discard';
}

export const nexmarkJob = defineJob('nexmark', (env, p: NexmarkJobParams) => {
  const events = env.fromSource(nexmarkSource(p.config), nexmarkWatermarks, 'Nexmark').uid('nexmark');
  for (const name of p.queries) {
    const query = QUERIES[name];
    if (!query) throw new Error(`nexmark: unknown query '${name}' (known: ${QUERY_NAMES.join(', ')})`);
    const out = query(events);
    if (p.sink === 'discard') out.addSink(() => {}).uid(`${name}-discard`);
    else out.collect(name);
  }
});
