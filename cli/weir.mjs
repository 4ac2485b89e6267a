#!/usr/bin/env node
// Launcher: registers tsx (Weir runs from its TypeScript sources on Node >= 20)
// and starts the CLI. Worker threads get the loader through their execArgv.
import { register } from 'tsx/esm/api';

register();
await import('./weir-cli.ts');
