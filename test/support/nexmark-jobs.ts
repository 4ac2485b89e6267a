/**
 * Jobs of test/nexmark.test.ts: the Nexmark source with queries q0, q4 and q5 (stateless,
 * keyed state, windows), and a fault after the source that fires once per armed marker.
 */
import fs from 'node:fs';
import { defineJob } from '../../index.ts';
import type { NexmarkConfig } from '../../examples/nexmark/generator.ts';
import { nexmarkSource, nexmarkWatermarks } from '../../examples/nexmark/source.ts';
import { q0 } from '../../examples/nexmark/queries-stateless.ts';
import { q4 } from '../../examples/nexmark/queries-joins.ts';
import { q5, q7 } from '../../examples/nexmark/queries-windows.ts';
import type { Bid, NexmarkEvent } from '../../examples/nexmark/model.ts';
import { claim } from './fault-jobs.ts';

export const nexmarkFaultJob = defineJob('t-nexmark-faults', (env, p: { config: NexmarkConfig; failMarker?: string }) => {
  const events = env.fromSource(nexmarkSource(p.config), nexmarkWatermarks, 'Nexmark').uid('nexmark')
    .map((e) => {
      if (p.failMarker && fs.existsSync(p.failMarker) && claim(p.failMarker)) throw new Error(`injected failure at ${e.dateTime}`);
      return e;
    }).uid('fault');
  q0(events).collect('q0');
  q4(events).collect('q4');
  q5(events).collect('q5');
});

/** q7 on given bids (edge cases: ties, bids at exactly a window's end). */
export const q7BidsJob = defineJob('t-nexmark-q7-bids', (env, p: { bids: Bid[] }) => {
  q7(env.fromArray<NexmarkEvent>(p.bids).assignTimestampsAndWatermarks(nexmarkWatermarks)).collect('q7');
});
