/**
 * Turns what a run produces (stage records drained from the client, periodic
 * samples of its queues and of the kernel's) into the figures and series of
 * an ArchResult. Bounded memory whatever the request rate: histograms,
 * bucketed series, and only the slowest records (kept to explain stalls).
 */
import { LatencyHistogram } from './latencyHistogram.js';
import { ReadSeries } from './readSeries.js';
import type { LabClientStats, LabOp, StageRecord } from './arch/types.js';
import type { KernelBytes } from './ssSampler.js';
import type { CauseSample } from './stallCause.js';
import type { BytesPoint, StageBreakdown, ThroughputPoint } from './types.js';

/** Records slower than this are kept to explain stalls. */
const SLOW_MS = 10;
const MAX_SLOW_RECORDS = 4000;

class StageSums {
  q2d = 0;
  d2r = 0;
  r2c = 0;
  count = 0;

  add(r: StageRecord): void {
    const t = r.times;
    if (Number.isNaN(t.dispatched) || Number.isNaN(t.replied) || Number.isNaN(t.completed)) return;
    this.q2d += t.dispatched - t.submitted;
    this.d2r += t.replied - t.dispatched;
    this.r2c += t.completed - t.replied;
    this.count++;
  }

  means(): StageBreakdown {
    const n = this.count || 1;
    return { q2dMs: this.q2d / n, d2rMs: this.d2r / n, r2cMs: this.r2c / n };
  }
}

export class RunCollector {
  readonly readLatency = new LatencyHistogram();
  readonly writeLatency = new LatencyHistogram();
  readonly readStages = new StageSums();
  readonly writeStages = new StageSums();
  readonly throughput: ThroughputPoint[] = [];
  readonly bytes: BytesPoint[] = [];
  readonly causeSamples: CauseSample[] = [];
  /** Payload bytes completed inside the measured window. */
  readBytes = 0;
  writeBytes = 0;
  failures = 0;
  worstReadMs = 0;
  private readonly reads: ReadSeries;
  private slow: StageRecord[] = [];
  private intervalReadBytes = 0;
  private intervalWriteBytes = 0;
  private lastSampleAt: number;

  /**
   * @param t0 Start of the run (performance.now() ms): series times are relative to it.
   * @param durationMs The measured window; completions after it count for latency, not throughput.
   */
  constructor(private readonly t0: number, private readonly durationMs: number) {
    this.reads = new ReadSeries(durationMs);
    this.lastSampleAt = t0;
  }

  /** Takes the stage records the client completed since the last call. */
  take(records: readonly StageRecord[]): void {
    const endAt = this.t0 + this.durationMs;
    for (const r of records) {
      if (r.failed) {
        this.failures++;
        continue;
      }
      const latency = r.times.completed - r.times.submitted;
      const inWindow = r.times.completed <= endAt;
      if (r.op === 'read') {
        this.readLatency.recordMs(latency);
        this.readStages.add(r);
        this.reads.add(r.times.completed - this.t0, latency);
        if (latency > this.worstReadMs) this.worstReadMs = latency;
        if (inWindow) {
          this.readBytes += r.length;
          this.intervalReadBytes += r.length;
        }
      } else {
        this.writeLatency.recordMs(latency);
        this.writeStages.add(r);
        if (inWindow) {
          this.writeBytes += r.length;
          this.intervalWriteBytes += r.length;
        }
      }
      if (latency >= SLOW_MS) this.keepSlow(r);
    }
  }

  /** Records the client's queues and the kernel's at `now`; closes a throughput interval. */
  sample(now: number, stats: LabClientStats, kernel: KernelBytes | undefined): void {
    const t = now - this.t0;
    const seconds = (now - this.lastSampleAt) / 1000;
    if (seconds > 0) {
      this.throughput.push([t, this.intervalReadBytes / 1e6 / seconds, this.intervalWriteBytes / 1e6 / seconds]);
    }
    this.lastSampleAt = now;
    this.intervalReadBytes = 0;
    this.intervalWriteBytes = 0;
    this.bytes.push([
      t,
      stats.queuedBytes,
      stats.socketBufferedBytes,
      kernel === undefined ? null : kernel.sendQ,
      kernel === undefined ? null : kernel.unacked,
      kernel === undefined || !kernel.deviceVisible ? null : kernel.deviceRecvQ,
    ]);
    this.causeSamples.push({
      t: now,
      receiveQueued: stats.receiveQueuedBytes,
      socketBuffered: stats.socketBufferedBytes,
      kernelQueued: kernel === undefined ? null : kernel.sendQ + (kernel.deviceVisible ? kernel.deviceRecvQ : 0),
    });
  }

  /** The most recent throughput point, for progress. */
  get lastThroughput(): ThroughputPoint | undefined {
    return this.throughput[this.throughput.length - 1];
  }

  readPoints(): [number, number][] {
    return this.reads.points();
  }

  /** Kept slow records of one class (for stall attribution). */
  slowRecords(op: LabOp): StageRecord[] {
    return this.slow.filter((r) => r.op === op);
  }

  private keepSlow(r: StageRecord): void {
    this.slow.push(r);
    if (this.slow.length > 2 * MAX_SLOW_RECORDS) {
      const latency = (x: StageRecord) => x.times.completed - x.times.submitted;
      this.slow = this.slow.sort((a, b) => latency(b) - latency(a)).slice(0, MAX_SLOW_RECORDS);
    }
  }
}
