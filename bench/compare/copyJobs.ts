/**
 * The copy jobs: `nbdcopy --connections=1` against `rxbridge copy`, each a
 * fresh process timed by wall clock (start-up included, as a user sees it),
 * CPU from bash's `times`.
 */
import { rm } from 'node:fs/promises';
import { runChild } from './child.js';
import type { Sample } from './sample.js';

export type CopyDirection = 'nbd-to-file' | 'file-to-nbd';

export interface CopyPaths {
  uri: string;
  /** The random file that is copied into the export. */
  inFile: string;
  /** Where the export is copied out to (removed before each run). */
  outFile: string;
  bytes: number;
}

async function timed(command: string, args: string[], bytes: number, env?: NodeJS.ProcessEnv): Promise<Sample> {
  const r = await runChild(command, args, { measureCpu: true, env });
  const MBps = bytes / 1e6 / r.seconds;
  return { value: MBps, MBps, cpuSecondsPerGB: r.cpuSeconds === undefined ? undefined : r.cpuSeconds / (bytes / 1e9) };
}

function ends(direction: CopyDirection, p: CopyPaths): [string, string] {
  return direction === 'nbd-to-file' ? [p.uri, p.outFile] : [p.inFile, p.uri];
}

export async function runNbdcopy(direction: CopyDirection, p: CopyPaths): Promise<Sample> {
  await rm(p.outFile, { force: true });
  return timed('nbdcopy', ['--connections=1', ...ends(direction, p)], p.bytes);
}

/** `bin/rxbridge copy`: the command npm links, launcher included. */
export async function runRxbridgeCopy(direction: CopyDirection, p: CopyPaths): Promise<Sample> {
  await rm(p.outFile, { force: true });
  return timed('bin/rxbridge', ['copy', ...ends(direction, p)], p.bytes);
}
