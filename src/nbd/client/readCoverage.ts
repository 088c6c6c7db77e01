/**
 * Which bytes of one READ its reply has covered, exactly. A chunk that
 * overlaps bytes already covered is refused, so a covered count equal to the
 * length proves that every byte was written: a server that sends one range
 * twice and another never must not make a read succeed with bytes nobody
 * wrote (uninitialised memory, in a fresh `allocUnsafe` destination).
 *
 * Chunks that arrive in order cost two comparisons. The first chunk out of
 * order switches to a bitmap of the request, sized by our own request length,
 * never by the peer; since overlaps are refused, the bitmap work of a whole
 * reply is bounded by that length.
 */
export class ReadCoverage {
  /** Bytes covered so far. */
  covered = 0;
  /** While chunks come in order: everything in [0, end) is covered, nothing else. */
  private end = 0;
  private bitmap: Uint8Array | undefined;

  constructor(private readonly length: number) {}

  /** Marks [start, start + size) covered; false (and nothing marked) when it leaves the request or overlaps. */
  add(start: number, size: number): boolean {
    if (!(start >= 0 && size >= 0 && start + size <= this.length)) return false;
    if (this.bitmap === undefined) {
      if (start === this.end) {
        this.end += size;
        this.covered += size;
        return true;
      }
      this.bitmap = new Uint8Array((this.length + 7) >>> 3);
      this.mark(0, this.end);
    }
    for (let i = start; i < start + size; i++) {
      if (this.bitmap[i >>> 3] & (1 << (i & 7))) return false;
    }
    this.mark(start, size);
    this.covered += size;
    return true;
  }

  private mark(start: number, size: number): void {
    const bitmap = this.bitmap!;
    for (let i = start; i < start + size; i++) bitmap[i >>> 3] |= 1 << (i & 7);
  }
}
