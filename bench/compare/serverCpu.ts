/**
 * The server's side of a job: how much CPU `nbdkit` spent while one client
 * ran. On a small machine client and server share the cores, and a server
 * near one full core is the ceiling every client meets; its CPU per GB shows
 * whether a client makes it work harder for the same bytes.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Sample } from './sample.js';

let ticksPerSecond: number | undefined;

/** USER_HZ, the unit of /proc's CPU times. */
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    const text = execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim();
    ticksPerSecond = Number(text) > 0 ? Number(text) : 100;
  }
  return ticksPerSecond;
}

/** User + system CPU seconds of a process so far, all its threads (from /proc/PID/stat). */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  return (Number(fields[11]) + Number(fields[12])) / clockTicks();
}

/**
 * Runs one side of a job and adds the server's CPU over the same time to its
 * sample: per GB the client moved, and as cores busy over the run's wall
 * clock (client start-up included, so a little low).
 * @param bytesOf The bytes the client moved in the whole run, from its sample.
 */
export async function withServerCpu(pid: number, run: () => Promise<Sample>, bytesOf: (sample: Sample) => number): Promise<Sample> {
  const before = processCpuSeconds(pid);
  const started = performance.now();
  const sample = await run();
  const cpu = processCpuSeconds(pid) - before;
  const wall = (performance.now() - started) / 1000;
  const bytes = bytesOf(sample);
  return { ...sample, serverCpuSecondsPerGB: bytes > 0 ? cpu / (bytes / 1e9) : undefined, serverCores: wall > 0 ? cpu / wall : undefined };
}
