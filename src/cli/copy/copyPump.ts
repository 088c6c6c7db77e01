/**
 * Moves a source to a destination with `requests` lanes, each owning one
 * buffer of `requestSize` bytes: a lane claims the next chunk, reads it into
 * its buffer, writes it out, and claims again. At most `requests` chunks are
 * in flight and nothing is queued beyond them (no range() into mergeMap:
 * PERF-NOTES item 4). Chunks the source knows to read as zeros are zeroed on
 * the destination instead of being read and written.
 */
import { RxbridgeError } from '../../core/errors.js';
import type { CopyDestination, CopySource } from './endpoints.js';

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

/** Copies everything and resolves with the totals; rejects with the first error once every lane has stopped. */
export async function runCopy(source: CopySource, destination: CopyDestination, options: CopyOptions): Promise<CopyResult> {
  const { requestSize } = options;
  const size = source.size;
  await destination.prepare(size);

  let cursor = 0;
  let ended = false;
  let failure: unknown;
  const result: CopyResult = { bytes: 0, zeroBytes: 0 };

  const lane = async (buffer: Buffer): Promise<void> => {
    while (failure === undefined && !ended && (size === undefined || cursor < size)) {
      const offset = cursor;
      const length = size === undefined ? requestSize : Math.min(requestSize, size - offset);
      cursor += length;
      try {
        if (source.readsAsZeros !== undefined && (await source.readsAsZeros(offset, length))) {
          await destination.zero(offset, length);
          result.zeroBytes += length;
          result.bytes += length;
        } else {
          const got = await source.read(offset, length, buffer);
          if (got < length) {
            if (size !== undefined) throw new RxbridgeError('RXB_SHORT_READ', `${source.name} ended at ${offset + got}, before its size ${size}`);
            ended = true;
          }
          if (got > 0) await destination.write(offset, got === length ? buffer : buffer.subarray(0, got));
          result.bytes += got;
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
