/**
 * u64 fields (cookies, offsets, sizes) without BigInt on the hot path: a
 * number is written as two u32 halves; a bigint only when the caller has one.
 */

const TWO_32 = 4294967296;
/** Largest high half that keeps hi * 2^32 + lo a safe integer (2^53 - 1). */
const MAX_SAFE_HIGH = 0x1fffff;

/** Writes `value` as a big-endian u64 at `pos`. Numbers must be integers in [0, 2^53). */
export function writeU64(buf: Buffer, pos: number, value: bigint | number): void {
  if (typeof value === 'number') {
    buf.writeUInt32BE(Math.floor(value / TWO_32), pos);
    buf.writeUInt32BE(value >>> 0, pos + 4);
  } else {
    buf.writeBigUInt64BE(value, pos);
  }
}

/** Reads a big-endian u64 at `pos` as a number, or -1 when it is 2^53 or more (not exactly representable). */
export function readU64Safe(buf: Buffer, pos: number): number {
  const hi = buf.readUInt32BE(pos);
  if (hi > MAX_SAFE_HIGH) return -1;
  return hi * TWO_32 + buf.readUInt32BE(pos + 4);
}
