#!/usr/bin/env node
// `npm run depcheck`: checks what may import what (rules and reasons: .dependency-cruiser.cjs).
//
// dependency-cruiser parses TypeScript through the `typescript` package's JavaScript API, which
// TypeScript 7 (the project's compiler, a native binary) no longer has, so dependency-cruiser
// would silently skip every .ts file. It gets TypeScript 6 instead, installed as the devDependency
// alias `typescript-6`: requests for `typescript` made from inside dependency-cruiser are
// redirected to it, both through require (version check) and import (the parser). Nothing else
// is affected. Extra arguments are passed on to depcruise (e.g. `-- -T text`).
import Module, { register } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const FROM = `${path.sep}node_modules${path.sep}dependency-cruiser${path.sep}`;
const redirect = (request) => (request === 'typescript' || request.startsWith('typescript/') ? `typescript-6${request.slice(10)}` : request);

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  return resolveFilename.call(this, parent?.filename?.includes(FROM) ? redirect(request) : request, parent, ...rest);
};
const hooks = `
  const redirect = ${redirect.toString()};
  export async function resolve(specifier, context, next) {
    return next(context.parentURL?.includes('/node_modules/dependency-cruiser/') ? redirect(specifier) : specifier, context);
  }`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
const bin = path.join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
process.argv = [process.argv[0], bin, '--config', '.dependency-cruiser.cjs', ...process.argv.slice(2), '.'];
await import(pathToFileURL(bin).href);
