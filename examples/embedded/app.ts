/**
 * An application embedding Weir: it starts the job, consumes results as they
 * stream in (keeping a live view the app could serve), and cancels the job
 * when it has seen enough. No files, no server, no config.
 *   npx tsx examples/embedded/app.ts [seconds]
 */
import { sensorJob, type Reading } from './job.ts';

const seconds = Number(process.argv[2] ?? 3);
const client = sensorJob.execute({
  params: { sensors: 8, ratePerSecond: 20_000 },
  parallelism: 2,
  stateBackend: 'heap',
  retainCollected: false, // an unbounded job: consume results(), don't keep them all
});

const hottest = new Map<string, number>();
let alerts = 0;
const consumeMax = (async () => {
  for await (const r of client.results<Reading>('max')) hottest.set(r.sensor, r.celsius);
})();
const consumeAlerts = (async () => {
  for await (const _ of client.results<Reading>('alerts')) alerts++;
})();

await new Promise((r) => setTimeout(r, seconds * 1000));
const metrics = await client.metrics();
await client.cancel();
const result = await client.done;
await Promise.all([consumeMax, consumeAlerts]);

console.log(`job ${result.jobId} ${result.status} after ${result.durationMs} ms`);
console.log(`records read by the source: ${metrics.vertices[0]!.recordsIn}`);
console.log(`alerts (>= 34.5 °C): ${alerts}`);
for (const [sensor, c] of [...hottest].sort()) console.log(`  ${sensor}: max ${c} °C`);
