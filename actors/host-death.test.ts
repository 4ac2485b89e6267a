import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { HostDeath } from './host-death.ts';
import { ActorSystem } from './actor-system.ts';

process.env.WEIR_LOG_LEVEL ??= 'silent';

test('a wait settles with its own outcome and leaves nothing behind; the death rejects what still waits, and every later wait', async () => {
  const death = new HostDeath();
  assert.equal(await death.race(Promise.resolve(7)), 7);
  await assert.rejects(death.race(Promise.reject(new Error('own'))), /own/);
  assert.equal(death.waiting, 0, 'settled waits are forgotten');
  const pending = death.race(new Promise<number>(() => {}));
  assert.equal(death.waiting, 1);
  death.reject(new Error('host died'));
  await assert.rejects(pending, /host died/);
  assert.equal(death.waiting, 0);
  death.reject(new Error('again')); // no-op: the first death stands
  await assert.rejects(death.race(Promise.resolve(1)), /host died/);
  await assert.rejects(death.race(Promise.reject(new Error('late'))), /host died/, 'never an unhandled rejection of the wait');
});

test('control calls do not grow the main thread heap: Promise.race against the host death kept ~1 KB a call for the life of the host', { timeout: 120_000 }, async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const heap = () => { gc(); gc(); return process.memoryUsage().heapUsed; };
  const system = await ActorSystem.start({ threads: 1, name: 'host-death-test' });
  try {
    const ref = await system.spawn({ id: 'counter', module: new URL('./test-support/actor-counter.ts', import.meta.url), args: { start: 0 } });
    for (let i = 0; i < 2_000; i++) await ref.call('get'); // warm up
    const before = heap();
    const calls = 20_000;
    for (let i = 0; i < calls; i++) await ref.call('get');
    const perCall = (heap() - before) / calls;
    assert.ok(perCall < 200, `${perCall.toFixed(0)} B of heap kept per control call`);
  } finally {
    await system.shutdown();
  }
});
