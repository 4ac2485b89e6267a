/**
 * Every example runs and gives the right answer (against a sequential reference).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { sessionsJob, syntheticClicks, referenceSessions, type Session } from '../examples/sessions/job.ts';
import { wordCount, totals } from '../examples/word-count/job.ts';
import { sensorJob, reading, type Reading } from '../examples/embedded/job.ts';
import { clickstreamJob, syntheticClicks as clickstreamClicks } from '../examples/clickstream/job.ts';
import { referenceResults } from '../examples/clickstream/reference.ts';
import { enrichmentJob, syntheticInput as enrichmentInput } from '../examples/enrichment/job.ts';
import { referenceResults as referenceEnrichment } from '../examples/enrichment/reference.ts';

const key = (s: Session) => `${s.user}@${s.start}`;

for (const backend of ['heap', 'lmdb'] as const) {
  test(`sessions example (event-time timers, 5 state kinds) matches the reference on ${backend}`, async () => {
    const clicks = syntheticClicks(30, 120);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-sessions-'));
    try {
      const result = await sessionsJob.execute({ params: { clicks, gapMs: 30_000, outOfOrdernessMs: 2_000 }, parallelism: 2, stateBackend: backend, stateDirectory: dir }).done;
      const got = (result.collected.sessions as Session[]).sort((a, b) => (key(a) < key(b) ? -1 : 1));
      const want = referenceSessions(clicks, 30_000).sort((a, b) => (key(a) < key(b) ? -1 : 1));
      assert.ok(want.length > 30, 'the data has several sessions per user');
      assert.deepEqual(got, want);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

const sorted = <T>(xs: readonly T[]): string[] => xs.map((x) => JSON.stringify(x)).sort();

for (const [parallelism, backend] of [[1, 'lmdb'], [3, 'heap']] as const) {
  test(`clickstream example (tumbling with lateness and a late side output, sliding windowAll, merging sessions) matches the reference at parallelism ${parallelism} on ${backend}`, async () => {
    const clicks = clickstreamClicks(15, 60);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-clickstream-'));
    try {
      const result = await clickstreamJob.execute({ params: { clicks }, parallelism, stateBackend: backend, stateDirectory: dir }).done;
      const want = referenceResults(clicks);
      assert.ok(want.lateClicks.length > 0 && want.pageViews.some((v, i) => want.pageViews.findIndex((w) => w.page === v.page && w.windowEnd === v.windowEnd) !== i), 'the data has late clicks, and windows that fire again for late clicks within the lateness');
      assert.deepEqual(sorted(result.collected['page-views']!), sorted(want.pageViews));
      assert.deepEqual(sorted(result.collected['late-clicks']!), sorted(want.lateClicks));
      assert.deepEqual(sorted(result.collected['active-users']!), sorted(want.activeUsers));
      assert.deepEqual(sorted(result.collected.sessions!), sorted(want.sessions));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

for (const [parallelism, backend] of [[1, 'heap'], [3, 'lmdb']] as const) {
  test(`enrichment example (broadcast limit rules in event time, interval join with logins) matches the reference at parallelism ${parallelism} on ${backend}`, async () => {
    const input = enrichmentInput(12, 40);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-enrichment-'));
    try {
      const result = await enrichmentJob.execute({ params: input, parallelism, stateBackend: backend, stateDirectory: dir }).done;
      const want = referenceEnrichment(input);
      assert.ok(want.flagged.length > 0 && want.flagged.length < input.payments.length / 2 && want.alerts.length > 0, 'the data flags some payments, and some of those have recent logins');
      assert.ok(new Set(want.flagged.map((f) => f.limit)).size > 5, 'payments are judged by several rule versions');
      assert.deepEqual(sorted(result.collected.flagged!), sorted(want.flagged));
      assert.deepEqual(sorted(result.collected.alerts!), sorted(want.alerts));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('word-count example counts the bundled text', async () => {
  const file = fileURLToPath(new URL('../examples/word-count/data/two-cities.txt', import.meta.url));
  const result = await wordCount.execute({ params: { file }, parallelism: 2, stateBackend: 'heap' }).done;
  const got = totals(result.collected.counts as Array<[string, number]>);
  const words = fs.readFileSync(file, 'utf8').toLowerCase().split(/[^a-z']+/).filter((w) => w.length > 0);
  const want = new Map<string, number>();
  for (const w of words) want.set(w, (want.get(w) ?? 0) + 1);
  assert.deepEqual(new Map([...got].sort()), new Map([...want].sort()));
  assert.equal(got.get('the'), 41);
});

test('embedded example job: bounded run gives the max per sensor and the alerts', async () => {
  const count = 4000;
  const result = await sensorJob.execute({ params: { sensors: 8, ratePerSecond: 1_000_000, count }, parallelism: 2, stateBackend: 'heap' }).done;
  const readings = Array.from({ length: count }, (_, i) => reading(i, 8));
  const maxBy = new Map<string, number>();
  for (const r of readings) maxBy.set(r.sensor, Math.max(maxBy.get(r.sensor) ?? -Infinity, r.celsius));
  const gotMax = new Map<string, number>();
  for (const r of result.collected.max as Reading[]) gotMax.set(r.sensor, Math.max(gotMax.get(r.sensor) ?? -Infinity, r.celsius));
  assert.deepEqual(gotMax, maxBy);
  assert.equal((result.collected.alerts as Reading[]).length, readings.filter((r) => r.celsius >= 34.5).length);
});

test('the demo (npm start -- --quick): aligned vs unaligned table, a failure, recovery from a checkpoint, exactly-once OK, a chart', { timeout: 120_000 }, () => {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-demo-test-'));
  try {
    const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));
    const main = fileURLToPath(new URL('../examples/demo/main.ts', import.meta.url));
    const run = spawnSync(tsx, [main, '--quick'], { cwd, encoding: 'utf8', timeout: 110_000 });
    assert.equal(run.status, 0, `exit code (stderr: ${run.stderr})`);
    const out = run.stdout;
    assert.match(out, /^\| aligned \| \d+ \(\d+\) \|/m, 'a table row for aligned');
    assert.match(out, /^\| unaligned \| [1-9]\d* \(\d+\) \| \d+ ms \|/m, 'unaligned checkpoints completed under backpressure');
    assert.match(out, /failure: .*injected failure/);
    assert.match(out, /recovered from checkpoint \d+ in \d+ ms/);
    assert.match(out, /exactly-once check: 20000 records delivered for 20000 produced, 20000 distinct, 0 out of sequence → OK/);
    assert.ok(fs.statSync(path.join(cwd, '.weir', 'demo', 'checkpoints.svg')).size > 1000, 'the chart was written');
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true });
  }
});
