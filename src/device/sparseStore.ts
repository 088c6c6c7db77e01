import { InvalidArgumentError } from '../core/errors.js';

/** One run of a {@link SparseStore}'s extent map. */
export interface StoreExtent {
  /** Bytes in this run. */
  length: number;
  /** Nothing is allocated here (never written, trimmed, or zeroed without NO_HOLE). */
  hole: boolean;
  /** Reads return zeros here. */
  zero: boolean;
}

/** Options of {@link SparseStore.zero}. */
export interface ZeroOptions {
  /** Keep the range allocated (NBD_CMD_FLAG_NO_HOLE): zero in place instead of freeing. */
  noHole?: boolean;
}

/** Default allocation unit: large enough to keep the Map small, small enough to stay sparse. */
export const DEFAULT_STORE_BLOCK_SIZE = 64 * 1024;

/**
 * A sparse in-memory block device: a Map from block index to block buffer,
 * allocated on first write, so a 1 GiB export costs nothing until written.
 *
 * Zeroing with NO_HOLE marks whole blocks allocated-but-zero with one shared,
 * never-written buffer (copy-on-write), so a huge NO_HOLE zero stays cheap and
 * the extent map can still say "allocated, reads as zero" truthfully.
 */
export class SparseStore {
  readonly size: number;
  readonly blockSize: number;
  private readonly blocks = new Map<number, Buffer>();
  /** Shared block standing for "allocated, all zero" (and read for holes); never written to. */
  private readonly zeroBlock: Buffer;

  constructor(size: bigint | number, blockSize = DEFAULT_STORE_BLOCK_SIZE) {
    const n = typeof size === 'bigint' ? Number(size) : size;
    if (typeof size === 'bigint' && BigInt(n) !== size) throw new InvalidArgumentError(`store size ${size} is not exact in a Number`);
    if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`store size must be a non-negative safe integer, got ${String(size)}`);
    if (!Number.isSafeInteger(blockSize) || blockSize <= 0) throw new InvalidArgumentError(`block size must be a positive integer, got ${blockSize}`);
    this.size = n;
    this.blockSize = blockSize;
    // At least 1 MiB, so readViews can answer long holes with one view.
    this.zeroBlock = Buffer.alloc(Math.max(blockSize, 1024 * 1024));
  }

  /** Bytes held by allocated blocks (including allocated-but-zero ones), in whole blocks. */
  get allocatedBytes(): number {
    return this.blocks.size * this.blockSize;
  }

  /** Reads `length` bytes at `offset` into `dest` (or a new buffer); unallocated bytes read as zeros. */
  read(offset: number, length: number, dest?: Buffer, destOffset = 0): Buffer {
    this.checkRange(offset, length);
    let out: Buffer;
    if (dest === undefined) {
      out = Buffer.alloc(length);
    } else {
      if (!Number.isSafeInteger(destOffset) || destOffset < 0 || destOffset + length > dest.length) {
        throw new InvalidArgumentError(`destination of ${dest.length} bytes cannot take ${length} bytes at ${destOffset}`);
      }
      out = dest;
    }
    const fresh = dest === undefined;
    const bs = this.blockSize;
    let pos = offset;
    let at = destOffset;
    const end = offset + length;
    while (pos < end) {
      const index = Math.floor(pos / bs);
      const within = pos - index * bs;
      const n = Math.min(bs - within, end - pos);
      const block = this.blocks.get(index);
      if (block !== undefined && block !== this.zeroBlock) block.copy(out, at, within, within + n);
      else if (!fresh) out.fill(0, at, at + n);
      pos += n;
      at += n;
    }
    return dest === undefined ? out : out.subarray(destOffset, destOffset + length);
  }

  /**
   * The bytes at `offset` as views, without copying: subarrays of allocated
   * blocks, and of one shared all-zero block for holes. Pushes them onto
   * `out` in order and returns their total (= `length`).
   *
   * The views alias the store: a later write, trim or zero of the range may
   * change them. For an NBD reply that is safe, because a client can only send
   * a write that depends on a read after the read's reply reached it, and the
   * kernel copies the reply bytes before that.
   */
  readViews(offset: number, length: number, out: Buffer[]): number {
    this.checkRange(offset, length);
    const bs = this.blockSize;
    let pos = offset;
    const end = offset + length;
    while (pos < end) {
      const index = Math.floor(pos / bs);
      const within = pos - index * bs;
      const n = Math.min(bs - within, end - pos);
      const block = this.blocks.get(index) ?? this.zeroBlock;
      const last = out.length - 1;
      // Consecutive holes share one view of the zero block where it is long enough.
      if (block === this.zeroBlock && last >= 0 && isZeroView(out[last], this.zeroBlock) && out[last].length + n <= this.zeroBlock.length) {
        out[last] = this.zeroBlock.subarray(0, out[last].length + n);
      } else {
        out.push(block.subarray(within, within + n));
      }
      pos += n;
    }
    return length;
  }

  /** Writes `data` at `offset`, allocating blocks as they are first touched. */
  write(offset: number, data: Uint8Array): void {
    const length = data.length;
    this.checkRange(offset, length);
    const bs = this.blockSize;
    let pos = offset;
    let from = 0;
    const end = offset + length;
    while (pos < end) {
      const index = Math.floor(pos / bs);
      const within = pos - index * bs;
      const n = Math.min(bs - within, end - pos);
      let block = this.blocks.get(index);
      if (block === undefined || block === this.zeroBlock) {
        // A whole-block write needs no zero fill: the copy covers every byte.
        block = n === bs ? Buffer.allocUnsafe(bs) : Buffer.alloc(bs);
        this.blocks.set(index, block);
      }
      block.set(data.subarray(from, from + n), within);
      pos += n;
      from += n;
    }
  }

  /** Frees the whole blocks in the range and zeroes the partial ones at its edges. */
  trim(offset: number, length: number): void {
    this.checkRange(offset, length);
    this.clear(offset, length, false);
  }

  /** Makes the range read as zeros; with `noHole` it stays allocated. */
  zero(offset: number, length: number, options: ZeroOptions = {}): void {
    this.checkRange(offset, length);
    this.clear(offset, length, options.noHole === true);
  }

  /**
   * The allocation map of the range as runs of equal flags, adjacent runs
   * merged, clipped to the range. Stops after `maxExtents` runs (the last run
   * then may end before the range does).
   */
  extents(offset: number, length: number, maxExtents = Infinity): StoreExtent[] {
    this.checkRange(offset, length);
    const out: StoreExtent[] = [];
    const bs = this.blockSize;
    let pos = offset;
    const end = offset + length;
    let last: StoreExtent | undefined;
    while (pos < end) {
      const index = Math.floor(pos / bs);
      const n = Math.min((index + 1) * bs, end) - pos;
      const block = this.blocks.get(index);
      const hole = block === undefined;
      const zero = hole || block === this.zeroBlock;
      if (last !== undefined && last.hole === hole && last.zero === zero) {
        last.length += n;
      } else {
        if (out.length >= maxExtents) break;
        last = { length: n, hole, zero };
        out.push(last);
      }
      pos += n;
    }
    return out;
  }

  private clear(offset: number, length: number, keepAllocated: boolean): void {
    const bs = this.blockSize;
    let pos = offset;
    const end = offset + length;
    while (pos < end) {
      const index = Math.floor(pos / bs);
      const within = pos - index * bs;
      const n = Math.min(bs - within, end - pos);
      const block = this.blocks.get(index);
      if (n === bs) {
        if (keepAllocated) this.blocks.set(index, this.zeroBlock);
        else this.blocks.delete(index);
      } else if (block !== undefined && block !== this.zeroBlock) {
        block.fill(0, within, within + n);
      } else if (block === undefined && keepAllocated) {
        // A partial NO_HOLE zero of a hole: the whole block reads as zero, so the shared block stands for it.
        this.blocks.set(index, this.zeroBlock);
      }
      pos += n;
    }
  }

  private checkRange(offset: number, length: number): void {
    if (!Number.isSafeInteger(offset) || offset < 0) throw new InvalidArgumentError(`offset must be a non-negative safe integer, got ${offset}`);
    if (!Number.isSafeInteger(length) || length < 0) throw new InvalidArgumentError(`length must be a non-negative safe integer, got ${length}`);
    if (offset + length > this.size) throw new InvalidArgumentError(`range ${offset}+${length} is past the end (${this.size})`);
  }
}

/** True when `view` lies in `zeroBlock`'s memory (a view made by readViews for a hole). */
function isZeroView(view: Buffer, zeroBlock: Buffer): boolean {
  return view.buffer === zeroBlock.buffer && view.byteOffset >= zeroBlock.byteOffset && view.byteOffset < zeroBlock.byteOffset + zeroBlock.length;
}
