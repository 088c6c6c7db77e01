import type { Batch, Unit } from '../../src/core/codec.js';

/**
 * The byte work behind `rebuffer`: packs units into write batches.
 *
 * Consecutive small buffers (below `copyBelow`) are collected by reference in a
 * run and copied once, into one slab sized exactly to the run, when the run
 * ends (a large buffer arrives or the batch is taken). Large buffers go by
 * reference. A batch never holds more than `maxBatchBytes`: a unit that does
 * not fit in the current batch starts the next one, and only a unit larger
 * than a whole batch is split, into `subarray` views across consecutive
 * batches, so a unit's bytes stay contiguous and in order.
 */
export class BatchBuilder<U extends Unit> {
  private buffers: Buffer[] = [];
  private units: U[] = [];
  /** Small buffers waiting to be copied together; reused across batches. */
  private readonly run: Buffer[] = [];
  private runBytes = 0;
  /** Bytes in the batch being built (including the pending run). */
  bytes = 0;

  constructor(
    private readonly maxBatchBytes: number,
    private readonly copyBelow: number,
  ) {}

  get isEmpty(): boolean {
    return this.bytes === 0 && this.units.length === 0;
  }

  /**
   * Appends one unit. Each batch that fills up to `maxBatchBytes` before the
   * unit's last byte is handed to `emit` on the way (already detached, so a
   * re-entrant caller sees a fresh batch).
   */
  append(unit: U, emit: (batch: Batch<U>) => void): void {
    // A unit that fits in a batch of its own is not split: one that would
    // overflow this batch starts the next (a split costs an extra write call).
    if (this.bytes > 0 && this.bytes + unit.bytes > this.maxBatchBytes && unit.bytes <= this.maxBatchBytes) emit(this.take());
    const unitBuffers = unit.buffers;
    for (let i = 0; i < unitBuffers.length; i++) {
      const buf = unitBuffers[i];
      const small = buf.length < this.copyBelow;
      let offset = 0;
      while (offset < buf.length) {
        if (this.bytes === this.maxBatchBytes) emit(this.take());
        const n = Math.min(buf.length - offset, this.maxBatchBytes - this.bytes);
        const piece = offset === 0 && n === buf.length ? buf : buf.subarray(offset, offset + n);
        if (small) {
          this.run.push(piece);
          this.runBytes += n;
        } else {
          this.closeRun();
          this.buffers.push(piece);
        }
        this.bytes += n;
        offset += n;
      }
    }
    this.units.push(unit); // its last byte is in this batch
  }

  /** Detaches the batch built so far and starts an empty one. */
  take(): Batch<U> {
    this.closeRun();
    const batch: Batch<U> = { buffers: this.buffers, bytes: this.bytes, units: this.units };
    this.buffers = [];
    this.units = [];
    this.bytes = 0;
    return batch;
  }

  /** Drops everything (teardown). */
  reset(): void {
    this.buffers = [];
    this.units = [];
    this.run.length = 0;
    this.runBytes = 0;
    this.bytes = 0;
  }

  private closeRun(): void {
    const run = this.run;
    if (run.length === 0) return;
    if (run.length === 1) {
      this.buffers.push(run[0]); // nothing to coalesce: keep the reference
    } else {
      const slab = Buffer.allocUnsafe(this.runBytes);
      let at = 0;
      for (let i = 0; i < run.length; i++) {
        slab.set(run[i], at);
        at += run[i].length;
      }
      this.buffers.push(slab);
    }
    run.length = 0;
    this.runBytes = 0;
  }
}
