/**
 * npm run bench:connectors [-- --quick] [--records=N] [--redis=URL --postgres=URL]
 *
 * Question: how fast does Weir copy Redis Streams into PostgreSQL exactly-once (two-phase commit,
 * a checkpoint every second), at parallelism 1 and 2, against the ceiling: a plain Node script
 * doing the same copy with the same clients (`redis`, `pg`) in batches — XREAD 1 000 entries,
 * INSERT them 500 rows per statement in one transaction — on one thread, with no guarantee
 * beyond at-least-once if it were restarted.
 *
 * Servers: private ones started for the run (redis-server and PostgreSQL's initdb/pg_ctl, as the
 * tests do), or yours with --redis and --postgres (the benchmark creates and drops the table
 * `weir_bench_copy` and the streams `weir-bench:0`, `weir-bench:1`). Records: 2 streams, N/2 each.
 * Each case runs `repeats` times alternately (best kept); the table is emptied before each run and
 * its row count checked after. Output: a table, results/connectors.json, a bar chart.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createClient } from 'redis';
import { parseBenchArgs, printTable, writeResults, progress, formatNumber } from './support/index.ts';
import { renderBarChart } from './support/bar-chart.ts';
import { svgToPng } from './support/chart.ts';
import { COLUMNS, redisToPostgresJob, toRow, type ConnectorsBenchParams } from './jobs/connectors-bench-job.ts';
import { startRedis } from '../test/support/redis-server.ts';
import { startPostgres } from '../test/support/postgres-server.ts';

const args = parseBenchArgs();
const records = Number(args.flags.records ?? (args.quick ? 10_000 : 200_000));
const repeats = args.quick ? 1 : 3;
const STREAMS = ['weir-bench:0', 'weir-bench:1'];
const TABLE = 'weir_bench_copy';
const load = os.loadavg().map((x) => x.toFixed(2));

const ownRedis = typeof args.flags.redis === 'string' ? undefined : await startRedis();
const ownPostgres = typeof args.flags.postgres === 'string' ? undefined : await startPostgres();
const redisUrl = String(args.flags.redis ?? ownRedis!.url);
const postgresUrl = String(args.flags.postgres ?? ownPostgres!.connectionString);
const redis = createClient({ url: redisUrl });
const db = new pg.Client({ connectionString: postgresUrl });
await Promise.all([redis.connect(), db.connect()]);

interface Row { case: string; parallelism: number | null; recordsPerSec: number; ms: number; checkpoints: number | null }

async function writeEntries(): Promise<void> {
  await redis.del(STREAMS);
  for (let i = 0; i < records; i += 1000) {
    const batch = redis.multi();
    for (let k = i; k < Math.min(records, i + 1000); k++) batch.xAdd(STREAMS[k % STREAMS.length]!, '*', { n: String(k), amount: String(1 + (k % 97)) });
    await batch.execAsPipeline();
  }
}

async function checkCount(what: string): Promise<void> {
  const n = Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${TABLE}`)).rows[0]!.n);
  if (n !== records) throw new Error(`${what}: ${n} rows in ${TABLE}, expected ${records}`);
}

/** The ceiling: one thread, the same clients, batches of 1 000 entries, one transaction each. */
async function plainCopy(): Promise<{ ms: number }> {
  const t0 = performance.now();
  const reader = createClient({ url: redisUrl });
  const writer = new pg.Client({ connectionString: postgresUrl });
  await Promise.all([reader.connect(), writer.connect()]);
  const after = new Map(STREAMS.map((s) => [s, '0']));
  const insert = (rows: number) => {
    const tuples: string[] = [];
    for (let r = 0; r < rows; r++) tuples.push(`(${COLUMNS.map((_, c) => `$${r * COLUMNS.length + c + 1}`).join(',')})`);
    return `INSERT INTO ${TABLE} (${COLUMNS.join(',')}) VALUES ${tuples.join(',')}`;
  };
  for (;;) {
    const res = await reader.xRead(STREAMS.map((key) => ({ key, id: after.get(key)! })), { COUNT: 1000 }) as Array<{ name: string; messages: Array<{ id: string; message: Record<string, string> }> }> | null;
    if (!res || res.every((s) => s.messages.length === 0)) break;
    const values: unknown[] = [];
    for (const s of res) {
      for (const m of s.messages) {
        const r = toRow({ ...m.message, id: m.id, stream: s.name });
        values.push(r.stream, r.entry_id, r.n, r.amount);
      }
      if (s.messages.length > 0) after.set(s.name, s.messages.at(-1)!.id);
    }
    await writer.query('BEGIN');
    const per = 500 * COLUMNS.length;
    for (let i = 0; i < values.length; i += per) {
      const chunk = values.slice(i, i + per);
      await writer.query(insert(chunk.length / COLUMNS.length), chunk);
    }
    await writer.query('COMMIT');
  }
  await Promise.all([reader.quit(), writer.end()]);
  return { ms: performance.now() - t0 };
}

async function weirCopy(parallelism: number): Promise<{ ms: number; checkpoints: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-bench-conn-'));
  try {
    const params: ConnectorsBenchParams = { redisUrl, postgresUrl, streams: STREAMS, table: TABLE };
    const t0 = performance.now();
    const result = await redisToPostgresJob.execute({
      params, parallelism, stateDirectory: path.join(dir, 'state'),
      checkpointing: { intervalMs: 1000, directory: path.join(dir, 'checkpoints') },
    }).done;
    return { ms: performance.now() - t0, checkpoints: result.checkpoints?.counts.completed ?? 0 };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const rows: Row[] = [];
try {
  await db.query(`DROP TABLE IF EXISTS ${TABLE}`);
  await db.query(`CREATE TABLE ${TABLE} (stream text NOT NULL, entry_id text NOT NULL, n bigint NOT NULL, amount bigint NOT NULL)`);
  progress('writing the entries to Redis', 0, 1);
  await writeEntries();
  const cases: Array<{ name: string; parallelism: number | null; run: () => Promise<{ ms: number; checkpoints?: number }> }> = [
    { name: 'plain Node script (ceiling)', parallelism: null, run: plainCopy },
    { name: 'Weir p1, 2PC, checkpoint 1 s', parallelism: 1, run: () => weirCopy(1) },
    { name: 'Weir p2, 2PC, checkpoint 1 s', parallelism: 2, run: () => weirCopy(2) },
  ];
  const best = new Map<string, { ms: number; checkpoints?: number }>();
  let step = 0;
  for (let r = 0; r < repeats; r++) {
    for (const c of cases) {
      progress(c.name, step++, repeats * cases.length);
      await db.query(`TRUNCATE ${TABLE}`);
      const m = await c.run();
      await checkCount(c.name);
      if (!best.has(c.name) || m.ms < best.get(c.name)!.ms) best.set(c.name, m);
    }
  }
  progress('done', step, step);
  process.stderr.write('\n');
  for (const c of cases) {
    const m = best.get(c.name)!;
    rows.push({ case: c.name, parallelism: c.parallelism, recordsPerSec: Math.round(records / (m.ms / 1000)), ms: Math.round(m.ms), checkpoints: m.checkpoints ?? null });
  }
} finally {
  await db.query(`DROP TABLE IF EXISTS ${TABLE}`).catch(() => {});
  await redis.del(STREAMS).catch(() => 0);
  await Promise.allSettled([redis.quit(), db.end()]);
  await Promise.allSettled([ownRedis?.stop(), ownPostgres?.stop()]);
}

console.log(`connectors: ${formatNumber(records, 0)} entries in ${STREAMS.length} Redis streams → PostgreSQL, best of ${repeats}, end to end (start-up included); load ${load.join(' ')} at start`);
printTable(rows, ['case', { key: 'recordsPerSec', header: 'records/s' }, { key: 'ms', header: 'ms' }, { key: 'checkpoints', header: 'checkpoints', format: (v) => (v === null ? '' : String(v)) }]);
const ceiling = rows[0]!.recordsPerSec;
const ratios = Object.fromEntries(rows.slice(1).map((r) => [`p${r.parallelism}`, Math.round((r.recordsPerSec / ceiling) * 100) / 100]));
console.log(`Weir / plain script: ${Object.entries(ratios).map(([k, v]) => `${k} ${v}×`).join(', ')}`);
const file = writeResults('connectors', rows, { records, streams: STREAMS.length, repeats, ratios, loadAtStart: load, quick: args.quick });
const svg = renderBarChart({
  title: 'Redis Streams → PostgreSQL: records/s', xLabel: 'case', yLabel: 'records/s', categories: rows.map((r) => r.parallelism === null ? 'plain script' : `Weir p${r.parallelism}`),
  series: [{ name: 'records/s', values: rows.map((r) => r.recordsPerSec) }],
  note: `${formatNumber(records, 0)} entries; Weir exactly-once (2PC), checkpoint every 1 s; ${os.cpus().length} cores; load ${load[0]} at start${args.quick ? '; --quick' : ''}`,
});
const chartDir = path.dirname(file);
fs.writeFileSync(path.join(chartDir, 'connectors.svg'), svg);
const png = await svgToPng(svg);
if (png) fs.writeFileSync(path.join(chartDir, 'connectors.png'), png);
console.log(`results: ${file}\nchart: ${path.join(chartDir, 'connectors.svg')}${png ? ' (+ .png)' : ''}`);
