/**
 * What `rxbridge bench` reports, as one JSON document and as fio-like text.
 * MB and GB are decimal (10^6, 10^9), as in fio's MB/s.
 */
import type { LatencyHistogram } from '../../lab/latencyHistogram.js';
import type { BenchJob, BenchTotals, Direction } from './benchRun.js';

export interface LatencyUs {
  min: number;
  mean: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

export interface DirectionReport {
  ios: number;
  bytes: number;
  iops: number;
  MBps: number;
  latencyUs: LatencyUs;
}

export interface BenchReport extends DirectionReport {
  rw: string;
  bs: number;
  qd: number;
  connections: number;
  /** Percent of reads (randrw only). */
  rwmixRead?: number;
  /** Seconds run before measuring (--ramp-time), not in `seconds` nor in any figure. */
  rampSeconds?: number;
  seconds: number;
  cpuSeconds: { user: number; system: number };
  /** Client CPU (user + system, the whole process) per 10^9 bytes moved. */
  cpuSecondsPerGB: number;
  peakRssMB: number;
  read?: DirectionReport;
  write?: DirectionReport;
}

function latency(h: LatencyHistogram): LatencyUs {
  const s = h.summary();
  // A percentile is its bucket's highest equivalent value, which may pass the recorded maximum: clamp it.
  const at = (us: number) => Math.min(us, s.maxUs);
  return { min: s.minUs, mean: Math.round(s.meanUs * 10) / 10, p50: at(s.p50Us), p99: at(s.p99Us), p999: at(s.p999Us), max: s.maxUs };
}

function direction(d: Direction, seconds: number): DirectionReport {
  return { ios: d.ios, bytes: d.bytes, iops: round(d.ios / seconds), MBps: round(d.bytes / 1e6 / seconds), latencyUs: latency(d.latency) };
}

function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export function benchReport(
  job: BenchJob,
  connections: number,
  totals: BenchTotals,
  cpu: NodeJS.CpuUsage,
  peakRssBytes: number,
): BenchReport {
  const { read, write, seconds } = totals;
  const ios = read.ios + write.ios;
  const bytes = read.bytes + write.bytes;
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return {
    rw: job.rw,
    bs: job.bs,
    qd: job.qd,
    connections,
    ...(job.rw === 'randrw' ? { rwmixRead: job.rwmixRead } : {}),
    ...(job.rampMs !== undefined ? { rampSeconds: round(job.rampMs / 1000, 3) } : {}),
    seconds: round(seconds, 3),
    ios,
    bytes,
    iops: round(ios / seconds),
    MBps: round(bytes / 1e6 / seconds),
    latencyUs: latency(totals.all),
    cpuSeconds: { user: round(cpu.user / 1e6, 3), system: round(cpu.system / 1e6, 3) },
    cpuSecondsPerGB: bytes > 0 ? round(cpuSeconds / (bytes / 1e9), 3) : 0,
    peakRssMB: round(peakRssBytes / 1e6),
    ...(read.ios > 0 ? { read: direction(read, seconds) } : {}),
    ...(write.ios > 0 ? { write: direction(write, seconds) } : {}),
  };
}

/** `95.5k`, `1.2M`: fio's way of printing IOPS. */
function count(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return n.toFixed(0);
}

export function renderBench(r: BenchReport): string {
  const lines = [
    `${r.rw}: bs=${r.bs} qd=${r.qd} connections=${r.connections}${r.rwmixRead !== undefined ? ` rwmixread=${r.rwmixRead}` : ''}, ${r.seconds.toFixed(2)} s${r.rampSeconds !== undefined ? ` after a ${r.rampSeconds} s ramp` : ''}, ${(r.bytes / 1e9).toFixed(2)} GB`,
  ];
  for (const [name, d] of [['read', r.read], ['write', r.write]] as const) {
    if (d === undefined) continue;
    const l = d.latencyUs;
    lines.push(
      `  ${name}: IOPS=${count(d.iops)}, BW=${d.MBps.toFixed(1)} MB/s (${d.ios} ios)`,
      `    lat (µs): min=${l.min}, mean=${l.mean}, p50=${l.p50}, p99=${l.p99}, p99.9=${l.p999}, max=${l.max}`,
    );
  }
  lines.push(
    `  cpu: user=${r.cpuSeconds.user.toFixed(2)} s, sys=${r.cpuSeconds.system.toFixed(2)} s, ${r.cpuSecondsPerGB.toFixed(3)} s/GB; peak RSS ${r.peakRssMB.toFixed(0)} MB`,
  );
  return lines.join('\n') + '\n';
}

/** The live line: elapsed seconds, IOPS and MB/s since the last line. */
export function progressLine(elapsedS: number, ios: number, bytes: number, intervalS: number): string {
  return `[${elapsedS.toFixed(0)} s] ${count(ios / intervalS)} IOPS, ${(bytes / 1e6 / intervalS).toFixed(0)} MB/s`;
}
