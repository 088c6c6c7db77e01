/** A synthetic lab report for the report, table and JSON specs: fifo stalls for 2.4 s, reactive does not. */
import type { ArchName, ArchResult, BytesPoint, LabReport, ReadPoint, ThroughputPoint } from '../../src/lab/types.js';

function result(arch: ArchName, readP99: number, stallMs: number, cause: string): ArchResult {
  const reads: ReadPoint[] = [];
  for (let t = 0; t < 10_000; t += 25) reads.push([t, t > 4000 && t < 4100 ? stallMs : 0.3 + (t % 7) / 10]);
  const throughput: ThroughputPoint[] = [];
  const bytes: BytesPoint[] = [];
  for (let t = 250; t <= 10_000; t += 250) {
    throughput.push([t, 12.5, 105]);
    bytes.push([t, 8 << 20, 1 << 20, 4 << 20, 256 << 10, arch === 'reactive' ? 0 : 3 << 20]);
  }
  return {
    arch,
    read: { MBps: 12.5, p50Ms: 0.4, p99Ms: readP99, maxMs: stallMs, count: 4000 },
    write: { MBps: 105, p50Ms: 900, p99Ms: 1200, maxMs: 1400, count: 1000 },
    longestStallMs: stallMs,
    stallCause: cause,
    writesPerMB: 2,
    contextSwitches: { voluntary: 1234, involuntary: 56 },
    peakRssMB: 180,
    stages: { q2dMs: arch === 'fifo' ? 1800 : 0.1, d2rMs: 0.2, r2cMs: 0.05 },
    writeStages: { q2dMs: 800, d2rMs: 100, r2cMs: 0.1 },
    series: { reads, throughput, bytes },
  };
}

export function sampleReport(): LabReport {
  return {
    scenario: 'mixed',
    seed: 42,
    device: { name: 'gigabit', uri: 'nbd://127.0.0.1:40000/', embedded: true, readMBps: 110, writeMBps: 110, serviceTimeMs: 0.1, parallel: 32 },
    durationMs: 10_000,
    kernelSampled: true,
    results: [result('fifo', 2100, 2400, 'send-backlog'), result('reactive', 1.2, 3, 'none')],
  };
}
