#!/usr/bin/env node
// Runs every *.test.ts under the source folders with node's test runner (through tsx), three files
// at a time: most tests wait on events (checkpoints, restarts, worker start-up), not on the CPU.
// Node 20's --test does not expand globs, hence this file. Extra arguments are passed on
// (e.g. `npm test -- --test-name-pattern=unaligned`); file arguments narrow the run.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FOLDERS = ['common', 'actors', 'state', 'runtime', 'cli', 'benchmarks', 'test'];

function find(dir, out) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) find(p, out);
    else if (e.name.endsWith('.test.ts')) out.push(path.relative(root, p));
  }
  return out;
}

const args = process.argv.slice(2);
const fileArgs = args.filter((a) => !a.startsWith('-'));
const flags = args.filter((a) => a.startsWith('-'));
const files = fileArgs.length > 0 ? fileArgs : FOLDERS.filter((f) => fs.existsSync(path.join(root, f))).flatMap((f) => find(path.join(root, f), [])).sort();
const env = { ...process.env, WEIR_LOG_LEVEL: process.env.WEIR_LOG_LEVEL ?? 'error' };
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=3', ...flags, ...files], { cwd: root, stdio: 'inherit', env });
process.exit(r.status ?? 1);
