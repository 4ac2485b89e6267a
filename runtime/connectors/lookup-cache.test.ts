import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../common/clock.ts';
import { LookupCache } from './lookup-cache.ts';

function loader() {
  const calls: string[] = [];
  return { calls, load: (key: string, value = `v-${key}`) => () => { calls.push(key); return Promise.resolve(value); } };
}

test('without options every get loads', async () => {
  const c = new LookupCache<string>(undefined, new ManualClock(0));
  const l = loader();
  await c.get('a', l.load('a'));
  await c.get('a', l.load('a'));
  assert.deepEqual(l.calls, ['a', 'a']);
  assert.equal(c.size, 0);
});

test('a cached key is served until ttlMs after it was loaded, then loaded again', async () => {
  const clock = new ManualClock(1000);
  const c = new LookupCache<string>({ maxEntries: 10, ttlMs: 100 }, clock);
  const l = loader();
  assert.equal(await c.get('a', l.load('a')), 'v-a');
  clock.advance(99);
  assert.equal(await c.get('a', l.load('a', 'other')), 'v-a');
  clock.advance(1);
  assert.equal(await c.get('a', l.load('a', 'new')), 'new');
  assert.deepEqual(l.calls, ['a', 'a']);
  assert.deepEqual([c.hits, c.misses], [1, 2]);
});

test('at maxEntries the least recently used key is evicted', async () => {
  const c = new LookupCache<string>({ maxEntries: 2, ttlMs: 1e9 }, new ManualClock(0));
  const l = loader();
  await c.get('a', l.load('a'));
  await c.get('b', l.load('b'));
  await c.get('a', l.load('a')); // a is now the most recently used
  await c.get('c', l.load('c')); // evicts b
  assert.equal(c.size, 2);
  await c.get('a', l.load('a'));
  await c.get('b', l.load('b'));
  assert.deepEqual(l.calls, ['a', 'b', 'c', 'b']);
});

test('concurrent gets of one key share one load; a failed load is not cached', async () => {
  const c = new LookupCache<string>({ maxEntries: 10, ttlMs: 1e9 }, new ManualClock(0));
  let loads = 0;
  let release!: (v: string) => void;
  const slow = () => { loads++; return new Promise<string>((r) => { release = r; }); };
  const p1 = c.get('k', slow);
  const p2 = c.get('k', slow);
  release('x');
  assert.deepEqual(await Promise.all([p1, p2]), ['x', 'x']);
  assert.equal(loads, 1);
  await assert.rejects(c.get('bad', () => Promise.reject(new Error('boom'))), /boom/);
  assert.equal(await c.get('bad', () => Promise.resolve('ok')), 'ok');
});
