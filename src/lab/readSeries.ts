/**
 * Collects one point per read for the latency-over-time chart, bounded: time
 * is cut into buckets and each bucket keeps its slowest and its fastest read,
 * so a stall is never averaged away and the typical band stays visible.
 */
import type { ReadPoint } from './types.js';

export class ReadSeries {
  private readonly bucketMs: number;
  /** Per bucket: [tOfMax, max, tOfMin, min]. */
  private readonly buckets = new Map<number, [number, number, number, number]>();

  /**
   * @param durationMs Expected length of the run (points after it still count, in further buckets).
   * @param maxPoints Points to keep over `durationMs` (two per bucket).
   */
  constructor(durationMs: number, maxPoints = 4000) {
    this.bucketMs = Math.max(1, durationMs / Math.max(1, Math.floor(maxPoints / 2)));
  }

  /** Records a read that completed at `tMs` (since the run started) after `latencyMs`. */
  add(tMs: number, latencyMs: number): void {
    const key = Math.floor(tMs / this.bucketMs);
    const b = this.buckets.get(key);
    if (b === undefined) {
      this.buckets.set(key, [tMs, latencyMs, tMs, latencyMs]);
      return;
    }
    if (latencyMs > b[1]) {
      b[0] = tMs;
      b[1] = latencyMs;
    }
    if (latencyMs < b[3]) {
      b[2] = tMs;
      b[3] = latencyMs;
    }
  }

  /** The kept points in time order. */
  points(): ReadPoint[] {
    const out: ReadPoint[] = [];
    const keys = [...this.buckets.keys()].sort((a, b) => a - b);
    for (const k of keys) {
      const [tMax, max, tMin, min] = this.buckets.get(k)!;
      if (tMin === tMax && min === max) out.push([tMax, max]);
      else if (tMin < tMax) out.push([tMin, min], [tMax, max]);
      else out.push([tMax, max], [tMin, min]);
    }
    return out;
  }
}
