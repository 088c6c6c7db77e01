/**
 * Which parts of a source read as zeros, learnt from block status one window
 * at a time (a window is a whole number of copy chunks, so no chunk straddles
 * two). The copier asks in offset order and has at most `requests` chunks in
 * flight, so only the last few windows are kept.
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

  /** True when all of [offset, offset+length) reads as zeros. */
  async readsAsZeros(offset: number, length: number): Promise<boolean> {
    const ranges = await this.window(Math.floor(offset / this.windowBytes));
    const end = offset + length;
    // Binary search for the last range starting at or before `offset`.
    let lo = 0;
    let hi = ranges.length / 2 - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (ranges[2 * mid] <= offset) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found >= 0 && ranges[2 * found + 1] >= end;
  }

  private window(index: number): Promise<number[]> {
    let ranges = this.windows.get(index);
    if (ranges === undefined) {
      const start = index * this.windowBytes;
      ranges = this.extents(start, Math.min(this.windowBytes, this.size - start)).then(zeroRanges);
      this.windows.set(index, ranges);
      for (const old of this.windows.keys()) if (old <= index - KEEP_WINDOWS) this.windows.delete(old);
    }
    return ranges;
  }
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
