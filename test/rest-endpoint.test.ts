/**
 * The job's HTTP endpoint (issue #16): Prometheus metrics with plausible values, the REST API
 * modelled on Flink's, job control, errors as JSON with WeirError codes (the job unaffected),
 * security (token off loopback, path traversal → 404).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { WeirError, type JobClient } from '../index.ts';
import { observedJob, type Ev } from './support/observability-jobs.ts';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'weir-rest-'));

/**
 * Push `n` events (keys 0..7, event time = base + i) and wait until the count emitted all of them.
 * With checkpointing the collect sink releases records when a checkpoint completes: checkpoints
 * are triggered one after the other until every record arrived (each wait is for an event).
 */
async function pushAndDrain(client: JobClient, from: number, n: number, seen: { count: number }, checkpoints = false): Promise<void> {
  const base = Date.now();
  const target = seen.count + n;
  let arrived = false;
  const done = new Promise<void>((resolve) => {
    const it = client.results<[number, number]>('out');
    void (async () => {
      for await (const _ of it) {
        if (++seen.count >= target) break;
      }
      arrived = true;
      resolve();
    })();
  });
  for (let i = from; i < from + n; i++) void client.push<Ev>('events', { k: i % 8, t: base + i });
  let last: Promise<unknown> = Promise.resolve();
  while (checkpoints && !arrived) {
    last = client.triggerCheckpoint().catch(() => {});
    await Promise.race([last, done]);
  }
  await done;
  await last; // no checkpoint left in progress
}

/** Prometheus text → value of the series `name` whose labels include `labels` (summed over matches). */
function series(text: string, name: string, labels: Record<string, string> = {}): number[] {
  const out: number[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    out.push(Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return out;
}
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

async function json(url: string, init?: RequestInit): Promise<{ status: number; body: any }> {
  const res = await fetch(url, init);
  return { status: res.status, body: await res.json() };
}

function rawGet(url: string, rawPath: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: rawPath, headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('GET /metrics: records counted equal records pushed, the slow vertex back-pressures its producer, job and checkpoint series', async () => {
  const dir = tmp();
  const client = observedJob.execute({
    params: { spinMicros: 300 }, parallelism: 2, bufferBytes: 4096, retainCollected: false, stateDirectory: path.join(dir, 'state'),
    checkpointing: { directory: path.join(dir, 'chk'), unaligned: true }, rest: { port: 0, discoveryDirectory: false },
  });
  try {
    const url = await client.restUrl();
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    await client.running;
    const seen = { count: 0 };
    await pushAndDrain(client, 0, 3000, seen, true);
    const cp = await json(`${url}/jobs/${client.jobId}/checkpoints`, { method: 'POST' });
    assert.equal(cp.status, 200, JSON.stringify(cp.body));
    assert.ok(cp.body.checkpointId >= 1, 'checkpoint id');
    const res = await fetch(`${url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /text\/plain/);
    const text = await res.text();
    const job = { job_id: client.jobId, job_name: 't-observed' };
    assert.deepEqual(series(text, 'weir_task_numRecordsOut', { ...job, vertex: 'events' }), [3000], 'the source emitted every record pushed');
    assert.equal(sum(series(text, 'weir_task_numRecordsIn', { ...job, vertex: 'slow-map' })), 3000);
    assert.equal(sum(series(text, 'weir_task_numRecordsIn', { ...job, vertex: 'count' })), 3000);
    assert.equal(series(text, 'weir_task_numRecordsIn', { ...job, vertex: 'count' }).length, 2, 'one series per subtask');
    assert.ok(sum(series(text, 'weir_task_accumulatedBackPressuredTime', { ...job, vertex: 'events' })) > 0, 'the source waited for the slow map');
    for (const name of ['numRecordsInPerSecond', 'busyTimeMsPerSecond', 'idleTimeMsPerSecond', 'backPressuredTimeMsPerSecond', 'inPoolUsage', 'outPoolUsage']) {
      const v = series(text, `weir_task_${name}`, job);
      assert.equal(v.length, 5, `${name}: 5 subtasks`);
      for (const x of v) assert.ok(x >= 0 && (name.endsWith('PoolUsage') ? x <= 1 : x <= 1000 || name.startsWith('num')), `${name} = ${x}`);
    }
    const wm = series(text, 'weir_task_currentInputWatermark', { ...job, vertex: 'count' });
    assert.equal(wm.length, 2, 'the count has an input watermark');
    for (const w of wm) assert.ok(w > Date.now() - 3_600_000 && w < Date.now() + 3_600_000, `watermark ${w} is event time`);
    assert.equal(series(text, 'weir_task_watermarkLag', { ...job, vertex: 'count' }).length, 2);
    for (const b of series(text, 'weir_task_keyedStateSizeBytes', { ...job, vertex: 'count' })) assert.ok(b > 0, `LMDB keyed state has pages: ${b}`);
    assert.ok(series(text, 'weir_channel_ringUsage', job).length >= 6, 'ring usage per channel');
    assert.deepEqual(series(text, 'weir_job_numRestarts', job), [0]);
    assert.ok(series(text, 'weir_job_uptime', job)[0]! > 0, 'uptime');
    assert.ok(series(text, 'weir_job_numberOfCompletedCheckpoints', job)[0]! >= 1, 'completed');
    assert.deepEqual(series(text, 'weir_job_numberOfInProgressCheckpoints', job).length, 1);
    assert.ok(series(text, 'weir_job_lastCheckpointDuration', job)[0]! >= 0, 'last duration');
    assert.ok(series(text, 'weir_job_checkpointDurationMs_count', job)[0]! >= 1, `histogram ${series(text, 'weir_job_checkpointDurationMs_count', job)}`);
  } finally {
    await client.cancel();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('GET /metrics: without a slow vertex the source is (almost) never back-pressured', async () => {
  const dir = tmp();
  const client = observedJob.execute({ params: { spinMicros: 0 }, parallelism: 1, retainCollected: false, stateBackend: 'heap', rest: { port: 0, discoveryDirectory: false } });
  try {
    const url = await client.restUrl();
    await client.running;
    await pushAndDrain(client, 0, 3000, { count: 0 });
    const text = await (await fetch(`${url}/metrics`)).text();
    const job = { job_id: client.jobId };
    const bp = sum(series(text, 'weir_task_accumulatedBackPressuredTime', { ...job, vertex: 'events' }));
    const total = bp + sum(series(text, 'weir_task_accumulatedBusyTime', { ...job, vertex: 'events' })) + sum(series(text, 'weir_task_accumulatedIdleTime', { ...job, vertex: 'events' }));
    assert.equal(sum(series(text, 'weir_task_numRecordsIn', { ...job, vertex: 'count' })), 3000);
    assert.ok(bp <= total * 0.1, `back-pressured ${bp} ms of ${total} ms`);
  } finally {
    await client.cancel();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('REST API: jobs, job with its plan, metrics, checkpoints; bad requests get 4xx JSON with the code and the job runs on; cancel', async () => {
  const dir = tmp();
  const client = observedJob.execute({
    params: { spinMicros: 0 }, parallelism: 1, retainCollected: false, stateBackend: 'heap',
    checkpointing: { directory: path.join(dir, 'chk') }, rest: { port: 0, discoveryDirectory: false },
  });
  try {
    const url = await client.restUrl();
    await client.running;
    const seen = { count: 0 };
    await pushAndDrain(client, 0, 100, seen, true);
    const jobs = await json(`${url}/jobs`);
    assert.deepEqual(jobs.body.jobs.map((j: any) => [j.id, j.name, j.state, j.attempts, j.restarts]), [[client.jobId, 't-observed', 'running', 1, 0]]);
    const detail = await json(`${url}/jobs/${client.jobId}`);
    assert.equal(detail.status, 200);
    assert.deepEqual(detail.body.plan.vertices.map((v: any) => [v.id, v.parallelism]), [['events', 1], ['slow-map', 1], ['count', 1]]);
    assert.deepEqual(detail.body.plan.edges.map((e: any) => [e.from, e.to, e.partitioning]), [['events', 'slow-map', 'hash'], ['slow-map', 'count', 'hash']]);
    assert.equal(detail.body.latestFailover, null);
    const metrics = await json(`${url}/jobs/${client.jobId}/metrics`);
    assert.equal(metrics.body.vertices.find((v: any) => v.id === 'count').recordsIn, 100);
    assert.ok(['ok', 'low', 'high'].includes(metrics.body.vertices[0].backPressure));
    const before = await json(`${url}/jobs/${client.jobId}/checkpoints`);
    assert.equal(before.body.enabled, true);

    // Bad requests: each a 4xx (or 5xx for a savepoint that cannot be written) with the code; the job unaffected.
    const unknown = await json(`${url}/jobs/no-such-job`);
    assert.deepEqual([unknown.status, unknown.body.code], [404, 'WEIR_REST_NOT_FOUND']);
    const path404 = await json(`${url}/nothing/here`);
    assert.deepEqual([path404.status, path404.body.code], [404, 'WEIR_REST_NOT_FOUND']);
    const badJson = await json(`${url}/jobs/${client.jobId}/savepoints`, { method: 'POST', body: '{not json' });
    assert.deepEqual([badJson.status, badJson.body.code], [400, 'WEIR_REST_BAD_REQUEST']);
    const noDir = await json(`${url}/jobs/${client.jobId}/savepoints`, { method: 'POST', body: '{}' });
    assert.deepEqual([noDir.status, noDir.body.code], [400, 'WEIR_REST_BAD_REQUEST']);
    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, 'x');
    const unwritable = await json(`${url}/jobs/${client.jobId}/savepoints`, { method: 'POST', body: JSON.stringify({ targetDirectory: path.join(file, 'savepoints') }) });
    assert.deepEqual([unwritable.status, unwritable.body.code], [400, 'WEIR_INVALID_ARGUMENT']);
    assert.match(unwritable.body.message, /a-file.*cannot be written/);
    const wrongMethod = await json(`${url}/jobs/${client.jobId}/metrics`, { method: 'POST' });
    assert.deepEqual([wrongMethod.status, wrongMethod.body.code], [405, 'WEIR_REST_BAD_REQUEST']);
    assert.equal(client.status, 'running');
    await pushAndDrain(client, 100, 100, seen, true);

    // A savepoint through the API.
    const sp = await json(`${url}/jobs/${client.jobId}/savepoints`, { method: 'POST', body: JSON.stringify({ targetDirectory: path.join(dir, 'sp') }) });
    assert.equal(sp.status, 200, JSON.stringify(sp.body));
    assert.ok(fs.existsSync(path.join(sp.body.path, '_metadata')));
    const after = await json(`${url}/jobs/${client.jobId}/checkpoints`);
    assert.equal(after.body.latest.savepoint.checkpointId, sp.body.checkpointId);
    const one = await json(`${url}/jobs/${client.jobId}/checkpoints/details/${sp.body.checkpointId}`);
    assert.deepEqual([one.status, one.body.kind, one.body.subtasks.length], [200, 'savepoint', 3]);
    const none = await json(`${url}/jobs/${client.jobId}/checkpoints/details/999`);
    assert.deepEqual([none.status, none.body.code], [404, 'WEIR_REST_NOT_FOUND']);

    // Path traversal never leaves the dashboard's assets.
    for (const p of ['/assets/../../package.json', '/assets/%2e%2e/%2e%2e/package.json', '/vendor/..%2f..%2fpackage.json', '/../../../../etc/passwd', '/assets/app.js/../../../index.ts']) {
      const r = await rawGet(url, p);
      assert.equal(r.status, 404, `${p} → ${r.status}`);
      assert.doesNotMatch(r.body, /"name": "weir"|root:/);
    }
    assert.equal((await rawGet(url, '/assets/app.js')).status, 200);

    const cancel = await json(`${url}/jobs/${client.jobId}?mode=cancel`, { method: 'PATCH' });
    assert.equal(cancel.status, 202);
    assert.equal((await client.done).status, 'cancelled');
  } finally {
    await client.cancel();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('security: a non-loopback host needs a token (execute throws); with one, requests without it get 401', async () => {
  assert.throws(() => observedJob.execute({ params: { spinMicros: 0 }, rest: { port: 0, host: '0.0.0.0' } }), (e: unknown) => e instanceof WeirError && e.code === 'WEIR_REST_INSECURE' && /token/.test(e.message));
  assert.throws(() => observedJob.execute({ params: { spinMicros: 0 }, rest: { port: 70000 } }), (e: unknown) => e instanceof WeirError && e.code === 'WEIR_INVALID_ARGUMENT');
  const token = 'a-secret-token-123';
  const client = observedJob.execute({ params: { spinMicros: 0 }, parallelism: 1, stateBackend: 'heap', retainCollected: false, rest: { port: 0, host: '0.0.0.0', token, discoveryDirectory: false } });
  try {
    const url = await client.restUrl();
    await client.running;
    for (const [p, init] of [['/metrics', {}], ['/jobs', {}], ['/', {}], [`/jobs/${client.jobId}/cancel`, { method: 'POST' }]] as const) {
      const r = await fetch(`${url}${p}`, init);
      assert.equal(r.status, 401, p);
      assert.equal(((await r.json()) as any).code, 'WEIR_REST_UNAUTHORIZED');
    }
    const wrong = await fetch(`${url}/jobs`, { headers: { authorization: 'Bearer wrong-token-12345' } });
    assert.equal(wrong.status, 401);
    const ok = await fetch(`${url}/jobs`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(ok.status, 200);
    // The dashboard: /?token= sets an HttpOnly cookie good for GETs, never for control requests.
    const page = await fetch(`${url}/?token=${token}`);
    assert.equal(page.status, 200, 'the dashboard page');
    const cookie = page.headers.get('set-cookie')!.split(';')[0]!;
    assert.equal((await fetch(`${url}/jobs`, { headers: { cookie } })).status, 200);
    assert.equal((await fetch(`${url}/jobs/${client.jobId}/cancel`, { method: 'POST', headers: { cookie } })).status, 401);
    assert.equal(client.status, 'running');
  } finally {
    await client.cancel();
  }
});

test('the endpoint cannot bind its port: the job fails with WEIR_REST_LISTEN_FAILED before deploying', async () => {
  const first = observedJob.execute({ params: { spinMicros: 0 }, parallelism: 1, stateBackend: 'heap', rest: { port: 0, discoveryDirectory: false } });
  try {
    const port = Number(new URL(await first.restUrl()).port);
    const second = observedJob.execute({ params: { spinMicros: 0 }, parallelism: 1, stateBackend: 'heap', rest: { port, discoveryDirectory: false } });
    await assert.rejects(second.done, (e: unknown) => e instanceof WeirError && e.code === 'WEIR_REST_LISTEN_FAILED');
    await assert.rejects(second.restUrl(), (e: unknown) => e instanceof WeirError && e.code === 'WEIR_REST_LISTEN_FAILED');
  } finally {
    await first.cancel();
  }
});
