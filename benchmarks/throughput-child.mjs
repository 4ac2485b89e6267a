// One Weir run of `npm run bench:throughput`, in its own process: plain `node` against the build
// (dist/, what an installed Weir runs; the default), or `--conditions=weir-source --import tsx`
// against the sources (`--from-sources`). Argument: one JSON object —
//   { "case": "keyed", "parallelism", "records", "checkpointing": "off"|"aligned"|"unaligned", "metrics": bool }
//   { "case": "clicks", "parallelism", "file", "expected" (the plain loop's output file) }
// Prints one JSON line: { "ms" } from execute() to done (workers' start-up and the final
// checkpoint included), after checking the job's output.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { throughputJob } from './jobs/throughput-job.mjs';
import { clickJob } from './jobs/click-job.mjs';
import { readUserCounts } from './jobs/click-workload.mjs';

const args = JSON.parse(process.argv[2]);
const ms = args.case === 'clicks' ? await clicks(args) : await keyed(args);
process.stdout.write(`${JSON.stringify({ ms })}\n`);

async function keyed({ parallelism, records, checkpointing = 'off', metrics = false }) {
  const dir = checkpointing === 'off' ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), 'weir-bench-tp-'));
  const t0 = performance.now();
  const client = throughputJob.execute({
    params: { records },
    parallelism,
    stateBackend: 'heap',
    ...(dir ? { checkpointing: { intervalMs: 1000, unaligned: checkpointing === 'unaligned', directory: dir } } : {}),
    ...(metrics ? { rest: { port: 0, discoveryDirectory: false } } : {}),
  });
  // Metrics on: a Prometheus-like scraper every second (the endpoint samples every subtask each second too).
  let scrapes = 0;
  const scraper = metrics ? setInterval(() => void client.restUrl().then((u) => fetch(`${u}/metrics`)).then((r) => r.text()).then(() => scrapes++, () => {}), 1000) : undefined;
  const result = await client.done;
  if (scraper) clearInterval(scraper);
  if (metrics && scrapes === 0 && performance.now() - t0 > 2000) throw new Error('metrics case: /metrics was never scraped');
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  const ms = performance.now() - t0;
  const out = result.metrics.vertices.find((v) => v.name.includes('Count')).recordsIn;
  const expected = records - Math.ceil(records / 10);
  if (out !== expected) throw new Error(`weir p${parallelism}: counted ${out} records, expected ${expected}`);
  return ms;
}

async function clicks({ parallelism, file, expected }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-bench-clicks-'));
  try {
    const out = path.join(dir, 'out');
    const t0 = performance.now();
    const result = await clickJob.execute({
      params: { file, out },
      parallelism,
      stateDirectory: path.join(dir, 'state'),
      checkpointing: { intervalMs: 10_000, mode: 'exactly-once', directory: path.join(dir, 'checkpoints') },
    }).done;
    const ms = performance.now() - t0;
    if (result.status !== 'finished') throw new Error(`clicks p${parallelism}: ${result.status}`);
    const want = readUserCounts(expected);
    const got = readUserCounts(out);
    if (got.size !== want.size || [...want].some(([u, c]) => got.get(u) !== c)) throw new Error(`clicks p${parallelism}: the per-user counts differ from the plain loop's`);
    return ms;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
