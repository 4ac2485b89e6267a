#!/usr/bin/env node
// npm run build: compile the shipped sources (tsconfig.build.json) into dist/ — ESM JavaScript,
// .d.ts declarations and source maps (sources inlined; the .ts files are not shipped).
// Builds into a temporary directory and swaps it in, so a concurrent run never sees half a dist/.
// Declarations keep the sources' `./x.ts` specifiers (tsc rewrites them only in JavaScript);
// they are rewritten to `./x.js` here so consumers need no allowImportingTsExtensions.
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

let declarations = 0;
for (const file of walk(tmp)) {
  if (!file.endsWith('.d.ts')) continue;
  const text = fs.readFileSync(file, 'utf8');
  const out = rewriteDeclaration(text);
  if (out !== text) fs.writeFileSync(file, out);
  declarations++;
}
const old = path.join(root, `.dist-old-${process.pid}`);
if (fs.existsSync(dist)) fs.renameSync(dist, old);
fs.renameSync(tmp, dist);
fs.rmSync(old, { recursive: true, force: true });
console.log(`build: dist/ ready (${declarations} declaration files)`);

function* walk(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else yield p;
  }
}
