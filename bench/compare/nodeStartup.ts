/**
 * What starting Node.js itself costs here, so the copy rows (whose wall
 * clock includes a fresh process) can be read against it. NODE_EXTRA_CA_CERTS
 * matters: Node.js 20 parses that whole certificate bundle at process start,
 * before any script runs, and some machines set it for every process.
 */
import { runChild } from './child.js';
import { median } from './sample.js';

/** The benchmark's environment without NODE_EXTRA_CA_CERTS; undefined when it is not set (nothing to compare). */
export function environmentWithoutExtraCaCerts(): NodeJS.ProcessEnv | undefined {
  if (process.env.NODE_EXTRA_CA_CERTS === undefined) return undefined;
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

/** Median wall clock, seconds, of `COMMAND ARGS…` over `runs` fresh processes. */
export async function medianSeconds(command: string, args: readonly string[], runs: number, env?: NodeJS.ProcessEnv): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push((await runChild(command, args, { env })).seconds);
  return median(times);
}

/** The same for `node ARGS…` (`['-e', '0']`: Node.js alone). */
export function medianNodeSeconds(args: readonly string[], runs: number, env?: NodeJS.ProcessEnv): Promise<number> {
  return medianSeconds(process.execPath, args, runs, env);
}
