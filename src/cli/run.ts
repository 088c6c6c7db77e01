/**
 * Development launcher, straight from the sources:
 * `node --import tsx src/cli/run.ts info nbd://127.0.0.1:10809/`.
 */
import { main } from './main.js';

main(process.argv).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(`rxbridge: ${err?.message ?? err}`); process.exitCode = 1; },
);
