/**
 * The `rxbridge bench` workload: `qd` lanes, each issuing its next request
 * when its previous one completes (no range() into mergeMap: PERF-NOTES item
 * 4). A lane is a plain record and its own observer, so a request costs the
 * client's Observable and nothing more; reads land in the lane's buffer,
 * writes send one shared random buffer.
 */
import { randomBytes } from 'node:crypto';
import type { Observer } from 'rxjs';
import { InvalidArgumentError, UnsupportedError } from '../../core/errors.js';
import type { NbdClient, ReadOptions } from '../../nbd/client/index.js';
import { LatencyHistogram } from '../../lab/latencyHistogram.js';
import { Prng } from './prng.js';

import type { RwMode } from './rwModes.js';

export type { RwMode } from './rwModes.js';

export interface BenchJob {
  rw: RwMode;
  /** Percent of reads in `randrw`. */
  rwmixRead: number;
  bs: number;
  qd: number;
  /** Stop issuing after this long (ms)… */
  timeMs?: number;
  /** …or after this many bytes. */
  sizeBytes?: number;
  /**
   * Run this long (ms) before measuring, as fio's `ramp_time`: completions
   * during the ramp are not counted, and the time or size limit starts after it.
   */
  rampMs?: number;
  seed: number;
}

/** Totals of one direction. */
export class Direction {
  ios = 0;
  bytes = 0;
  readonly latency = new LatencyHistogram();
}

export interface BenchTotals {
  readonly read: Direction;
  readonly write: Direction;
  /** Both directions (the same histogram as the only one when the job does not mix). */
  readonly all: LatencyHistogram;
  /** From the first request (or the end of the ramp) to the last completion. */
  seconds: number;
}

class Lane implements Observer<unknown> {
  started = 0;
  isWrite = false;
  /** Issued after the ramp: its completion counts. */
  counted = true;
  readonly readOptions: ReadOptions;

  constructor(private readonly run: BenchRun, buffer: Buffer) {
    this.readOptions = { into: buffer };
  }

  next(): void {}

  error(err: unknown): void {
    this.run.failed(err);
  }

  complete(): void {
    this.run.completed(this);
  }
}

class BenchRun {
  readonly totals: BenchTotals;
  private readonly prng: Prng;
  private readonly blocks: number;
  private readonly writeData: Buffer;
  private readonly mixed: boolean;
  private readonly random: boolean;
  private readonly readShare: number;
  private sequential = 0;
  private issuedBytes = 0;
  private deadline = Infinity;
  private started = 0;
  /** Until then completions are not counted (the ramp); then `started` is set anew. */
  private rampEnd = 0;
  ramping = false;
  private active = 0;
  private failure: unknown;
  private settle: (err?: unknown) => void = () => {};

  constructor(private readonly client: NbdClient, private readonly job: BenchJob, private readonly onMeasure?: () => void) {
    const size = Number(client.info.size);
    this.blocks = Math.floor(size / job.bs);
    if (this.blocks < 1) throw new InvalidArgumentError(`block size ${job.bs} is larger than the export (${size} bytes)`);
    this.prng = new Prng(job.seed);
    this.mixed = job.rw === 'randrw';
    this.random = job.rw.startsWith('rand');
    this.readShare = job.rw === 'read' || job.rw === 'randread' ? 100 : job.rw === 'randrw' ? job.rwmixRead : 0;
    if (this.readShare < 100 && client.info.readOnly) throw new UnsupportedError('the export is read-only: choose --rw read or randread');
    this.writeData = randomBytes(job.bs);
    const read = new Direction();
    const write = new Direction();
    this.totals = { read, write, all: this.mixed ? new LatencyHistogram() : this.readShare === 100 ? read.latency : write.latency, seconds: 0 };
  }

  run(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.settle = (err) => (err === undefined ? resolve() : reject(err));
      this.started = performance.now();
      const rampMs = this.job.rampMs ?? 0;
      this.ramping = rampMs > 0;
      this.rampEnd = this.started + rampMs;
      if (this.job.timeMs !== undefined) this.deadline = this.rampEnd + this.job.timeMs;
      if (!this.ramping) this.onMeasure?.();
      const lanes = Array.from({ length: this.job.qd }, () => new Lane(this, Buffer.allocUnsafe(this.job.bs)));
      this.active = lanes.length;
      for (const lane of lanes) this.issue(lane, this.started);
    });
  }

  completed(lane: Lane): void {
    const now = performance.now();
    if (!lane.counted) {
      // Issued during the ramp: not counted, even when it completes after it.
      if (this.ramping && now >= this.rampEnd) this.endRamp(now);
      this.issue(lane, now);
      return;
    }
    const us = (now - lane.started) * 1000;
    const d = lane.isWrite ? this.totals.write : this.totals.read;
    d.ios++;
    d.bytes += this.job.bs;
    d.latency.recordUs(us);
    if (this.mixed) this.totals.all.recordUs(us);
    this.issue(lane, now);
  }

  /** Measuring starts now: the size limit counts from here, and the measured time. */
  private endRamp(now: number): void {
    this.ramping = false;
    this.started = now;
    this.onMeasure?.();
  }

  failed(err: unknown): void {
    this.failure ??= err;
    this.laneDone();
  }

  private issue(lane: Lane, now: number): void {
    const { job } = this;
    if (this.failure !== undefined || now >= this.deadline || (job.sizeBytes !== undefined && !this.ramping && this.issuedBytes >= job.sizeBytes)) {
      this.laneDone();
      return;
    }
    if (!this.ramping) this.issuedBytes += job.bs;
    lane.isWrite = this.readShare === 100 ? false : this.readShare === 0 ? true : this.prng.next() * 100 >= this.readShare;
    let offset: number;
    if (this.random) {
      offset = this.prng.below(this.blocks) * job.bs;
    } else {
      offset = this.sequential * job.bs;
      if (++this.sequential >= this.blocks) this.sequential = 0;
    }
    lane.started = now;
    lane.counted = !this.ramping;
    if (lane.isWrite) this.client.write(offset, this.writeData).subscribe(lane);
    else this.client.read(offset, job.bs, lane.readOptions).subscribe(lane);
  }

  private laneDone(): void {
    if (--this.active > 0) return;
    this.totals.seconds = (performance.now() - this.started) / 1000;
    this.settle(this.failure);
  }
}

/** Live counters for a progress line. */
export interface BenchProbe {
  readonly totals: BenchTotals;
  /** Still in the ramp: nothing is counted yet. */
  readonly ramping: boolean;
}

/**
 * Runs the job on a connected client; resolves with the totals once every
 * lane has stopped (rejects with the first error, after the others drained).
 * @param onStart Receives the live totals, e.g. to print progress.
 * @param onMeasure Called when measuring starts: at once, or at the end of the ramp (e.g. to take CPU time from there).
 */
export async function runBench(
  client: NbdClient,
  job: BenchJob,
  onStart?: (probe: BenchProbe) => void,
  onMeasure?: () => void,
): Promise<BenchTotals> {
  const run = new BenchRun(client, job, onMeasure);
  onStart?.(run);
  await run.run();
  return run.totals;
}
