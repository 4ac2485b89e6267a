import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ActorSystem, type ActorFailure, type ActorRef } from './actor-system.ts';
import { classifyHostFailure, describeHostDeath, hostFailureCause, RestartBudget } from './supervision.ts';

process.env.WEIR_LOG_LEVEL ??= 'silent';

const fixture = (name: string) => new URL(`./test-support/${name}`, import.meta.url);
const COUNTER = fixture('actor-counter.ts');
const CRASHERS = fixture('actor-crashers.ts');

type Coded = Error & { code?: string; details?: Record<string, unknown> };

describe('supervision decisions (pure)', () => {
  test("classifyHostFailure: a worker 'error' wins, then the observed exit code, then piscina's message", () => {
    assert.deepEqual(classifyHostFailure(new Error('anything'), { exitCode: 3 }), { kind: 'worker-exit', exitCode: 3 });
    assert.deepEqual(classifyHostFailure(new Error('out of memory'), { exitCode: 1, errored: true }), { kind: 'worker-error' });
    assert.deepEqual(classifyHostFailure(new Error('worker exited with code: 7')), { kind: 'worker-exit', exitCode: 7 });
    assert.deepEqual(classifyHostFailure(new Error('worker exited with code: -1')), { kind: 'worker-exit', exitCode: -1 });
    assert.deepEqual(classifyHostFailure(new Error('kaboom')), { kind: 'worker-error' });
    assert.deepEqual(classifyHostFailure('a string'), { kind: 'worker-error' });
  });

  test('hostFailureCause names the actor, host, thread and exit code', () => {
    const piscinaError = new Error('worker exited with code: 3');
    const cause = hostFailureCause('a1', { host: 1, threadId: 9, failure: { kind: 'worker-exit', exitCode: 3 }, error: piscinaError });
    assert.equal(cause.code, 'WEIR_ACTOR_WORKER_EXIT');
    assert.equal(cause.message, 'actor "a1" was lost: its host 1 (worker thread 9) exited with exit code 3');
    assert.deepEqual(cause.details, { actorId: 'a1', host: 1, threadId: 9, reason: 'host 1 (worker thread 9) exited with exit code 3', exitCode: 3, error: 'worker exited with code: 3' });
    assert.equal(cause.cause, piscinaError);

    const oom = Object.assign(new Error('Worker terminated due to reaching memory limit: JS heap out of memory'), { code: 'ERR_WORKER_OUT_OF_MEMORY' });
    const death = { host: 0, threadId: -1, failure: { kind: 'worker-error' as const }, error: oom };
    assert.equal(describeHostDeath(death), 'host 0 crashed: ERR_WORKER_OUT_OF_MEMORY: Worker terminated due to reaching memory limit: JS heap out of memory');
    assert.equal(hostFailureCause('b', death).code, 'WEIR_ACTOR_WORKER_ERROR');
  });

  test('RestartBudget allows maxRestarts per host within a sliding window', () => {
    let now = 1000;
    const budget = new RestartBudget({ maxRestarts: 2, windowMs: 100, clock: { now: () => now } });
    assert.equal(budget.tryAcquire(0), true);
    now = 1050;
    assert.equal(budget.tryAcquire(0), true);
    assert.equal(budget.tryAcquire(0), false); // third within 100 ms
    assert.equal(budget.tryAcquire(1), true); // other hosts have their own budget
    assert.equal(budget.used(0), 2);
    now = 1100; // the restart at 1000 left the window
    assert.equal(budget.used(0), 1);
    assert.equal(budget.tryAcquire(0), true);
    assert.equal(budget.tryAcquire(0), false);
    assert.equal(new RestartBudget({ maxRestarts: 0 }).tryAcquire(0), false);
    assert.throws(() => new RestartBudget({ maxRestarts: -1 }), { code: 'WEIR_ACTOR_SYSTEM_OPTIONS_INVALID' });
  });
});

describe('supervisor on real workers', () => {
  let system: ActorSystem;
  const failures: ActorFailure[] = [];
  const spawnCounter = (id: string, host: number) => system.spawn({ id, module: COUNTER, args: { start: 0 }, host });
  const threadOf = async (ref: ActorRef) => (await ref.call<{ threadId: number }>('whoAmI')).threadId;
  const failuresOf = (ids: string[]) => failures.filter((f) => ids.includes(f.actorId)).sort((a, b) => a.actorId.localeCompare(b.actorId));

  before(async () => {
    system = await ActorSystem.start({ threads: 2, name: 'supervision-test' });
    system.onFailure((f) => failures.push(f));
  });
  after(async () => {
    await system?.shutdown();
  });

  test("an actor's run() rejection is reported with its identity and cause; siblings continue", async () => {
    const sibling = await spawnCounter('err-sibling', 0);
    const other = await spawnCounter('err-other-host', 1);
    const bad = await system.spawn({ id: 'thrower', module: CRASHERS, exportName: 'throwsInRun', args: { delayMs: 10 }, host: 0 });
    await assert.rejects(bad.done, (e: Coded) => {
      assert.equal(e.code, 'WEIR_TEST_BOOM');
      assert.deepEqual(e.details, { actorId: 'thrower', answer: 42 });
      return true;
    });
    const reported = failuresOf(['thrower']);
    assert.equal(reported.length, 1);
    assert.equal(reported[0]!.host, 0);
    assert.equal(reported[0]!.kind, 'actor-error');
    assert.equal(reported[0]!.cause.message, 'actor thrower failed on purpose');
    assert.equal((reported[0]!.cause as Coded).code, 'WEIR_TEST_BOOM');
    // Same worker, still alive and serving.
    assert.equal(await sibling.call('increment', 5), 5);
    assert.equal(await other.call('increment', 6), 6);
    assert.deepEqual(failuresOf(['err-sibling', 'err-other-host']), []);
    await Promise.all([sibling.stop(), other.stop()]);
  });

  test('process.exit(3) in a worker fails every actor of that host; the host is replaced', async () => {
    const a = await spawnCounter('exit-a', 1);
    const b = await spawnCounter('exit-b', 1);
    const bystander = await spawnCounter('exit-bystander', 0);
    const oldThread = await threadOf(a);
    const exiter = await system.spawn({ id: 'exiter', module: CRASHERS, exportName: 'exitsProcess', args: {}, host: 1 });
    assert.equal(await exiter.call('crash'), 'exiting');

    for (const ref of [a, b, exiter]) {
      await assert.rejects(ref.done, (e: Coded) => {
        assert.equal(e.code, 'WEIR_ACTOR_WORKER_EXIT');
        assert.match(e.message, /exit code 3/);
        assert.equal(e.details?.exitCode, 3);
        return true;
      });
    }
    const reported = failuresOf(['exit-a', 'exit-b', 'exiter', 'exit-bystander']);
    assert.deepEqual(reported.map((f) => [f.actorId, f.host, f.kind]), [
      ['exit-a', 1, 'worker-exit'],
      ['exit-b', 1, 'worker-exit'],
      ['exiter', 1, 'worker-exit'],
    ]);
    assert.match(reported[0]!.cause.message, /^actor "exit-a" was lost: its host 1 \(worker thread \d+\) exited with exit code 3$/);
    await assert.rejects(a.call('get'), { code: 'WEIR_ACTOR_NOT_RUNNING' });

    assert.equal(await bystander.call('increment', 2), 2);
    const fresh = await spawnCounter('exit-a', 1); // same id, same host, new worker
    assert.equal(fresh.host, 1);
    assert.notEqual(await threadOf(fresh), oldThread);
    assert.equal(await fresh.call('increment', 4), 4);
    await Promise.all([fresh.stop(), bystander.stop()]);
  });

  test('a call in flight when its worker exits rejects instead of hanging', async () => {
    const ref = await system.spawn({ id: 'exit-mid-call', module: CRASHERS, exportName: 'exitsProcess', args: {}, host: 0 });
    await assert.rejects(ref.call('crashWhileCalled'), (e: Coded) => {
      assert.equal(e.code, 'WEIR_ACTOR_HOST_DIED');
      assert.match(e.message, /exit code 3/);
      return true;
    });
    await assert.rejects(ref.done, { code: 'WEIR_ACTOR_WORKER_EXIT' });
    const after = await spawnCounter('after-mid-call', 0);
    await after.stop();
  });

  test('an uncaught exception in a worker is a worker-error for every actor of that host', async () => {
    const a = await spawnCounter('uncaught-a', 0);
    const bomb = await system.spawn({ id: 'bomb', module: CRASHERS, exportName: 'uncaughtInTimer', args: {}, host: 0 });
    assert.equal(await bomb.call('explode'), 'armed');
    for (const ref of [a, bomb]) {
      await assert.rejects(ref.done, (e: Coded) => {
        assert.equal(e.code, 'WEIR_ACTOR_WORKER_ERROR');
        assert.match(e.message, /host 0 \(worker thread \d+\) crashed: kaboom from a timer/);
        return true;
      });
    }
    const reported = failuresOf(['uncaught-a', 'bomb']);
    assert.deepEqual(reported.map((f) => [f.actorId, f.host, f.kind]), [
      ['bomb', 0, 'worker-error'],
      ['uncaught-a', 0, 'worker-error'],
    ]);
    assert.equal((reported[0]!.cause.cause as Error).message, 'kaboom from a timer');
    const next = await spawnCounter('uncaught-next', 0);
    assert.equal(await next.call('increment', 1), 1);
    await next.stop();
  });

  test('a stop() the actor ignores rejects with WEIR_ACTOR_STOP_TIMEOUT', async () => {
    // Uses its own system so the short stop timeout does not leak into other tests.
    const small = await ActorSystem.start({ threads: 1, stopTimeoutMs: 100 });
    try {
      const stubborn = await small.spawn({ id: 'stubborn', module: fixture('actor-long-running.ts'), args: { tickMs: 5, ignoreStop: true } });
      await assert.rejects(stubborn.stop(), (e: Coded) => {
        assert.equal(e.code, 'WEIR_ACTOR_STOP_TIMEOUT');
        assert.deepEqual(e.details, { actorId: 'stubborn', timeoutMs: 100 });
        return true;
      });
      assert.ok((await stubborn.call<number>('ticks')) > 0); // still running
    } finally {
      await small.shutdown();
    }
  });
});

test('shutdown is bounded even when an actor ignores stop(), and abandons it explicitly', async () => {
  const system = await ActorSystem.start({ threads: 2, stopTimeoutMs: 500 });
  const failures: ActorFailure[] = [];
  system.onFailure((f) => failures.push(f));
  const stubborn = await system.spawn({ id: 'stubborn', module: fixture('actor-long-running.ts'), args: { tickMs: 5, ignoreStop: true }, host: 0 });
  const polite = await system.spawn({ id: 'polite', module: fixture('actor-long-running.ts'), args: { tickMs: 5 }, host: 0 });
  const counter = await system.spawn({ id: 'counter', module: COUNTER, args: { start: 0 }, host: 1 });
  await system.shutdown();
  await polite.done;
  await counter.done;
  await assert.rejects(stubborn.done, (e: Coded) => {
    assert.equal(e.code, 'WEIR_ACTOR_ABANDONED');
    assert.equal(e.message, 'actor "stubborn" did not stop within 500 ms of shutdown; its worker was terminated');
    return true;
  });
  assert.deepEqual(failures, []); // shutdown outcomes are not failures
  await assert.rejects(system.spawn({ id: 'late', module: COUNTER, args: { start: 0 } }), { code: 'WEIR_ACTOR_SYSTEM_SHUT_DOWN' });
  await system.shutdown(); // idempotent
});

test('shutdown is bounded when a worker is wedged in a synchronous loop', async () => {
  const system = await ActorSystem.start({ threads: 1, stopTimeoutMs: 100 });
  const spinner = await system.spawn({ id: 'spinner', module: fixture('actor-long-running.ts'), exportName: 'busyLoop', args: {} });
  const pendingCall = assert.rejects(spinner.call('spin'), { code: 'WEIR_ACTOR_SYSTEM_SHUT_DOWN' });
  await system.shutdown(); // host never answers: given up after stopTimeoutMs + grace, then terminated
  await pendingCall; // settled by shutdown, not left pending forever
  await assert.rejects(spinner.done, { code: 'WEIR_ACTOR_ABANDONED' });
});

test('a host over its restart budget stays down; round-robin skips it', async () => {
  const system = await ActorSystem.start({ threads: 2, maxRestarts: 0 });
  try {
    const exiter = await system.spawn({ id: 'exiter', module: CRASHERS, exportName: 'exitsProcess', args: {}, host: 0 });
    await exiter.call('crash');
    await assert.rejects(exiter.done, { code: 'WEIR_ACTOR_WORKER_EXIT' });
    await assert.rejects(system.spawn({ id: 'on-0', module: COUNTER, args: { start: 0 }, host: 0 }), (e: Coded) => {
      assert.equal(e.code, 'WEIR_ACTOR_HOST_UNAVAILABLE');
      assert.equal(e.message, 'host 0 is broken; cannot spawn "on-0"');
      return true;
    });
    const hosts = [];
    for (let i = 0; i < 3; i++) hosts.push((await system.spawn({ id: `rr-${i}`, module: COUNTER, args: { start: 0 } })).host);
    assert.deepEqual(hosts, [1, 1, 1]);
  } finally {
    await system.shutdown();
  }
});

test('a worker over its resourceLimits is a worker-error (ERR_WORKER_OUT_OF_MEMORY)', async () => {
  const system = await ActorSystem.start({ threads: 1, resourceLimits: { maxOldGenerationSizeMb: 24, maxYoungGenerationSizeMb: 4 } });
  try {
    const failures: ActorFailure[] = [];
    system.onFailure((f) => failures.push(f));
    const hog = await system.spawn({ id: 'hog', module: CRASHERS, exportName: 'exhaustsMemory', args: {} });
    await hog.call('allocate');
    await assert.rejects(hog.done, (e: Coded) => {
      assert.equal(e.code, 'WEIR_ACTOR_WORKER_ERROR');
      assert.match(e.message, /ERR_WORKER_OUT_OF_MEMORY/);
      return true;
    });
    assert.deepEqual(failures.map((f) => [f.actorId, f.kind]), [['hog', 'worker-error']]);
    const next = await system.spawn({ id: 'after-oom', module: COUNTER, args: { start: 3 } });
    assert.equal(await next.call('get'), 3);
  } finally {
    await system.shutdown();
  }
});
