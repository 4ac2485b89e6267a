/**
 * The dashboard in a real browser (headless Chromium, Debian's `chromium` package, driven by
 * playwright-core): a running job under backpressure with unaligned checkpoints. Asserts the job
 * graph (vertices with their parallelism), the back-pressure colour (the slow vertex's producer
 * is HIGH, as Flink colours it), and a checkpoint row with persisted in-flight bytes > 0.
 * Screenshots go to test/artifacts/ (gitignored). Without Chromium the test FAILS, saying how
 * to install it (`apt-get install chromium`, or WEIR_CHROMIUM=/path/to/chrome).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { CheckpointStats } from '../index.ts';
import { observedJob, type Ev } from './support/observability-jobs.ts';

const ARTIFACTS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'artifacts');

function chromiumPath(): string {
  const candidates = process.env.WEIR_CHROMIUM ? [process.env.WEIR_CHROMIUM] : ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
  const found = candidates.find((c) => fs.existsSync(c));
  assert.ok(found, `Chromium is missing: the dashboard test needs a headless Chromium. Install Debian's package (apt-get install -y chromium; .ci/run does) or set WEIR_CHROMIUM to a Chrome/Chromium binary. Looked for: ${candidates.join(', ')}`);
  return found;
}

test('the dashboard of a back-pressured job with unaligned checkpoints: graph, back-pressure colour, persisted in-flight data', async () => {
  const executablePath = chromiumPath();
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-dashboard-'));
  const client = observedJob.execute({
    params: { spinMicros: 400 }, parallelism: 2, bufferBytes: 4096, retainCollected: false, stateDirectory: path.join(dir, 'state'),
    checkpointing: { directory: path.join(dir, 'chk'), unaligned: true, intervalMs: 300 }, rest: { port: 0, discoveryDirectory: false },
  });
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  try {
    const url = await client.restUrl();
    await client.running;
    // Enough input for the whole test (~40 s of work in the slow map): the source stays back-pressured.
    const base = Date.now();
    for (let i = 0; i < 200_000; i++) void client.push<Ev>('events', { k: i % 8, t: base + i }).catch(() => {});
    // An unaligned checkpoint that persisted in-flight data (the event, not a sleep).
    await new Promise<void>((resolve) => {
      const off = client.onCheckpoint((s: CheckpointStats) => {
        if (s.status === 'completed' && s.persistedInFlightBytes > 0) {
          off();
          resolve();
        }
      });
    });

    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); }); // a 404 (the favicon) included
    await page.goto(`${url}/`);
    await page.waitForSelector('[data-testid="job-graph"]');
    const vertices = await page.$$eval('[data-vertex]', (els) => els.map((e) => [e.getAttribute('data-vertex'), e.querySelector('[data-testid="parallelism"]')?.textContent]));
    assert.deepEqual(vertices, [['events', '1'], ['slow-map', '2'], ['count', '2']]);
    assert.equal(await page.textContent('[data-testid="job-state"]'), 'running');
    // The slow map's producer waits for it: HIGH back pressure (red), once the sampled rates show it.
    await page.waitForSelector('[data-vertex="events"][data-backpressure="high"]', { timeout: 60_000 });
    const stroke = await page.$eval('[data-vertex="events"] rect', (r) => (globalThis as any).getComputedStyle(r).stroke as string);
    assert.equal(stroke, 'rgb(245, 34, 45)', 'Flink\'s red for HIGH back pressure');
    // The slow map itself is busy, not back-pressured (its consumer keeps up): not HIGH.
    assert.notEqual(await page.getAttribute('[data-vertex="slow-map"]', 'data-backpressure'), 'high');
    assert.match((await page.textContent('[data-vertex="slow-map"]'))!, /Busy \d+%/);
    await page.waitForSelector('[data-testid="chart-Throughput"] canvas');
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-overview.png'), fullPage: true });

    await page.click('[data-testid="tab-checkpoints"]');
    await page.waitForFunction("[...document.querySelectorAll('tr.checkpoint.completed')].some((r) => Number(r.dataset.persisted) > 0)", undefined, { timeout: 30_000 });
    const row = await page.$$eval('tr.checkpoint.completed', (rows) => rows.map((r) => ({ id: r.getAttribute('data-checkpoint-id'), persisted: Number(r.getAttribute('data-persisted')), text: r.textContent })).find((r) => r.persisted > 0));
    assert.ok(row && /unaligned/.test(row.text ?? ''), `an unaligned checkpoint row with persisted in-flight bytes: ${JSON.stringify(row)}`);
    await page.click(`tr.checkpoint[data-checkpoint-id="${row.id}"]`);
    await page.waitForSelector('tr.detail');
    const detail = await page.$$eval('tr.detail', (rows) => rows.length);
    assert.equal(detail, 5, 'one detail row per subtask');
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-checkpoints.png'), fullPage: true });
    assert.deepEqual(errors, [], 'no script or console errors on the page');
  } finally {
    await browser.close();
    await client.cancel();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
