// One process of `npm run bench:startup`: imports Weir (sources or dist, decided by how the
// parent started it), then runs the start-up job `runs` times at one parallelism and prints
// one JSON line: per run, ms from execute() to running (every subtask deployed: client.running,
// or the status turning 'running' where that promise does not exist) and to the first record
// at the collect sink, and to done.
import { performance } from 'node:perf_hooks';
import { startupJob } from './jobs/startup-job.mjs';

const [parallelism, runs, records] = process.argv.slice(2).map(Number);
const out = [];
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  const client = startupJob.execute({ params: { records }, parallelism, stateBackend: 'heap' });
  const running = (client.running ?? pollRunning(client)).then(() => performance.now() - t0);
  let firstRecordMs = NaN;
  for await (const _ of client.results('out')) {
    firstRecordMs = performance.now() - t0;
    break;
  }
  await client.done;
  out.push({ runningMs: await running, firstRecordMs, doneMs: performance.now() - t0 });
}
process.stdout.write(`${JSON.stringify(out)}\n`);

async function pollRunning(client) {
  while (client.status !== 'running' && client.status !== 'finished') await new Promise((r) => setTimeout(r, 1));
}
