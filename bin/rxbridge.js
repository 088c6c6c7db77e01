#!/usr/bin/env node
// Launcher of the built CLI: one bundle (dist/cli), which starts in about two thirds of the time
// the CLI takes as separate modules (`npm run build` or `npm install` builds it).
import { main } from '../dist/cli/main.js';

main(process.argv).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(`rxbridge: ${err?.message ?? err}`); process.exitCode = 1; },
);
