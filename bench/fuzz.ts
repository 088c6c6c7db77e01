/**
 * The long hostile-peer run of the NBD client (`npm run fuzz`, to be wired as
 * `node --import tsx bench/fuzz.ts`): the generated properties of spec/hostile
 * (handshake garbage, generated reply streams) with RXBRIDGE_FUZZ_RUNS cases
 * in total, 100,000 unless set; `npm test` runs 1,200 of them plus the
 * deterministic truncation and catalogue specs (about 2,000 cases).
 *
 * Seeded: the seed is RXBRIDGE_FUZZ_SEED, or a fresh one printed first. On a
 * failure fast-check prints the counterexample with `{ seed: S, path: "P" }`;
 * replay exactly that case (no other) with
 *
 *   RXBRIDGE_FUZZ_SEED=S RXBRIDGE_FUZZ_PATH=P RXBRIDGE_FUZZ_RUNS=1 \
 *     npx mocha --no-config --node-option import=tsx --exit spec/hostile/replies-hostile-spec.ts
 *
 * (the spec file named in the failure). The same seed with the same
 * RXBRIDGE_FUZZ_RUNS repeats a whole run.
 */
import { spawnSync } from 'node:child_process';

const runs = process.env.RXBRIDGE_FUZZ_RUNS ?? '100000';
const seed = process.env.RXBRIDGE_FUZZ_SEED ?? String((Math.random() * 0x7fffffff) | 0);
console.error(`fuzz: ${runs} generated cases, RXBRIDGE_FUZZ_SEED=${seed}`);

const result = spawnSync(
  'npx',
  ['mocha', '--no-config', '--node-option', 'import=tsx', '--exit', '--timeout', '0',
    'spec/hostile/handshake-hostile-spec.ts', 'spec/hostile/replies-hostile-spec.ts'],
  { stdio: 'inherit', env: { ...process.env, RXBRIDGE_FUZZ_RUNS: runs, RXBRIDGE_FUZZ_SEED: seed } },
);
process.exit(result.status ?? 1);
