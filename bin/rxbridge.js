#!/usr/bin/env node
// Launcher of the built CLI (`npm run build` or `npm install` builds dist/).
import { main } from '../dist/src/cli/main.js';

main(process.argv).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(`rxbridge: ${err?.message ?? err}`); process.exitCode = 1; },
);
