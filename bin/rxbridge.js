#!/usr/bin/env node
// Launcher of the built CLI: one CommonJS bundle (dist/cli/rxbridge.cjs), loaded with a V8 code
// cache so a run skips compiling what an earlier run of the same command compiled
// (`npm run build` or `npm install` builds it; NODE_DISABLE_COMPILE_CACHE=1 turns the cache off).
import { fileURLToPath } from 'node:url';
import { launchCli } from '../dist/cli/launchCli.js';

launchCli(fileURLToPath(new URL('../dist/cli/rxbridge.cjs', import.meta.url)), process.argv).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(`rxbridge: ${err?.message ?? err}`); process.exitCode = 1; },
);
