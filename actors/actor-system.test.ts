import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import { once } from 'node:events';
import { ActorSystem, type ActorFailure } from './actor-system.ts';

process.env.WEIR_LOG_LEVEL ??= 'silent';

const fixture = (name: string) => new URL(`./test-support/${name}`, import.meta.url);
const COUNTER = fixture('actor-counter.ts');
const CRASHERS = fixture('actor-crashers.ts');
const SHARED = fixture('actor-shared-memory.ts');

describe('ActorSystem on 2 workers', () => {
  let system: ActorSystem;
  const failures: ActorFailure[] = [];

  before(async () => {
    system = await ActorSystem.start({ threads: 2, name: 'actor-system-test' });
    system.onFailure((f) => failures.push(f));
  });
  after(async () => {
    await system?.shutdown();
  });

  test('hosts several actors per worker, round-robin, and calls their methods', async () => {
    assert.equal(system.threads, 2);
    const refs = [];
    for (let i = 0; i < 6; i++) refs.push(await system.spawn({ id: `rr-${i}`, module: COUNTER, args: { start: i * 10 } }));
    assert.deepEqual(refs.map((r) => r.host), [0, 1, 0, 1, 0, 1]);
    const who = await Promise.all(refs.map((r) => r.call<{ actorId: string; host: number; threadId: number }>('whoAmI')));
    assert.deepEqual(who.map((w) => [w.actorId, w.host]), refs.map((r) => [r.id, r.host]));
    // Every actor of host k shares one worker thread; the two hosts use different threads.
    const threadsOf = (host: number) => new Set(who.filter((w) => w.host === host).map((w) => w.threadId));
    assert.equal(threadsOf(0).size, 1);
    assert.equal(threadsOf(1).size, 1);
    assert.notDeepEqual([...threadsOf(0)], [...threadsOf(1)]);

    assert.deepEqual(await Promise.all(refs.map((r, i) => r.call<number>('increment', i + 1))), [1, 12, 23, 34, 45, 56]);
    assert.equal(await refs[3]!.call('get'), 34);
    await Promise.all(refs.map((r) => r.stop()));
  });

  test('explicit placement puts the actor on the requested host', async () => {
    const a = await system.spawn({ id: 'placed-a', module: COUNTER, args: { start: 0 }, host: 1 });
    const b = await system.spawn({ id: 'placed-b', module: COUNTER, args: { start: 0 }, host: 1 });
    assert.equal(a.host, 1);
    const [wa, wb] = await Promise.all([a.call<{ host: number; threadId: number }>('whoAmI'), b.call<{ host: number; threadId: number }>('whoAmI')]);
    assert.equal(wa.host, 1);
    assert.equal(wa.threadId, wb.threadId);
    await Promise.all([a.stop(), b.stop()]);
  });

  test('a method that rejects rejects the call with its code and details; the actor keeps running', async () => {
    const ref = await system.spawn({ id: 'method-errors', module: COUNTER, args: { start: 7 } });
    await assert.rejects(ref.call('failingMethod'), (e: Error & { code?: string; details?: unknown }) => {
      assert.equal(e.code, 'WEIR_TEST_METHOD_FAILED');
      assert.equal(e.message, 'failingMethod failed on purpose');
      assert.deepEqual(e.details, { count: 7 });
      return true;
    });
    await assert.rejects(ref.call('noSuchMethod'), { code: 'WEIR_ACTOR_METHOD_NOT_FOUND' });
    await assert.rejects(ref.call('run'), { code: 'WEIR_ACTOR_METHOD_NOT_FOUND' });
    await assert.rejects(ref.call('toString'), { code: 'WEIR_ACTOR_METHOD_NOT_FOUND' });
    assert.equal(await ref.call('increment', 1), 8);
    await ref.stop();
  });

  test('messages sent with ctx.send arrive in order with the sender id', async () => {
    const received: Array<[string, unknown]> = [];
    const unsubscribe = system.onMessage((id, message) => {
      if (id === 'messenger') received.push([id, message]);
    });
    const ref = await system.spawn({ id: 'messenger', module: fixture('actor-messenger.ts'), args: { count: 50 }, host: 0 });
    await ref.done;
    unsubscribe();
    assert.equal(received.length, 50);
    assert.deepEqual(received[0], ['messenger', { seq: 0, from: 'messenger', host: 0 }]);
    assert.deepEqual(received.map(([, m]) => (m as { seq: number }).seq), Array.from({ length: 50 }, (_, i) => i));
  });

  test('stop() resolves after run() settled; the id can be reused', async () => {
    const ref = await system.spawn({ id: 'stoppable', module: COUNTER, args: { start: 1 } });
    await ref.stop('test over');
    await ref.done; // resolved: a normal finish
    await assert.rejects(ref.call('get'), { code: 'WEIR_ACTOR_NOT_RUNNING' });
    await ref.stop(); // stopping a finished actor is a no-op
    const again = await system.spawn({ id: 'stoppable', module: COUNTER, args: { start: 2 } });
    assert.equal(await again.call('get'), 2);
    await again.stop();
  });

  test('a long-running actor stops cleanly on stop()', async () => {
    const ref = await system.spawn({ id: 'ticker', module: fixture('actor-long-running.ts'), args: { tickMs: 2 } });
    while ((await ref.call<number>('ticks')) < 3) await new Promise((r) => setTimeout(r, 5));
    await ref.stop('enough');
    await ref.done;
  });

  test('SharedArrayBuffer args arrive shared, not copied', async () => {
    const sab = new SharedArrayBuffer(16);
    const view = new Int32Array(sab);
    const writer = await system.spawn({ id: 'sab-writer', module: SHARED, exportName: 'sharedWriter', args: { sab, index: 0, value: 1234 } });
    assert.equal(Atomics.load(view, 0), 1234); // written by the factory in the worker
    await writer.done;

    const cell = await system.spawn({ id: 'sab-cell', module: SHARED, exportName: 'sharedCell', args: { sab }, host: 1 });
    Atomics.store(view, 2, 77);
    assert.equal(await cell.call('read', 2), 77);
    await cell.call('write', 3, -5);
    assert.equal(Atomics.load(view, 3), -5);
    await cell.stop();
  });

  test('MessagePorts in args are transferred to the actor', async () => {
    const { port1, port2 } = new MessageChannel();
    const ref = await system.spawn({ id: 'port-echo', module: SHARED, exportName: 'portEcho', args: { port: port2 } });
    const replies: string[] = [];
    port1.on('message', (m: string) => replies.push(m));
    port1.postMessage('hello');
    port1.postMessage('bye');
    await ref.done;
    while (replies.length < 2) await once(port1, 'message');
    assert.deepEqual(replies, ['HELLO', 'BYE']);
    port1.close();
  });

  test('an idle actor parked on Atomics.waitAsync is woken (the worker event loop runs)', async () => {
    const sab = new SharedArrayBuffer(8);
    const view = new Int32Array(sab);
    const messages: unknown[] = [];
    let waiting!: () => void;
    const isWaiting = new Promise<void>((r) => (waiting = r));
    const unsubscribe = system.onMessage((id, m) => {
      if (id !== 'waiter') return;
      messages.push(m);
      if ((m as { state: string }).state === 'waiting') waiting();
    });
    const ref = await system.spawn({ id: 'waiter', module: SHARED, exportName: 'atomicsWaiter', args: { sab } });
    await isWaiting;
    Atomics.store(view, 0, 21);
    assert.equal(Atomics.notify(view, 0), 1); // exactly one waiter was parked
    await ref.done;
    unsubscribe();
    assert.equal(Atomics.load(view, 1), 42);
    assert.deepEqual(messages, [{ state: 'waiting', async: true }, { state: 'woken', outcome: 'ok' }]);
  });

  test('spawn rejects with the factory error and frees the id', async () => {
    await assert.rejects(
      system.spawn({ id: 'bad-factory', module: CRASHERS, exportName: 'factoryFails', args: { why: 'no config' } }),
      (e: Error & { code?: string; details?: unknown }) => {
        assert.equal(e.code, 'WEIR_TEST_FACTORY_FAILED');
        assert.equal(e.message, 'factory refused: no config');
        assert.deepEqual(e.details, { why: 'no config' });
        return true;
      },
    );
    const ok = await system.spawn({ id: 'bad-factory', module: COUNTER, args: { start: 0 } });
    await ok.stop();
  });

  test('spawn validates its spec with clear codes', async () => {
    await assert.rejects(system.spawn({ id: 'not-actor', module: CRASHERS, exportName: 'notAnActor', args: {} }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'WEIR_ACTOR_NOT_DEFINED');
      assert.match(e.message, /export "notAnActor" of .*actor-crashers\.ts is not an actor made with defineActor\(\)/);
      assert.match(e.message, /throwsInRun/);
      return true;
    });
    await assert.rejects(system.spawn({ id: 'missing', module: fixture('no-such-actor.ts'), args: {} }), { code: 'WEIR_ACTOR_MODULE_LOAD_FAILED' });
    await assert.rejects(system.spawn({ id: 'rel', module: './x.ts', args: {} }), { code: 'WEIR_ACTOR_MODULE_INVALID' });
    await assert.rejects(system.spawn({ id: 'far', module: COUNTER, args: { start: 0 }, host: 2 }), { code: 'WEIR_ACTOR_HOST_INVALID' });
    await assert.rejects(system.spawn({ id: '', module: COUNTER, args: { start: 0 } }), { code: 'WEIR_ACTOR_ID_INVALID' });
    const one = await system.spawn({ id: 'dup', module: COUNTER, args: { start: 0 } });
    await assert.rejects(system.spawn({ id: 'dup', module: COUNTER, args: { start: 0 } }), { code: 'WEIR_ACTOR_DUPLICATE_ID' });
    await one.stop();
  });

  test('actors that finish normally or are stopped are not failures', () => {
    assert.deepEqual(failures, []);
  });
});

test('ActorSystem.start validates threads', async () => {
  await assert.rejects(ActorSystem.start({ threads: 0 }), { code: 'WEIR_ACTOR_SYSTEM_OPTIONS_INVALID' });
});
