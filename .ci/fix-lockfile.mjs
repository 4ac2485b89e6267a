#!/usr/bin/env node
// The npm registry reachable from this project's machines lacks the non-linux-x64/arm64
// prebuilt packages of msgpackr-extract (an optional dependency of lmdb and msgpackr), so
// `npm install` writes a lockfile without them and `npm ci` then refuses it ("Missing … from
// lock file"). They are optional and never fetched on linux-x64, so recording them with their
// os/cpu constraints makes the lockfile complete. Run after any `npm install`.
import fs from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const extract = lock.packages['node_modules/msgpackr-extract'];
if (!extract) process.exit(0);
let added = 0;
for (const name of Object.keys(extract.optionalDependencies ?? {})) {
  const key = `node_modules/${name}`;
  if (lock.packages[key]) continue;
  const [, os, cpu] = /msgpackr-extract-(\w+)-(\w+)$/.exec(name) ?? [];
  lock.packages[key] = { version: extract.optionalDependencies[name], cpu: [cpu], license: 'MIT', optional: true, os: [os] };
  added++;
}
const [root, ...rest] = Object.entries(lock.packages);
lock.packages = Object.fromEntries([root, ...rest.sort(([a], [b]) => (a < b ? -1 : 1))]);
fs.writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: added ${added} optional platform entries`);
