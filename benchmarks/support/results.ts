/**
 * Benchmark results as JSON: `benchmarks/results/<name>.json` =
 * `{ "benchmark": name, "results": [...], ...extra, "machine": {...}, "loadAverageAtEnd": [1, 5, 15 min],
 *   "node": "v20…", "date": "…" }`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where results go (benchmarks/results/). */
export const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

/** A short description of the host, stored with every result. */
export function machineInfo(): { cpus: number; cpuModel: string; totalMemoryMiB: number; platform: string; arch: string } {
  const cpus = os.cpus();
  return {
    cpus: os.availableParallelism?.() ?? cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    totalMemoryMiB: Math.round(os.totalmem() / 2 ** 20),
    platform: os.platform(),
    arch: os.arch(),
  };
}

/**
 * Write the results of benchmark `name`; returns the file path. `--quick` smoke runs go to
 * `benchmarks/results/quick/` (not committed) so they never overwrite a full run's figures.
 */
export function writeResults(name: string, results: readonly unknown[], extra: Record<string, unknown> = {}): string {
  const quick = process.argv.includes('--quick') || extra.quick === true;
  // A run narrowed by flags (`partial: true`) must not replace the full run's committed figures.
  const dir = quick ? path.join(RESULTS_DIR, 'quick') : extra.partial === true ? path.join(RESULTS_DIR, 'partial') : RESULTS_DIR;
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.json`);
  // The load when the results are written, next to any the benchmark took at its start: the figures
  // say whether the machine was idle.
  const body = { benchmark: name, results, ...extra, machine: machineInfo(), loadAverageAtEnd: os.loadavg().map((l) => Math.round(l * 100) / 100), node: process.version, date: new Date().toISOString() };
  fs.writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`);
  return file;
}
