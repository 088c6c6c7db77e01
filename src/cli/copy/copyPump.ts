/**
 * Moves a source to a destination with `requests` lanes, each owning one
 * buffer of `requestSize` bytes: a lane claims the next chunk, reads it into
 * its buffer, writes it out, and claims again. At most `requests` chunks are
 * in flight and nothing is queued beyond them (no range() into mergeMap:
 * PERF-NOTES item 4). The parts of a chunk the source knows to read as zeros
 * are zeroed on the destination instead of being read and written (like
 * nbdcopy, which splits its requests at extent boundaries too), unless they
 * are too short to be worth a request of their own.
 */
import { RxbridgeError } from '../../core/errors.js';
import type { CopyDestination, CopySource } from './endpoints.js';

/** A zero range inside a chunk shorter than this is copied with the data around it. */
export const MIN_ZERO_RUN = 64 * 1024;

export interface CopyOptions {
  requests: number;
  requestSize: number;
  /** Called after every chunk with the bytes done so far. */
  onProgress?: (bytesDone: number) => void;
}

export interface CopyResult {
  /** Bytes copied, zeroed ranges included. */
  bytes: number;
  /** Of which zeroed without being read. */
  zeroBytes: number;
}

const NO_ZEROS: readonly number[] = [];

/** Copies everything and resolves with the totals; rejects with the first error once every lane has stopped. */
export async function runCopy(source: CopySource, destination: CopyDestination, options: CopyOptions): Promise<CopyResult> {
  const { requestSize } = options;
  const size = source.size;
  await destination.prepare(size);

  let cursor = 0;
  let ended = false;
  let failure: unknown;
  const result: CopyResult = { bytes: 0, zeroBytes: 0 };

  /** Reads [offset, offset+length) into `into` and writes it out; false at the end of a stream. */
  const copyData = async (offset: number, length: number, into: Buffer): Promise<boolean> => {
    const got = await source.read(offset, length, into);
    if (got < length && size !== undefined) throw new RxbridgeError('RXB_SHORT_READ', `${source.name} ended at ${offset + got}, before its size ${size}`);
    // Only what was read: the buffer may be longer (the last chunk, a piece of a chunk).
    if (got > 0) await destination.write(offset, got === into.length ? into : into.subarray(0, got));
    result.bytes += got;
    return got === length;
  };

  const zero = async (offset: number, length: number): Promise<void> => {
    await destination.zero(offset, length);
    result.zeroBytes += length;
    result.bytes += length;
  };

  /** A chunk with zero ranges in it: data pieces read and written, zero pieces zeroed, in order. */
  const copyPieces = async (offset: number, length: number, zeros: readonly number[], buffer: Buffer): Promise<void> => {
    let at = offset;
    for (let i = 0; i < zeros.length; i += 2) {
      const start = zeros[i];
      const end = zeros[i + 1];
      if (end - start < MIN_ZERO_RUN) continue; // copied with the data around it
      if (start > at) await copyData(at, start - at, buffer.subarray(at - offset, start - offset));
      await zero(start, end - start);
      at = end;
    }
    if (at < offset + length) await copyData(at, offset + length - at, buffer.subarray(at - offset, length));
  };

  const lane = async (buffer: Buffer): Promise<void> => {
    while (failure === undefined && !ended && (size === undefined || cursor < size)) {
      const offset = cursor;
      const length = size === undefined ? requestSize : Math.min(requestSize, size - offset);
      cursor += length;
      try {
        const zeros = source.zerosWithin === undefined ? NO_ZEROS : await source.zerosWithin(offset, length);
        if (zeros.length === 0) {
          if (!(await copyData(offset, length, length === buffer.length ? buffer : buffer.subarray(0, length)))) ended = true;
        } else if (zeros.length === 2 && zeros[0] === offset && zeros[1] === offset + length) {
          await zero(offset, length);
        } else {
          await copyPieces(offset, length, zeros, buffer);
        }
      } catch (err) {
        failure ??= err;
        return;
      }
      options.onProgress?.(result.bytes);
    }
  };

  const lanes = Math.max(1, size === undefined ? options.requests : Math.min(options.requests, Math.ceil(size / requestSize)));
  await Promise.all(Array.from({ length: lanes }, () => lane(Buffer.allocUnsafe(requestSize))));
  if (failure !== undefined) throw failure;
  return result;
}
