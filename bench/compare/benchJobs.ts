/**
 * The sides of a block-I/O job: fio's nbd engine (libnbd, C), `rxbridge
 * bench`, and for sequential reads a minimal Node.js client as a reference;
 * each in its own process against the same server.
 */
import { runChild } from './child.js';
import type { BenchJobSpec, Sample } from './sample.js';

/** A duration in seconds as fio and `rxbridge bench` both take it. */
function ms(seconds: number): string {
  return `${Math.round(seconds * 1000)}ms`;
}

/** IOPS for small blocks, MB/s for large ones. */
export function headline(spec: BenchJobSpec): 'IOPS' | 'MB/s' {
  return spec.bs <= 16384 ? 'IOPS' : 'MB/s';
}

interface FioDirection {
  io_bytes: number;
  bw_bytes: number;
  iops: number;
  lat_ns: { percentile?: Record<string, number> };
}

/** `fio --ioengine=nbd`, time based; CPU from the job's usr/sys percentages over its runtime (fio resets both after a ramp). */
export async function runFio(uri: string, spec: BenchJobSpec, seconds: number): Promise<Sample> {
  const { stdout } = await runChild('fio', [
    '--name=rxbridge-compare', '--ioengine=nbd', `--uri=${uri}`, `--rw=${spec.rw}`, `--bs=${spec.bs}`,
    `--iodepth=${spec.qd}`, '--time_based', `--runtime=${ms(seconds)}`, '--lat_percentiles=1',
    '--output-format=json', ...(spec.rampSeconds ? [`--ramp_time=${ms(spec.rampSeconds)}`] : []),
  ]);
  // fio prints "fio: connected to NBD server" before the document.
  const doc = JSON.parse(stdout.slice(stdout.indexOf('{')));
  const job = doc.jobs[0];
  const dir: FioDirection = spec.rw.endsWith('read') ? job.read : job.write;
  const bytes = dir.io_bytes;
  const cpuSeconds = ((job.usr_cpu + job.sys_cpu) / 100) * (job.job_runtime / 1000);
  const MBps = dir.bw_bytes / 1e6;
  const p99 = dir.lat_ns.percentile?.['99.000000'];
  return {
    value: headline(spec) === 'IOPS' ? dir.iops : MBps,
    MBps,
    p99Us: p99 === undefined ? undefined : p99 / 1000,
    cpuSecondsPerGB: bytes > 0 ? cpuSeconds / (bytes / 1e9) : undefined,
  };
}

/** `node bin/rxbridge.js bench … --json` from the built dist. */
export async function runRxbridgeBench(uri: string, spec: BenchJobSpec, seconds: number): Promise<Sample> {
  const { stdout } = await runChild(process.execPath, [
    'bin/rxbridge.js', 'bench', uri, '--rw', spec.rw, '--bs', String(spec.bs), '--qd', String(spec.qd),
    '--time', ms(seconds), '--json', ...(spec.rampSeconds ? ['--ramp-time', ms(spec.rampSeconds)] : []),
  ]);
  const r = JSON.parse(stdout);
  return {
    value: headline(spec) === 'IOPS' ? r.iops : r.MBps,
    MBps: r.MBps,
    p99Us: r.latencyUs.p99,
    cpuSecondsPerGB: r.cpuSecondsPerGB,
  };
}

/** bench/compare/minimalClient.ts: sequential reads only, no latency figures. */
export async function runMinimalClient(uri: string, spec: BenchJobSpec, seconds: number): Promise<Sample> {
  if (spec.rw !== 'read') throw new Error(`the minimal client only reads sequentially, not ${spec.rw}`);
  const { stdout } = await runChild(process.execPath, [
    '--import', 'tsx', 'bench/compare/minimalClient.ts', uri, String(spec.bs), String(spec.qd), String(seconds), String(spec.rampSeconds ?? 0),
  ]);
  const r = JSON.parse(stdout);
  return { value: headline(spec) === 'IOPS' ? r.iops : r.MBps, MBps: r.MBps, cpuSecondsPerGB: r.cpuSecondsPerGB };
}
