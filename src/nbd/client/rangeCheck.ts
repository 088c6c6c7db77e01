import { InvalidArgumentError } from '../../core/errors.js';
import type { NbdExportInfo } from './types.js';

/** Turns a caller's offset into a safe integer, or throws a clear error. */
export function toOffset(offset: bigint | number): number {
  const n = typeof offset === 'bigint' ? Number(offset) : offset;
  if (!Number.isSafeInteger(n) || n < 0 || (typeof offset === 'bigint' && BigInt(n) !== offset)) {
    throw new InvalidArgumentError(`offset ${offset} is not a non-negative safe integer`);
  }
  return n;
}

/**
 * Checks a range against the export before anything is sent: inside the
 * export, and aligned to the advertised minimum block size.
 */
export function checkRange(info: NbdExportInfo, offset: bigint | number, length: number, what: string): number {
  const start = toOffset(offset);
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new InvalidArgumentError(`${what}: length ${length} is not a non-negative integer`);
  }
  // Numbers while both sides are exact (every export below 8 PiB); BigInt only beyond.
  const size = Number(info.size);
  const past = Number.isSafeInteger(size) && Number.isSafeInteger(start + length)
    ? start + length > size
    : BigInt(start) + BigInt(length) > info.size;
  if (past) {
    throw new InvalidArgumentError(`${what}: range ${start}+${length} goes past the end of the export (${info.size} bytes)`);
  }
  const min = info.blockSize.minimum;
  if (info.blockSize.advertised && min > 1 && (start % min !== 0 || length % min !== 0)) {
    throw new InvalidArgumentError(`${what}: offset ${start} and length ${length} must be multiples of the minimum block size ${min}`);
  }
  return start;
}
