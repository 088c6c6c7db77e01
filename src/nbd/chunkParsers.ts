/**
 * Parsers for the payloads of structured reply chunks (client side). Each
 * takes the whole payload (small: error, hole and block status chunks) and
 * throws ProtocolError `NBD_BAD_CHUNK` for malformed contents. OFFSET_DATA
 * payloads can be large and arrive in parts: see OffsetDataAssembler.
 */
import { ProtocolError } from '../core/errors.js';
import { ChunkType } from './protocol.js';
import { BLOCK_STATUS_MIN_BYTES, ERROR_CHUNK_MIN_BYTES, EXTENT_BYTES, OFFSET_HOLE_BYTES } from './protocol-extra.js';

/** An ERROR / ERROR_OFFSET chunk (or an unknown error type: errno and message only). */
export interface NbdErrorChunk {
  readonly errno: number;
  readonly message: string;
  /** ERROR_OFFSET only. */
  readonly offset?: bigint;
}

export interface NbdOffsetHole {
  readonly offset: bigint;
  readonly size: number;
}

export interface NbdExtent {
  readonly length: number;
  readonly flags: number;
}

export interface NbdBlockStatus {
  readonly contextId: number;
  readonly extents: NbdExtent[];
}

/**
 * Parses an error chunk: u32 errno, u16 message length, message, and for
 * ERROR_OFFSET a u64 offset right after the message.
 *
 * @param payload The whole chunk payload.
 * @param type The chunk type (ERROR, ERROR_OFFSET, or another type with bit 15 set).
 */
export function parseErrorChunk(payload: Buffer, type: number = ChunkType.Error): NbdErrorChunk {
  if (payload.length < ERROR_CHUNK_MIN_BYTES) throw bad(`error chunk of ${payload.length} bytes is too short`);
  const errno = payload.readUInt32BE(0);
  const messageLength = payload.readUInt16BE(4);
  const messageEnd = ERROR_CHUNK_MIN_BYTES + messageLength;
  const needed = type === ChunkType.ErrorOffset ? messageEnd + 8 : messageEnd;
  if (needed > payload.length) {
    throw bad(`error chunk message of ${messageLength} bytes does not fit in its ${payload.length}-byte payload`);
  }
  const message = payload.toString('utf8', ERROR_CHUNK_MIN_BYTES, messageEnd);
  if (type === ChunkType.ErrorOffset) return { errno, message, offset: payload.readBigUInt64BE(messageEnd) };
  return { errno, message };
}

/** Parses an OFFSET_HOLE chunk: u64 offset, u32 size (nonzero). */
export function parseOffsetHole(payload: Buffer): NbdOffsetHole {
  if (payload.length !== OFFSET_HOLE_BYTES) throw bad(`OFFSET_HOLE chunk of ${payload.length} bytes (expected 12)`);
  const size = payload.readUInt32BE(8);
  if (size === 0) throw bad('OFFSET_HOLE chunk with a zero size');
  return { offset: payload.readBigUInt64BE(0), size };
}

/** Parses a BLOCK_STATUS chunk: u32 context id, then one or more (u32 length (nonzero), u32 flags) extents. */
export function parseBlockStatus(payload: Buffer): NbdBlockStatus {
  const n = payload.length;
  if (n < BLOCK_STATUS_MIN_BYTES || (n - 4) % EXTENT_BYTES !== 0) {
    throw bad(`BLOCK_STATUS chunk of ${n} bytes (expected 4 + a positive multiple of 8)`);
  }
  const extents: NbdExtent[] = [];
  for (let pos = 4; pos < n; pos += EXTENT_BYTES) {
    const length = payload.readUInt32BE(pos);
    if (length === 0) throw bad('BLOCK_STATUS extent with a zero length');
    extents.push({ length, flags: payload.readUInt32BE(pos + 4) });
  }
  return { contextId: payload.readUInt32BE(0), extents };
}

/** The export offset at the start of an OFFSET_DATA payload (8 bytes must be available at `pos`). */
export function readChunkOffset(buf: Buffer, pos: number): bigint {
  return buf.readBigUInt64BE(pos);
}

/**
 * Checks that `size` bytes at export offset `chunkOffset` lie inside the
 * request [requestOffset, requestOffset + requestLength) and returns where
 * they start within the request. Throws ProtocolError `NBD_BAD_CHUNK` otherwise.
 */
export function chunkOffsetWithinRequest(
  chunkOffset: bigint | number,
  size: number,
  requestOffset: bigint | number,
  requestLength: number,
): number {
  // Offsets above 2^53 lose precision as numbers, but they also lie far past
  // any request the client sends (its offsets are numbers), so they still fail.
  const within = Number(chunkOffset) - Number(requestOffset);
  if (within >= 0 && within + size <= requestLength) return within;
  throw bad(
    `chunk data [${chunkOffset}, +${size}) lies outside the request [${requestOffset}, +${requestLength})`,
  );
}

function bad(message: string): ProtocolError {
  return new ProtocolError(message, 'NBD_BAD_CHUNK');
}
