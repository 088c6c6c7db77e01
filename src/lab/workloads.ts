/**
 * Runs a named workload against any LabClient for a while and measures it:
 * latency histograms, throughput, stage breakdown, the longest stall and its
 * cause, where the bytes were (the client's queues and, through `ss`, the
 * kernel's), writes per MB, context switches and peak memory.
 */
import type { Subscription } from 'rxjs';
import type { LabClient } from './arch/types.js';
import { GapTracker } from './gapTracker.js';
import { LoadDriver } from './loadDriver.js';
import type { ArchProgress } from './progress.js';
import { RunCollector } from './runCollector.js';
import { scenarioDrivers, type ScenarioName } from './scenarios.js';
import { kernelBytes, sampleSocketStats, type KernelBytes } from './ssSampler.js';
import { attributeStall } from './stallCause.js';
import type { ArchName, ArchResult, OpResult } from './types.js';

export interface WorkloadOptions {
  scenario: ScenarioName;
  /** Measured time; requests still outstanding at its end are then waited for. */
  durationMs: number;
  /** Seeds every random choice (start offsets, random offsets, read/write mix, payload bytes). */
  seed: number;
  /** Export size in bytes: offsets stay below it. */
  exportSize: number;
  /** The device's TCP port, to sample the kernel's queues with ss; omit to skip that. */
  devicePort?: number;
  /** Time between samples of the queues and throughput; default 250 ms. */
  sampleIntervalMs?: number;
  /** How long to wait for outstanding requests after the measured time; default 30 s. */
  drainTimeoutMs?: number;
  /** Told after each sample. */
  onProgress?: (p: ArchProgress) => void;
  /** Replaces the ss command (specs). */
  ssCommand?: readonly string[];
}

export interface WorkloadOutcome {
  result: ArchResult;
  /** False when ss was missing or refused: the kernel columns are null. */
  kernelSampled: boolean;
  notes: string[];
  /** The first request error, if any (the run stopped issuing at it). */
  error?: Error;
}

/** Waits shorter than this are not called stalls (their cause is reported as 'none'). */
export const STALL_THRESHOLD_MS = 20;

const now = (): number => performance.now();

/**
 * @param client A connected client; it stays open (the caller closes it).
 * @param arch The architecture name to report.
 * @param label A variant name (sweep), if any.
 */
export async function runWorkload(client: LabClient, arch: ArchName, options: WorkloadOptions, label?: string): Promise<WorkloadOutcome> {
  const { durationMs, sampleIntervalMs = 250, drainTimeoutMs = 30_000 } = options;
  const notes: string[] = [];
  const readGaps = new GapTracker();
  const writeGaps = new GapTracker();
  const drivers = scenarioDrivers(options.scenario, options.exportSize).map(
    (spec, i) => new LoadDriver(client, spec, (options.seed + Math.imul(i + 1, 0x9e3779b9)) >>> 0, readGaps, writeGaps),
  );

  let kernel: KernelBytes | undefined;
  let kernelSampled = options.devicePort !== undefined;
  let ss: Subscription | undefined;
  if (options.devicePort !== undefined) {
    const port = options.devicePort;
    ss = sampleSocketStats({ port, intervalMs: sampleIntervalMs, command: options.ssCommand }).subscribe({
      next: (e) => {
        if (e.type === 'sample') kernel = kernelBytes(e.sockets, port);
        else {
          kernelSampled = false;
          notes.push(`kernel queues not sampled: ${e.reason}`);
        }
      },
      error: (err: unknown) => {
        kernelSampled = false;
        notes.push(`kernel sampling failed: ${String(err)}`);
      },
    });
  }

  const stats0 = client.stats();
  const usage0 = process.resourceUsage();
  const t0 = now();
  const collector = new RunCollector(t0, durationMs);
  let peakRss = process.memoryUsage.rss();
  const tick = (): void => {
    const t = now();
    collector.take(client.stages());
    collector.sample(t, client.stats(), kernel);
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    const last = collector.lastThroughput;
    options.onProgress?.({ elapsedMs: Math.min(t - t0, durationMs), readMBps: last?.[1] ?? 0, writeMBps: last?.[2] ?? 0, worstReadMs: collector.worstReadMs });
  };
  const timer = setInterval(tick, sampleIntervalMs);

  try {
    for (const d of drivers) d.start();
    await delay(durationMs);
    let drainTimer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      Promise.all(drivers.map((d) => d.stop())).then(() => true),
      new Promise<false>((resolve) => (drainTimer = setTimeout(resolve, drainTimeoutMs, false))),
    ]);
    clearTimeout(drainTimer);
    if (!drained) notes.push(`${client.stats().pending} requests still outstanding ${drainTimeoutMs} ms after the run`);
  } finally {
    clearInterval(timer);
    ss?.unsubscribe();
  }
  tick();
  const end = now();
  readGaps.close(end);
  writeGaps.close(end);

  const stats1 = client.stats();
  const usage1 = process.resourceUsage();
  const hasReads = collector.readLatency.count > 0;
  const gaps = hasReads ? readGaps : writeGaps;
  const stalled = gaps.longestMs >= STALL_THRESHOLD_MS;
  const error = drivers.find((d) => d.error !== undefined)?.error;
  if (error !== undefined) notes.push(`requests failed (${collector.failures}); first error: ${error.message}`);
  const bytesWritten = stats1.bytesWritten - stats0.bytesWritten;

  const result: ArchResult = {
    arch,
    ...(label !== undefined ? { label } : {}),
    read: opResult(collector.readBytes, collector.readLatency.summary(), durationMs),
    write: opResult(collector.writeBytes, collector.writeLatency.summary(), durationMs),
    longestStallMs: gaps.longestMs,
    stallCause: stalled ? attributeStall(gaps.longestStart, gaps.longestEnd, collector.slowRecords(hasReads ? 'read' : 'write'), collector.causeSamples) : 'none',
    writesPerMB: bytesWritten > 0 ? (stats1.writes - stats0.writes) / (bytesWritten / 1e6) : 0,
    contextSwitches: {
      voluntary: usage1.voluntaryContextSwitches - usage0.voluntaryContextSwitches,
      involuntary: usage1.involuntaryContextSwitches - usage0.involuntaryContextSwitches,
    },
    peakRssMB: peakRss / 1e6,
    stages: collector.readStages.means(),
    ...(collector.writeStages.count > 0 ? { writeStages: collector.writeStages.means() } : {}),
    ...(kernelSampled && kernel !== undefined ? { retransmits: kernel.retrans } : {}),
    series: { reads: collector.readPoints(), throughput: collector.throughput, bytes: collector.bytes },
  };
  return { result, kernelSampled: kernelSampled && kernel !== undefined, notes, ...(error !== undefined ? { error } : {}) };
}

function opResult(bytes: number, latency: { count: number; p50Ms: number; p99Ms: number; maxMs: number }, durationMs: number): OpResult {
  return { MBps: bytes / 1e6 / (durationMs / 1000), p50Ms: latency.p50Ms, p99Ms: latency.p99Ms, maxMs: latency.maxMs, count: latency.count };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
