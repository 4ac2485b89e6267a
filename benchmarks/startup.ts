/**
 * Start-up of a small job: ms from `execute()` to running (every subtask deployed) and to the
 * first record at the collect sink, at parallelism 1 and 2, with Weir running from its
 * TypeScript sources (tsx in every worker) and from the build (dist/, plain JavaScript).
 * Each configuration runs in fresh processes (module loading on the main thread is not
 * counted; worker start-up is, as every execute() starts its own workers).
 *   npm run bench:startup [-- --quick]     (builds dist/ first)
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBenchArgs, printTable, writeResults } from './support/index.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CHILD = fileURLToPath(new URL('./startup-child.mjs', import.meta.url));
const args = parseBenchArgs();
const processes = args.quick ? 1 : 3;
const runsPerProcess = args.quick ? 3 : 5;
const records = 1000;

if (!fs.existsSync(path.join(ROOT, 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` first');

interface Sample { runningMs: number; firstRecordMs: number; doneMs: number }
interface Row { mode: 'sources' | 'compiled'; parallelism: number; runs: number; runningP50: number; runningMin: number; firstRecordP50: number; firstRecordMin: number; doneP50: number }

const MODES = {
  // Weir from index.ts (the "weir-source" export condition) through tsx; workers register tsx.
  sources: ['--conditions=weir-source', '--import', 'tsx'],
  // Weir from dist/ (the default export): plain Node in the main thread and the workers.
  compiled: [] as string[],
} as const;

const loadBefore = os.loadavg()[0]!;
const rows: Row[] = [];
for (const mode of ['sources', 'compiled'] as const) {
  for (const parallelism of [1, 2]) {
    const samples: Sample[] = [];
    for (let i = 0; i < processes; i++) {
      const r = spawnSync(process.execPath, [...MODES[mode], CHILD, String(parallelism), String(runsPerProcess), String(records)], {
        cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '', WEIR_LOG_LEVEL: 'error' }, timeout: 120_000,
      });
      if (r.status !== 0) throw new Error(`startup child (${mode}, p=${parallelism}) failed: ${r.stderr || r.error?.message}`);
      samples.push(...(JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Sample[]));
    }
    const pick = (f: (s: Sample) => number) => samples.map(f).sort((a, b) => a - b);
    const p50 = (xs: number[]) => xs[Math.floor((xs.length - 1) / 2)]!;
    const running = pick((s) => s.runningMs);
    const first = pick((s) => s.firstRecordMs);
    rows.push({
      mode, parallelism, runs: samples.length,
      runningP50: round(p50(running)), runningMin: round(running[0]!),
      firstRecordP50: round(p50(first)), firstRecordMin: round(first[0]!),
      doneP50: round(p50(pick((s) => s.doneMs))),
    });
  }
}
const loadAfter = os.loadavg()[0]!;

const ratio = (p: number, k: 'runningP50' | 'firstRecordP50') => {
  const s = rows.find((r) => r.mode === 'sources' && r.parallelism === p)![k];
  const c = rows.find((r) => r.mode === 'compiled' && r.parallelism === p)![k];
  return Math.round((s / c) * 10) / 10;
};
const speedup = { p1Running: ratio(1, 'runningP50'), p2Running: ratio(2, 'runningP50'), p1FirstRecord: ratio(1, 'firstRecordP50'), p2FirstRecord: ratio(2, 'firstRecordP50') };
const target = { p2RunningMs: 150, compiledP2RunningP50: rows.find((r) => r.mode === 'compiled' && r.parallelism === 2)!.runningP50 };

printTable(rows, [
  { key: 'mode', align: 'left' }, { key: 'parallelism', format: (v) => String(v) }, { key: 'runs', format: (v) => String(v) },
  { key: 'runningP50', header: 'to running p50 ms' }, { key: 'runningMin', header: 'min' },
  { key: 'firstRecordP50', header: 'to first record p50 ms' }, { key: 'firstRecordMin', header: 'min' },
  { key: 'doneP50', header: 'to done p50 ms' },
]);
console.log(`sources/compiled (p50): to running ${speedup.p1Running}× at p=1, ${speedup.p2Running}× at p=2; to first record ${speedup.p1FirstRecord}× / ${speedup.p2FirstRecord}×`);
console.log(`target: compiled p=2 to running ≤ ${target.p2RunningMs} ms → ${target.compiledP2RunningP50} ms (${target.compiledP2RunningP50 <= target.p2RunningMs ? 'met' : 'missed'})`);
console.log(`load average (1 min) before/after: ${loadBefore.toFixed(2)} / ${loadAfter.toFixed(2)} on ${os.availableParallelism()} cores`);
const file = writeResults('startup', rows, { records, processes, runsPerProcess, speedup, target, loadAverage: { before: loadBefore, after: loadAfter }, quick: args.quick });
console.log(`results: ${path.relative(ROOT, file)}`);

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
