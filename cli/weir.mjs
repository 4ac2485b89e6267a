#!/usr/bin/env node
// Launcher of the `weir` command.
//  - Installed as a package (only dist/ is shipped): runs the compiled CLI; needs no tsx.
//  - In the repository (the TypeScript sources sit next to this file): runs the CLI from its
//    sources through tsx (a devDependency), so development needs no build. Worker threads get
//    the loader through their execArgv (actors/worker-exec-argv.ts).
import { existsSync } from 'node:fs';

const sources = new URL('./weir-cli.ts', import.meta.url);
if (existsSync(sources)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(sources.href);
} else {
  await import('../dist/weir-cli.js');
}
