/**
 * Start a worker thread on a TypeScript module. On Node 20,
 * `execArgv: ['--import', 'tsx']` does not apply tsx's hooks to a worker's
 * entry module (ERR_UNKNOWN_FILE_EXTENSION), so a tiny eval'd bootstrap
 * registers tsx's ESM hooks first, then imports the module.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** A worker running `file` (a .ts URL); `options.workerData` etc. are passed through. */
export function startTsWorker(file: URL, options: Omit<WorkerOptions, 'eval'> = {}): Worker {
  const api = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const code = `import(${api}).then((tsx) => { tsx.register(); return import(${JSON.stringify(file.href)}); })`;
  return new Worker(code, { ...options, eval: true });
}
