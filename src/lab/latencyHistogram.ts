/**
 * Latency percentiles for the lab: a thin wrapper over hdr-histogram-js (the
 * pure-JS build; the WebAssembly one needs an async init and a destroy()).
 * Values are recorded in whole microseconds, 3 significant digits, so a 2 s
 * stall and a 30 µs read are both kept to 0.1 %.
 */
import * as hdr from 'hdr-histogram-js';

/** Percentiles of recorded latencies, in milliseconds and microseconds. 0 when nothing was recorded. */
export interface LatencySummary {
  count: number;
  minMs: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  minUs: number;
  meanUs: number;
  p50Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
}

/** One minute in µs: the initial range; the histogram grows itself past it. */
const INITIAL_HIGHEST_US = 60_000_000;

export class LatencyHistogram {
  private readonly histogram: hdr.Histogram;

  constructor() {
    this.histogram = hdr.build({
      bitBucketSize: 32,
      autoResize: true,
      lowestDiscernibleValue: 1,
      highestTrackableValue: INITIAL_HIGHEST_US,
      numberOfSignificantValueDigits: 3,
      useWebAssembly: false,
    });
  }

  /** Records one latency given in milliseconds (e.g. a difference of `performance.now()` values). */
  recordMs(ms: number): void {
    this.recordUs(ms * 1000);
  }

  /** Records one latency in microseconds; negative or NaN values are ignored (a stage never reached). */
  recordUs(us: number): void {
    if (!(us >= 0)) return;
    this.histogram.recordValue(Math.round(us));
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  /**
   * The value at `percentile` (0..100) in µs; 0 when empty. hdr-histogram
   * answers with the upper edge of the value's bucket, which can pass the
   * exact maximum by a bucket's width: clamped, so p99 ≤ max always holds.
   */
  percentileUs(percentile: number): number {
    return this.count === 0 ? 0 : Math.min(this.histogram.getValueAtPercentile(percentile), this.histogram.maxValue);
  }

  /** Largest recorded value in µs (exact to the histogram's resolution); 0 when empty. */
  get maxUs(): number {
    return this.count === 0 ? 0 : this.histogram.maxValue;
  }

  summary(): LatencySummary {
    if (this.count === 0) {
      return { count: 0, minMs: 0, meanMs: 0, p50Ms: 0, p99Ms: 0, p999Ms: 0, maxMs: 0, minUs: 0, meanUs: 0, p50Us: 0, p99Us: 0, p999Us: 0, maxUs: 0 };
    }
    const h = this.histogram;
    const minUs = h.minNonZeroValue === Number.MAX_SAFE_INTEGER ? 0 : Math.min(h.minNonZeroValue, this.percentileUs(0));
    const meanUs = h.mean;
    const p50Us = this.percentileUs(50);
    const p99Us = this.percentileUs(99);
    const p999Us = this.percentileUs(99.9);
    const maxUs = h.maxValue;
    return {
      count: h.totalCount,
      minMs: minUs / 1000,
      meanMs: meanUs / 1000,
      p50Ms: p50Us / 1000,
      p99Ms: p99Us / 1000,
      p999Ms: p999Us / 1000,
      maxMs: maxUs / 1000,
      minUs,
      meanUs,
      p50Us,
      p99Us,
      p999Us,
      maxUs,
    };
  }

  /** Forgets everything recorded (e.g. after a warm-up). */
  reset(): void {
    this.histogram.reset();
  }
}
