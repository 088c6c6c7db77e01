import type { Batch, Unit } from '../../src/core/codec.js';

/** Bytes of each slab small buffers are copied into (more for a larger buffer). */
const SLAB_BYTES = 64 * 1024;

/**
 * The byte work behind `rebuffer`: packs units into write batches.
 *
 * Consecutive small buffers (below `copyBelow`) form a run that goes out as
 * one buffer. The first buffer of a run is held by reference (a lone header
 * needs no copy); from the second on, the run is copied into a shared slab as
 * it grows, and leaves as one view of it. Slabs are only ever appended to and
 * are replaced, never rewritten, when full, so a view handed to the socket
 * stays valid. Large buffers go by reference. A batch never holds more than
 * `maxBatchBytes`: a unit that does not fit in the current batch starts the
 * next one, and only a unit larger than a whole batch is split, into
 * `subarray` views across consecutive batches, so a unit's bytes stay
 * contiguous and in order.
 */
export class BatchBuilder<U extends Unit> {
  private buffers: Buffer[] = [];
  private units: U[] = [];
  /** Bytes in the batch being built (including the open run). */
  bytes = 0;
  /** The open run's first buffer while it is the only one (by reference). */
  private runHead: Buffer | undefined;
  /** Where the open run starts in `slab` once it has been copied there; -1 when not copied. */
  private runStart = -1;
  private slab = Buffer.allocUnsafe(0);
  private slabUsed = 0;

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
    const max = this.maxBatchBytes;
    // A unit that fits in a batch of its own is not split: one that would
    // overflow this batch starts the next (a split costs an extra write call).
    if (this.bytes > 0 && this.bytes + unit.bytes > max && unit.bytes <= max) emit(this.take());
    const unitBuffers = unit.buffers;
    for (let i = 0; i < unitBuffers.length; i++) {
      const buf = unitBuffers[i];
      const length = buf.length;
      if (length === 0) continue;
      const small = length < this.copyBelow;
      if (this.bytes + length <= max) {
        this.add(buf, small);
        continue;
      }
      // Larger than what is left of the batch: views across batches.
      let offset = 0;
      while (offset < length) {
        if (this.bytes === max) emit(this.take());
        const n = Math.min(length - offset, max - this.bytes);
        this.add(buf.subarray(offset, offset + n), small);
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
    this.runHead = undefined;
    this.runStart = -1;
    this.bytes = 0;
  }

  /** Adds a buffer (or a piece of one) that fits in the current batch; `small` ones are copied. */
  private add(buf: Buffer, small: boolean): void {
    this.bytes += buf.length;
    if (!small) {
      this.closeRun();
      this.buffers.push(buf);
    } else if (this.runStart >= 0) {
      this.copyIntoRun(buf);
    } else if (this.runHead === undefined) {
      this.runHead = buf;
    } else {
      const head = this.runHead;
      this.runHead = undefined;
      this.copyIntoRun(head);
      this.copyIntoRun(buf);
    }
  }

  /** Copies a small buffer onto the open run in the slab, moving to a fresh slab when full. */
  private copyIntoRun(buf: Buffer): void {
    if (this.slabUsed + buf.length > this.slab.length) {
      // The run so far leaves as one view of the full slab; it goes on in the next.
      if (this.runStart >= 0) this.buffers.push(this.slab.subarray(this.runStart, this.slabUsed));
      this.slab = Buffer.allocUnsafe(Math.max(SLAB_BYTES, buf.length));
      this.slabUsed = 0;
      this.runStart = 0;
    } else if (this.runStart < 0) {
      this.runStart = this.slabUsed;
    }
    this.slab.set(buf, this.slabUsed);
    this.slabUsed += buf.length;
  }

  private closeRun(): void {
    if (this.runHead !== undefined) {
      this.buffers.push(this.runHead); // nothing to coalesce: keep the reference
      this.runHead = undefined;
    } else if (this.runStart >= 0) {
      this.buffers.push(this.slab.subarray(this.runStart, this.slabUsed));
      this.runStart = -1;
    }
  }
}
