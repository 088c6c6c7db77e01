/**
 * Which parts of a source read as zeros, learnt from block status one window
 * at a time (a window is a whole number of copy chunks, so no chunk straddles
 * two). The copier asks in offset order and has at most `requests` chunks in
 * flight, so only the last few windows are kept. The next window is asked
 * for as soon as one is first used: otherwise every lane that crosses into it
 * waits for the answer, the pipeline drains, and a 1 GiB copy from nbdkit
 * lost about 15 % of its speed to those four stalls.
 */
import type { Extent } from '../../nbd/client/index.js';

/** Windows kept: the newest and the ones lanes may still be working in. */
const KEEP_WINDOWS = 3;

export class ZeroMap {
  /** Window index → sorted, merged zero ranges as [start, end, start, end, …]. */
  private readonly windows = new Map<number, Promise<number[]>>();

  constructor(
    private readonly extents: (offset: number, length: number) => Promise<readonly Extent[]>,
    private readonly size: number,
    private readonly windowBytes: number,
  ) {}

  /**
   * The parts of [offset, offset+length) that read as zeros, in order, as
   * [start, end, start, end, …] clipped to the range (empty: none). The range
   * must lie within one window, as a copy chunk does.
   */
  async zerosWithin(offset: number, length: number): Promise<number[]> {
    const index = Math.floor(offset / this.windowBytes);
    const window = this.window(index);
    if ((index + 1) * this.windowBytes < this.size) this.window(index + 1);
    return clip(await window, offset, offset + length);
  }

  private window(index: number): Promise<number[]> {
    let ranges = this.windows.get(index);
    if (ranges === undefined) {
      const start = index * this.windowBytes;
      ranges = this.extents(start, Math.min(this.windowBytes, this.size - start)).then(zeroRanges);
      // A prefetch nobody awaits yet must not be an unhandled rejection; the lane that asks gets the error.
      ranges.catch(() => {});
      this.windows.set(index, ranges);
      for (const old of this.windows.keys()) if (old <= index - KEEP_WINDOWS) this.windows.delete(old);
    }
    return ranges;
  }
}

/** The ranges (sorted, merged, as [start, end, …]) that overlap [start, end), clipped to it. */
function clip(ranges: number[], start: number, end: number): number[] {
  // Binary search for the first range that ends after `start`.
  let lo = 0;
  let hi = ranges.length / 2;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ranges[2 * mid + 1] <= start) lo = mid + 1;
    else hi = mid;
  }
  const out: number[] = [];
  for (let i = 2 * lo; i < ranges.length && ranges[i] < end; i += 2) out.push(Math.max(ranges[i], start), Math.min(ranges[i + 1], end));
  return out;
}

function zeroRanges(extents: readonly Extent[]): number[] {
  const ranges: number[] = [];
  for (const e of extents) {
    if (!e.zero) continue;
    const n = ranges.length;
    if (n > 0 && ranges[n - 1] === e.offset) ranges[n - 1] = e.offset + e.length;
    else ranges.push(e.offset, e.offset + e.length);
  }
  return ranges;
}
