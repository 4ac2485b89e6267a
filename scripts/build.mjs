#!/usr/bin/env node
// npm run build: compile the shipped sources (tsconfig.build.json) into dist/ — ESM JavaScript,
// .d.ts declarations and source maps (sources inlined; the .ts files are not shipped).
// Builds into a temporary directory and swaps it in, so a concurrent run never sees half a dist/.
// Declarations keep the sources' `./x.ts` specifiers (tsc rewrites them only in JavaScript);
// they are rewritten to `./x.js` here so consumers need no allowImportingTsExtensions.
//
// The JavaScript is bundled (esbuild, code splitting) into a flat dist/: the five entries —
// index.js, tools.js (`weir/tools`), weir-cli.js, and the worker entries actor-host-worker.js and stream-task-actor.js —
// plus shared chunk-*.js files, so every module Weir loads by URL sits in dist/ itself.
// Why: every worker imports the whole package (the job module imports 'weir'); as ~120 separate
// ES modules that took ~105 ms per process on the 2-vCPU development machine, bundled ~45 ms
// (most of it pino, piscina and comlink, which stay external). Splitting keeps one instance of
// each module per thread (the job registry is shared by the job module and the task actor).
// The declarations stay a tree (dist/index.d.ts → dist/runtime/…/*.d.ts).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const tmp = path.join(root, `.dist-tmp-${process.pid}`);
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');

fs.rmSync(tmp, { recursive: true, force: true });
const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json'), '--outDir', tmp], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) {
  fs.rmSync(tmp, { recursive: true, force: true });
  console.error(`build: tsc failed (exit ${r.status ?? r.signal})`);
  process.exit(1);
}

/** Rewrite relative `.ts` specifiers (from '…', import('…')) in a declaration file to `.js`. */
export function rewriteDeclaration(text) {
  return text.replace(/((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]*?)\.ts(['"])/g, '$1$2.js$3');
}

const out = path.join(root, `.dist-new-${process.pid}`);
fs.rmSync(out, { recursive: true, force: true });
let declarations = 0;
for (const file of walk(tmp)) {
  if (!file.endsWith('.d.ts')) continue;
  const text = fs.readFileSync(file, 'utf8');
  const target = path.join(out, path.relative(tmp, file));
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, rewriteDeclaration(text));
  declarations++;
}
// Entry names are the file names workers and the CLI load (actors/actor-system.ts,
// runtime/job/attempt.ts and cli/weir.mjs name them).
const entries = {
  index: 'index.js',
  tools: 'tools.js',
  'weir-cli': 'cli/weir-cli.js',
  'actor-host-worker': 'actors/actor-host-worker.js',
  'stream-task-actor': 'runtime/task/stream-task-actor.js',
};
try {
  const { build } = await import('esbuild');
  await build({
    entryPoints: Object.fromEntries(Object.entries(entries).map(([name, file]) => [name, path.join(tmp, file)])),
    outdir: out,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    sourcesContent: true,
    chunkNames: 'chunk-[hash]',
    logLevel: 'warning',
  });
} catch (e) {
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.rmSync(out, { recursive: true, force: true });
  console.error(`build: bundling failed: ${e?.message ?? e}`);
  process.exit(1);
}
fs.rmSync(tmp, { recursive: true, force: true });
// The dashboard's static assets (plain ES modules, no build step): beside the bundle, where
// runtime/rest/dashboard-assets.ts looks for them (`./dashboard/` from the chunk that holds it).
fs.cpSync(path.join(root, 'runtime', 'rest', 'dashboard'), path.join(out, 'dashboard'), { recursive: true });
const old = path.join(root, `.dist-old-${process.pid}`);
if (fs.existsSync(dist)) fs.renameSync(dist, old);
fs.renameSync(out, dist);
fs.rmSync(old, { recursive: true, force: true });
console.log(`build: dist/ ready (${declarations} declaration files)`);

function* walk(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else yield p;
  }
}
