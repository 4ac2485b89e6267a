/**
 * The Redis Streams source (issue #15) against a private redis-server per file
 * (test/support/redis-server.ts: fails, never skips, when redis-server is not installed).
 *
 * Bounded reads at parallelism 1, 2 and 4 (> streams: an idle subtask) equal the streams
 * exactly; ≥ 5 injected failures (alternately a worker process.exit and a throw downstream,
 * each after an observed checkpoint) in the aligned and unaligned modes, and a rescale 2 → 1 from
 * a savepoint taken mid-read, deliver every entry exactly once through the exactly-once collect
 * sink; unbounded, entries added while the job runs arrive; a Redis server killed and restarted
 * mid-run (appendonly, so its entries survive) fails the job over with a restartable typed error
 * and it resumes exactly; a wrong port, a wrong password and a missing stream in bounded mode
 * fail at start with typed errors naming the source and host:port (never the password).
 * Waits are on events (checkpoints, record counts, failovers), never on delays.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { redisEntryTime, type JobClient, type WeirError } from '../index.ts';
import { startRedis, type RedisServer } from './support/redis-server.ts';
import { redisJob, redisMergedEventTimeJob, redisParseJob, redisWindowJob, type Out, type RedisJobParams } from './support/redis-jobs.ts';
import { checkpointCompletedWhen, checkpointsCompleted, injectFailures } from './support/checkpoint-events.ts';
import type { CheckpointConfigInput } from '../runtime/checkpoint/checkpoint-config.ts';
import { freePort } from './support/free-port.ts';
import { redisEndpoint } from '../runtime/connectors/redis-streams-options.ts';

const PASSWORD = 's3cret-pw';
const STREAMS = ['orders', 'clicks', 'logins'];
const N = 3000;

let redis: RedisServer;
const expected = new Map<string, string[]>();
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-redis-test-'));

before(async () => {
  redis = await startRedis({ password: PASSWORD });
  for (const s of STREAMS) expected.set(s, await redis.xaddMany(s, Array.from({ length: N }, (_, i) => ({ n: String(i), s }))));
});
after(async () => {
  await redis?.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

/** Every entry of `streams` exactly once, each stream in id order; `what` names the run. */
function assertExact(out: readonly Out[], streams: ReadonlyMap<string, string[]>, what: string): void {
  for (const [s, ids] of streams) {
    const got = out.filter((r) => r.stream === s);
    assert.equal(got.length, ids.length, `${what}: stream ${s} has ${got.length} records, expected ${ids.length}`);
    assert.deepEqual(got.map((r) => r.id), ids, `${what}: stream ${s}, every id once, in order`);
    assert.deepEqual(got.map((r) => r.n), ids.map((_, i) => String(i)), `${what}: stream ${s} fields`);
  }
  assert.equal(out.length, [...streams.values()].reduce((a, ids) => a + ids.length, 0), `${what}: nothing else`);
}

/** Every entry once over several runs (per stream in order within each run, no overlap). */
function assertExactOverRuns(runs: ReadonlyArray<readonly Out[]>, what: string): void {
  const seen = new Map<string, number>();
  for (const out of runs) for (const r of out) seen.set(`${r.stream}/${r.id}`, (seen.get(`${r.stream}/${r.id}`) ?? 0) + 1);
  const dup = [...seen].filter(([, n]) => n > 1);
  assert.deepEqual(dup, [], `${what}: duplicates`);
  for (const [s, ids] of expected) {
    const missing = ids.filter((id) => !seen.has(`${s}/${id}`));
    assert.deepEqual(missing.slice(0, 5), [], `${what}: stream ${s} missing ${missing.length} entries`);
  }
  assert.equal(seen.size, N * STREAMS.length);
}

function params(extra: Partial<RedisJobParams> = {}): RedisJobParams {
  return { url: redis.url, streams: STREAMS, bounded: true, sourceParallelism: 1, ...extra };
}

/** Resolves when `cond()` holds, checked on every record batch and every 10 ms tick; rejects after `ms`. */
function until(what: string, cond: () => boolean, ms = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      if (cond()) return resolve();
      if (Date.now() - started > ms) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 10);
    };
    tick();
  });
}

/** Cancels a job a failed assertion left running (no-op once it ended). */
async function ended(client: JobClient): Promise<void> {
  if (client.status === 'running' || client.status === 'initializing' || client.status === 'restarting') await client.cancel().catch(() => {});
  await client.done.catch(() => {});
}


describe('bounded reads', () => {
  for (const p of [1, 2, 4]) {
    test(`parallelism ${p}${p > STREAMS.length ? ' (more subtasks than streams: one idle)' : ''}: every entry once, per stream in id order`, { timeout: 30_000 }, async () => {
      const result = await redisJob.execute({ params: params({ sourceParallelism: p, batchSize: 100 }), parallelism: p }).done;
      assert.equal(result.status, 'finished');
      assertExact(result.collected.out as Out[], expected, `p=${p}`);
    });
  }

  test('entries added after the source opened are not read: it stops at the end id recorded at open', { timeout: 30_000 }, async () => {
    const dir = fs.mkdtempSync(path.join(root, 'bounded-end-'));
    const slowMarker = path.join(dir, 'slow');
    fs.writeFileSync(slowMarker, '');
    const ids = await redis.xaddMany('growing', Array.from({ length: 2000 }, (_, i) => ({ n: String(i) })));
    const client = redisJob.execute({
      params: { url: redis.url, streams: ['growing'], bounded: true, sourceParallelism: 1, batchSize: 20, slowMarker, slowMicros: 1000 }, parallelism: 1,
      bufferBytes: 4096, checkpointing: { intervalMs: 50, directory: path.join(dir, 'checkpoints') },
    });
    try {
      await until('the first records', () => client.collected('out').length > 0); // the reader has opened
      assert.ok(client.collected('out').length < 1000, 'mid-read (backpressure keeps the reader behind the slow map)');
      await redis.xaddMany('growing', Array.from({ length: 100 }, (_, i) => ({ n: String(2000 + i) })));
      fs.rmSync(slowMarker);
      const result = await client.done;
      assert.equal(result.status, 'finished');
      assertExact(result.collected.out as Out[], new Map([['growing', ids]]), 'bounded end');
    } finally {
      await ended(client);
    }
  });

  test('several streams on one subtask are handed out in entry-id (event-time) order: none is late behind another stream\'s batch', { timeout: 60_000 }, async () => {
    // Same time range, different densities: 'dense' one entry per ms, 'sparse' one per 2 ms; batches of 100.
    for (let i = 0; i < 3000; i++) await redis.client.xAdd('merge-dense', `${1000 + i}-0`, { n: String(i) });
    for (let i = 0; i < 1500; i++) await redis.client.xAdd('merge-sparse', `${1000 + 2 * i}-0`, { n: String(i) });
    const result = await redisMergedEventTimeJob.execute({ params: { url: redis.url, streams: ['merge-dense', 'merge-sparse'], batchSize: 100 }, parallelism: 1 }).done;
    assert.deepEqual(result.collected.late, [], 'no entry late');
    assert.deepEqual(result.collected.windows, [{ start: 1000, count: 1500 }, { start: 2000, count: 1500 }, { start: 3000, count: 1500 }]);
  });

  test('the parse option makes the records; redisEntryTime is the id\'s ms part', async () => {
    const result = await redisParseJob.execute({ params: { url: redis.url, streams: ['orders'], bounded: true, parallelism: 1 }, parallelism: 1 }).done;
    const out = result.collected.out as Array<{ key: string; id: string }>;
    assert.deepEqual(out.map((r) => r.key), expected.get('orders')!.map((_, i) => `orders:${i}`));
    const id = expected.get('orders')![0]!;
    assert.equal(redisEntryTime(id), Number(id.slice(0, id.indexOf('-'))));
    assert.ok(Math.abs(redisEntryTime(id) - Date.now()) < 600_000);
  });
});

describe('connection options', () => {
  test('port, password and db override the URL\'s parts (a wrong port, password and db in the URL: still reads)', async () => {
    const unused = await freePort();
    const url = `redis://:wrong-pw@127.0.0.1:${unused}/5`;
    const result = await redisParseJob.execute({ params: { url, streams: ['orders'], bounded: true, parallelism: 1, overrides: { port: redis.port, password: PASSWORD, db: 0 } }, parallelism: 1 }).done;
    assert.equal((result.collected.out as unknown[]).length, expected.get('orders')!.length);
  });

  test('redisEndpoint: the URL\'s parts (decoded), then the options over them', () => {
    assert.deepEqual(redisEndpoint({ url: 'rediss://us%40er:p%3Aw@example.org:6380/3' }), { host: 'example.org', port: 6380, tls: true, username: 'us@er', password: 'p:w', db: 3 });
    assert.deepEqual(redisEndpoint({ url: 'redis://[::1]:7000', port: 7001, db: 2, password: 'x' }), { host: '::1', port: 7001, tls: false, password: 'x', db: 2 });
    assert.deepEqual(redisEndpoint({ host: 'h', port: 1 }), { host: 'h', port: 1, tls: false });
  });
});

describe('exactly-once across failures', () => {
  const MODES: Array<[string, CheckpointConfigInput]> = [['aligned', {}], ['unaligned', { unaligned: true }]];
  const FAILURES = 6;
  for (const [mode, cp] of MODES) {
    test(`${mode}: ${FAILURES} failures (worker exit and throws downstream, after checkpoints): every entry exactly once`, { timeout: 60_000 }, async () => {
      const dir = fs.mkdtempSync(path.join(root, `eo-${mode}-`));
      const failMarker = path.join(dir, 'fail');
      const slowMarker = path.join(dir, 'slow');
      fs.writeFileSync(slowMarker, '');
      const client = redisJob.execute({
        params: params({ sourceParallelism: 2, batchSize: 50, failMarker, slowMarker, slowMicros: 600 }),
        parallelism: 2,
        bufferBytes: 4096,
        checkpointing: { intervalMs: 50, directory: path.join(dir, 'checkpoints'), tolerableFailures: 100, ...cp },
        restartStrategy: { type: 'fixed-delay', attempts: 30, delayMs: 0 },
      });
      await injectFailures(client, failMarker, FAILURES);
      fs.rmSync(slowMarker); // all failures happened mid-read: now let it finish
      const result = await client.done;
      assert.equal(result.status, 'finished');
      assert.equal(result.failovers.length, FAILURES);
      const codes = result.failovers.map((f) => f.cause.code ?? '');
      assert.ok(codes.includes('WEIR_WORKER_LOST') || codes.some((c) => /WORKER|ACTOR/.test(c)), `a worker exit among ${codes.join(', ')}`);
      assert.ok(codes.includes('WEIR_USER_FUNCTION_FAILED'), `a throw among ${codes.join(', ')}`);
      for (const f of result.failovers) assert.notEqual(f.restoredCheckpointId, null, 'each failover restored a checkpoint');
      assertExact(result.collected.out as Out[], expected, mode);
    });
  }
});

test('rescale 2 → 1 from a savepoint taken mid-read: every entry exactly once over both runs', { timeout: 60_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(root, 'rescale-'));
  const slowMarker = path.join(dir, 'slow');
  fs.writeFileSync(slowMarker, '');
  const checkpointing = { intervalMs: 50, directory: path.join(dir, 'checkpoints') };
  // Small rings: the (aligned) savepoint's barriers pass the slow map quickly.
  const first = redisJob.execute({ params: params({ sourceParallelism: 2, batchSize: 50, slowMarker, slowMicros: 1000 }), parallelism: 2, bufferBytes: 4096, checkpointing });
  // Mid-read: once a completed checkpoint has released some output (the first one may complete
  // before any entry was read), not after a number of checkpoints.
  await checkpointCompletedWhen(first, () => first.collected('out').length > 0, 'any output was committed');
  const savepoint = await first.stopWithSavepoint(path.join(dir, 'savepoints'));
  const run1 = (await first.done).collected.out as Out[];
  assert.ok(run1.length > 0 && run1.length < N * STREAMS.length, `mid-read: ${run1.length} of ${N * STREAMS.length}`);
  const state = savepoint.metadata.subtasks.filter((s) => s.vertexId === 'redis');
  assert.equal(state.length, 2, 'two source subtasks in the savepoint');
  // The source's offset: its splits with the last emitted id (streams 0 and 2 on subtask 0, stream 1 on subtask 1).
  const splits = state.map((st) => ((st.stateHandles as { operator: Record<string, { splits: Array<{ stream: string; after: string; end: string }> }> }).operator.redis!.splits));
  assert.deepEqual(splits.map((ss) => ss.map((x) => x.stream)), [['orders', 'logins'], ['clicks']]);
  for (const x of splits.flat()) {
    // end: null only when that reader had not opened yet (nothing read: it resolves the end when it opens).
    if (x.end === null) assert.equal(x.after, '0-0');
    else assert.equal(x.end, expected.get(x.stream)!.at(-1), 'bounded: the end id recorded at open');
    assert.ok(x.after === '0-0' || expected.get(x.stream)!.includes(x.after), `after ${x.after} is an entry id`);
  }
  fs.rmSync(slowMarker);
  const second = await redisJob.execute({ params: params({ sourceParallelism: 1 }), parallelism: 1, checkpointing, restore: savepoint.directory }).done;
  assert.equal(second.status, 'finished');
  const run2 = second.collected.out as Out[];
  assertExactOverRuns([run1, run2], 'rescaled');
});

describe('unbounded', () => {
  test('entries added while the job runs arrive (parallelism 4 over 3 streams: one idle subtask), then cancel', { timeout: 60_000 }, async () => {
    const streams = ['live-a', 'live-b', 'live-c'];
    const before = await redis.xaddMany('live-a', [{ n: 'x' }]);
    const client: JobClient = redisJob.execute({
      params: { url: redis.url, streams, bounded: false, sourceParallelism: 4 }, parallelism: 4,
      checkpointing: { intervalMs: 50, directory: path.join(root, 'unbounded-checkpoints') },
    });
    const count = () => client.collected<Out>('out').length;
    try {
      await until('the entry present at start', () => count() >= 1);
      await checkpointsCompleted(client, 2); // checkpoints complete while the readers block in XREAD
      const added = new Map<string, string[]>([['live-a', before]]);
      for (const s of streams) {
        const ids = await redis.xaddMany(s, Array.from({ length: 200 }, (_, i) => ({ n: String(i) })));
        added.set(s, [...(added.get(s) ?? []), ...ids]);
      }
      await until('the entries added while running', () => count() >= 601);
      await client.cancel();
      const out = client.collected<Out>('out');
      for (const [s, ids] of added) assert.deepEqual(out.filter((r) => r.stream === s).map((r) => r.id), ids, `stream ${s}`);
      assert.equal(out.length, 601);
    } finally {
      await ended(client);
    }
  });

  test('event time from entry ids: the idle subtask (4 over 3 streams) does not hold the watermark back; windows fire as entries arrive', { timeout: 60_000 }, async () => {
    const streams = ['ev-a', 'ev-b', 'ev-c'];
    // Explicit ids = event times: 10 entries per stream in [1000, 2000), then one at 5000 per stream.
    for (const s of streams) for (let i = 0; i < 10; i++) await redis.client.xAdd(s, `${1000 + i * 100}-0`, { n: String(i) });
    const client = redisWindowJob.execute({ params: { url: redis.url, streams, parallelism: 4 }, parallelism: 4 });
    try {
      for (const s of streams) await redis.client.xAdd(s, '5000-0', { n: 'late' });
      await until('the window [1000, 2000) to fire', () => client.collected('windows').length >= 1);
      assert.deepEqual(client.collected('windows'), [{ start: 1000, count: 30 }]);
    } finally {
      await ended(client);
    }
  });

  test('the Redis server killed and restarted mid-run: the job fails over (restartable typed error) and resumes exactly', { timeout: 60_000 }, async () => {
    const durable = await startRedis({ appendonly: true });
    let client: JobClient | undefined;
    try {
      const ids1 = await durable.xaddMany('s', Array.from({ length: 500 }, (_, i) => ({ n: String(i) })));
      client = redisJob.execute({
        params: { url: durable.url, streams: ['s'], bounded: false, sourceParallelism: 1 }, parallelism: 1,
        checkpointing: { intervalMs: 50, directory: path.join(root, 'restart-checkpoints') },
        restartStrategy: { type: 'fixed-delay', attempts: 200, delayMs: 50 },
      });
      const job = client;
      const count = () => job.collected<Out>('out').length;
      await until('the first entries', () => count() >= 500);
      await durable.kill();
      await until('a failover', () => job.failovers.length >= 1);
      const cause = job.failovers[0]!.cause;
      assert.equal(cause.code, 'WEIR_SOURCE_CONNECTION_FAILED', cause.message);
      assert.ok(cause.message.includes(`127.0.0.1:${durable.port}`), cause.message);
      await durable.restart();
      const ids2 = await durable.xaddMany('s', Array.from({ length: 500 }, (_, i) => ({ n: String(500 + i) })));
      await until('the entries added after the restart', () => count() >= 1000);
      await job.cancel();
      const out = job.collected<Out>('out');
      assert.deepEqual(out.map((r) => r.id), [...ids1, ...ids2], 'every entry once, in order');
    } finally {
      if (client) await ended(client);
      await durable.stop();
    }
  });
});

test('the Redis server frozen mid-run (SIGSTOP: connections open, no replies): the job fails over instead of waiting forever, and resumes exactly once it answers', { timeout: 60_000 }, async () => {
  const frozen = await startRedis();
  let client: JobClient | undefined;
  try {
    const ids1 = await frozen.xaddMany('s', Array.from({ length: 300 }, (_, i) => ({ n: String(i) })));
    client = redisJob.execute({
      params: { url: frozen.url, streams: ['s'], bounded: false, sourceParallelism: 1, connectTimeoutMs: 300 }, parallelism: 1,
      checkpointing: { intervalMs: 50, directory: path.join(root, 'frozen-checkpoints') },
      restartStrategy: { type: 'fixed-delay', attempts: 1000, delayMs: 20 },
    });
    const job = client;
    const count = () => job.collected<Out>('out').length;
    await until('the first entries', () => count() >= 300);
    frozen.pause();
    await until('a failover', () => job.failovers.length >= 1);
    const cause = job.failovers[0]!.cause;
    assert.equal(cause.code, 'WEIR_SOURCE_CONNECTION_FAILED', cause.message);
    assert.match(cause.message, /no reply from the server within \d+ ms while (reading|connecting)/);
    frozen.resume();
    const ids2 = await frozen.xaddMany('s', Array.from({ length: 300 }, (_, i) => ({ n: String(300 + i) })));
    await until('the entries added after the freeze', () => count() >= 600);
    await job.cancel();
    assert.deepEqual(job.collected<Out>('out').map((r) => r.id), [...ids1, ...ids2], 'every entry once, in order');
  } finally {
    if (client) await ended(client);
    await frozen.stop();
  }
});

describe('errors at start', () => {
  test('a port nothing listens on: WEIR_SOURCE_CONNECTION_FAILED naming the source and host:port', async () => {
    const port = await freePort();
    await assert.rejects(redisParseJob.execute({ params: { url: `redis://127.0.0.1:${port}`, streams: ['orders'], bounded: true, parallelism: 1 }, parallelism: 1 }).done, (e: WeirError) => {
      assert.equal(e.code, 'WEIR_SOURCE_CONNECTION_FAILED', e.message);
      assert.match(e.message, /redis-streams source 'RedisStreams\(orders\)'/);
      assert.ok(e.message.includes(`127.0.0.1:${port}`), e.message);
      assert.equal(e.details.connector, 'redis-streams');
      return true;
    });
  });

  test('a server that accepts connections and never answers: WEIR_SOURCE_CONNECTION_FAILED after connectTimeoutMs, not a hang', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((s) => sockets.add(s)); // accepts, reads nothing, writes nothing
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      await assert.rejects(redisParseJob.execute({ params: { url: `redis://127.0.0.1:${port}`, streams: ['orders'], bounded: false, parallelism: 1, overrides: { connectTimeoutMs: 300 } }, parallelism: 1 }).done, (e: WeirError) => {
        assert.equal(e.code, 'WEIR_SOURCE_CONNECTION_FAILED', e.message);
        assert.match(e.message, /no reply from the server within 300 ms while connecting/);
        assert.ok(e.message.includes(`127.0.0.1:${port}`), e.message);
        return true;
      });
      assert.ok(sockets.size >= 1, 'the source connected');
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  test('a wrong password: WEIR_SOURCE_MISCONFIGURED naming the source, never the password', async () => {
    await assert.rejects(redisParseJob.execute({ params: { url: `redis://:wrong-pw@127.0.0.1:${redis.port}`, streams: ['orders'], bounded: true, parallelism: 1 }, parallelism: 1 }).done, (e: WeirError) => {
      assert.equal(e.code, 'WEIR_SOURCE_MISCONFIGURED', e.message);
      assert.match(e.message, /redis-streams source 'RedisStreams\(orders\)'/);
      assert.ok(e.message.includes(`127.0.0.1:${redis.port}`), e.message);
      assert.match(e.message, /WRONGPASS/);
      assert.ok(!e.message.includes('wrong-pw') && !JSON.stringify(e.details).includes('wrong-pw'), 'no password in the error');
      return true;
    });
  });

  test('bounded, a stream that does not exist: WEIR_SOURCE_MISCONFIGURED naming the stream', async () => {
    await assert.rejects(redisParseJob.execute({ params: { url: redis.url, streams: ['orders', 'no-such-stream'], bounded: true, parallelism: 1 }, parallelism: 1 }).done, (e: WeirError) => {
      assert.equal(e.code, 'WEIR_SOURCE_MISCONFIGURED', e.message);
      assert.match(e.message, /stream 'no-such-stream' does not exist/);
      return true;
    });
  });
});
