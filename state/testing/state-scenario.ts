/**
 * Test support: a fixed set of states and keys, deterministic mutations, and a dump of
 * everything visible through the public API (for "state equals state" assertions).
 */
import {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  ValueStateDescriptor,
} from '../descriptors.ts';
import type { KeyGroupRange } from '../key-groups.ts';
import { keyGroupFor } from '../key-groups.ts';
import type { KeyedStateBackend } from '../keyed-state-backend.ts';
import { canon } from './backend-fixtures.ts';

export const D = {
  value: new ValueStateDescriptor<{ n: number; s: string }>('value'),
  ttlValue: new ValueStateDescriptor<number>('ttl-value', { ttl: { ttlMs: 1000 } }),
  list: new ListStateDescriptor<number>('list'),
  map: new MapStateDescriptor<string | number[], { v: number }>('map'),
  sum: new ReducingStateDescriptor<number>('sum', (a, b) => a + b),
  agg: new AggregatingStateDescriptor<number, { n: number; max: number }, string>('agg', {
    createAccumulator: () => ({ n: 0, max: -Infinity }),
    add: (v, acc) => ({ n: acc.n + 1, max: Math.max(acc.max, v) }),
    getResult: (acc) => `${acc.n}/${acc.max}`,
  }),
};

/** `n` keys of mixed types. */
export function scenarioKeys(n: number): unknown[] {
  const keys: unknown[] = [];
  for (let i = 0; i < n; i++) keys.push(i % 4 === 0 ? `user-${i}` : i % 4 === 1 ? i : i % 4 === 2 ? [i, 'x'] : { id: i, t: 'k' });
  return keys;
}

/** Writes round `r` of deterministic changes for every key (deletes some on odd rounds). */
export function mutate(b: KeyedStateBackend, keys: readonly unknown[], r: number, opts: { timers?: boolean; onlyEvery?: number } = {}): void {
  const every = opts.onlyEvery ?? 1;
  const value = b.getState(D.value);
  const ttlValue = b.getState(D.ttlValue);
  const list = b.getState(D.list);
  const map = b.getState(D.map);
  const sum = b.getState(D.sum);
  const agg = b.getState(D.agg);
  b.batch(() => {
    keys.forEach((key, i) => {
      if ((i + r) % every !== 0) return;
      b.setCurrentKey(key);
      value.update({ n: i * 10 + r, s: `r${r}` });
      if (i % 3 === r % 3) ttlValue.update(r);
      list.add(i + r);
      if (i % 5 === 0) list.update([r]);
      map.put(`m${(i + r) % 4}`, { v: r });
      map.put([i % 2, r % 3], { v: -r });
      sum.add(i + r);
      agg.add(r * i);
      if (r % 2 === 1) {
        if (i % 7 === 0) value.clear();
        if (i % 6 === 0) list.clear();
        if (i % 4 === 0) map.remove(`m${i % 4}`);
        if (i % 9 === 0) map.clear();
        if (i % 8 === 0) sum.clear();
      }
      if (opts.timers) {
        b.timers.registerEventTimeTimer(1000 + ((i * 37 + r) % 50));
        b.timers.registerProcessingTimeTimer(5000 + ((i * 13 + r) % 40));
        if (r % 2 === 1) b.timers.deleteEventTimeTimer(1000 + ((i * 37 + r - 1) % 50));
      }
    });
  });
}

/** Everything visible for `keys` (those in `range` when given). */
export function dump(b: KeyedStateBackend, keys: readonly unknown[], range?: KeyGroupRange): string[] {
  const value = b.getState(D.value);
  const ttlValue = b.getState(D.ttlValue);
  const list = b.getState(D.list);
  const map = b.getState(D.map);
  const sum = b.getState(D.sum);
  const agg = b.getState(D.agg);
  const out: string[] = [];
  b.batch(() => {
    for (const key of keys) {
      if (range) {
        const kg = keyGroupFor(key, b.maxParallelism);
        if (kg < range.start || kg > range.end) continue;
      }
      b.setCurrentKey(key);
      const m = [...map.entries()].map(([k, v]) => `${canon(k)}=${canon(v)}`).sort();
      out.push(`${canon(key)} v=${canon(value.value())} t=${ttlValue.value()} l=${canon(list.get())} m=${m.join(',')} s=${sum.get()} a=${agg.get()}`);
    }
  });
  return out;
}

/** Fires every timer; returns sorted "domain ts key" lines. Consumes the timers. */
export function drainTimers(b: KeyedStateBackend): string[] {
  const out: string[] = [];
  b.timers.advanceWatermark(Number.POSITIVE_INFINITY, (ts, key) => out.push(`e ${ts} ${canon(key)}`));
  b.timers.fireProcessingTimers(Number.POSITIVE_INFINITY, (ts, key) => out.push(`p ${ts} ${canon(key)}`));
  return out.sort();
}
