/**
 * Buffers for reply data, carved from 1 MiB slabs. Node's own pool stops at
 * 4 KiB, so every 4 KiB read would otherwise be a fresh ArrayBuffer: at
 * 100k reads a second that allocation and its garbage collection were about
 * a tenth of the client's CPU. Like Node's pool, a slab lives while any
 * buffer carved from it does.
 */
const SLAB_BYTES = 1024 * 1024;
/** Larger buffers get their own memory. */
const CARVE_BELOW = 64 * 1024;

let slab = Buffer.allocUnsafeSlow(0);
let used = 0;

/** An uninitialised buffer of `length` bytes (fill or overwrite all of it). */
export function allocReplyBuffer(length: number): Buffer {
  if (length >= CARVE_BELOW) return Buffer.allocUnsafe(length);
  if (used + length > slab.length) {
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
    used = 0;
  }
  const out = slab.subarray(used, used + length);
  // Keep 8-byte alignment for whoever views the bytes as wider integers.
  used = (used + length + 7) & ~7;
  return out;
}
