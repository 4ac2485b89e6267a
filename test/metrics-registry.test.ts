/**
 * `createMetricsRegistry`: an embedding app gets Weir's metrics as a prom-client registry, adds
 * several jobs to its own registry (told apart by job_id) or merges Weir's into its own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Registry } from 'prom-client';
import { createMetricsRegistry, WeirError, type JobClient } from '../index.ts';
import { pushJob } from './support/push-jobs.ts';

async function feed(client: JobClient, n: number): Promise<void> {
  await client.running;
  const it = client.results('out');
  for (let i = 0; i < n; i++) void client.push('numbers', i);
  let seen = 0;
  for await (const _ of it) if (++seen === n) break;
}

test('createMetricsRegistry: two jobs in the app\'s own registry, or a registry to merge', async () => {
  const opts = { params: { maxBufferedRecords: 1000, spinMicros: 0 }, parallelism: 1, stateBackend: 'heap' as const, retainCollected: false };
  const a = pushJob.execute(opts);
  const b = pushJob.execute(opts);
  try {
    await Promise.all([feed(a, 50), feed(b, 70)]);
    const app = new Registry();
    new Counter({ name: 'app_requests_total', help: 'the app\'s own', registers: [app] }).inc(3);
    assert.equal(createMetricsRegistry([a, b], { registry: app }), app);
    const t = await app.metrics(); // waits for each job's first sample
    assert.match(t, /^app_requests_total 3$/m);
    const outOf = (id: string) => Number(new RegExp(`^weir_task_numRecordsOut\\{job_id="${id}",job_name="t-push-source",vertex="numbers"[^}]*\\} (\\d+)$`, 'm').exec(t)?.[1]);
    assert.equal(outOf(a.jobId), 50, 'records counted = records pushed (job a)');
    assert.equal(outOf(b.jobId), 70, 'records counted = records pushed (job b)');
    assert.match(t, new RegExp(`^weir_job_numRestarts\\{job_id="${a.jobId}",job_name="t-push-source"\\} 0$`, 'm'));
    // A separate registry merges into the app's (prom-client's Registry.merge).
    const other = new Registry();
    new Counter({ name: 'other_total', help: 'x', registers: [other] });
    const merged = Registry.merge([other, createMetricsRegistry(a)]);
    assert.match(await merged.metrics(), /^# TYPE weir_task_busyTimeMsPerSecond gauge$/m);
  } finally {
    await Promise.all([a.cancel(), b.cancel()]);
  }
});

test('createMetricsRegistry refuses what is not a job client, naming the argument', () => {
  assert.throws(() => createMetricsRegistry({} as JobClient), (e: unknown) => e instanceof WeirError && e.code === 'WEIR_INVALID_ARGUMENT' && /JobClient/.test(e.message));
  assert.throws(() => createMetricsRegistry([], { registry: {} as Registry }), (e: unknown) => e instanceof WeirError && e.code === 'WEIR_INVALID_ARGUMENT');
});
