/**
 * Encodes NBD transmission replies (server side): simple replies and
 * structured reply chunks. Read data is never copied: the header goes first
 * and the data Buffer beside it, by reference.
 *
 * `cookie` is written as given: pass the request's raw `cookie` (bigint) to
 * echo all 64 bits, or a number tag below 2^53 (faster, no BigInt).
 */
import { InvalidArgumentError } from '../core/errors.js';
import {
  ChunkType,
  ReplyFlag,
  SIMPLE_REPLY_HEADER_BYTES,
  SIMPLE_REPLY_MAGIC,
  STRUCTURED_REPLY_HEADER_BYTES,
  STRUCTURED_REPLY_MAGIC,
} from './protocol.js';
import { EXTENT_BYTES, OFFSET_HOLE_BYTES } from './protocol-extra.js';
import { nbdStringBytes } from './nbdString.js';
import { writeU64 } from './u64.js';

const H = STRUCTURED_REPLY_HEADER_BYTES;

/** Simple reply, 16 bytes: magic, u32 errno, u64 cookie. A successful READ's data follows (send it beside). */
export function encodeSimpleReply(cookie: bigint | number, errno: number): Buffer {
  const buf = Buffer.allocUnsafe(SIMPLE_REPLY_HEADER_BYTES);
  buf.writeUInt32BE(SIMPLE_REPLY_MAGIC, 0);
  buf.writeUInt32BE(errno, 4);
  writeU64(buf, 8, cookie);
  return buf;
}

/** Structured chunk header, 20 bytes: magic, u16 flags, u16 type, u64 cookie, u32 payload length. */
export function encodeChunkHeader(cookie: bigint | number, flags: number, type: number, length: number): Buffer {
  return writeChunkHeader(Buffer.allocUnsafe(H), cookie, flags, type, length);
}

/** OFFSET_DATA chunk header plus its u64 offset (28 bytes); the `dataLength` data bytes go beside it. */
export function encodeOffsetDataHeader(cookie: bigint | number, flags: number, offset: bigint | number, dataLength: number): Buffer {
  const buf = writeChunkHeader(Buffer.allocUnsafe(H + 8), cookie, flags, ChunkType.OffsetData, 8 + dataLength);
  writeU64(buf, H, offset);
  return buf;
}

/** A whole OFFSET_HOLE chunk: u64 offset, u32 size. */
export function encodeOffsetHole(cookie: bigint | number, flags: number, offset: bigint | number, size: number): Buffer {
  const buf = writeChunkHeader(Buffer.allocUnsafe(H + OFFSET_HOLE_BYTES), cookie, flags, ChunkType.OffsetHole, OFFSET_HOLE_BYTES);
  writeU64(buf, H, offset);
  buf.writeUInt32BE(size, H + 8);
  return buf;
}

/**
 * A whole error chunk: ERROR (u32 errno, u16 message length, message), or
 * ERROR_OFFSET when `offset` is given (the same, then u64 offset).
 */
export function encodeErrorChunk(
  cookie: bigint | number,
  flags: number,
  errno: number,
  message: string,
  offset?: bigint | number,
): Buffer {
  const text = nbdStringBytes(message, 'error message');
  const withOffset = offset !== undefined;
  const length = 6 + text.length + (withOffset ? 8 : 0);
  const type = withOffset ? ChunkType.ErrorOffset : ChunkType.Error;
  const buf = writeChunkHeader(Buffer.allocUnsafe(H + length), cookie, flags, type, length);
  buf.writeUInt32BE(errno, H);
  buf.writeUInt16BE(text.length, H + 4);
  text.copy(buf, H + 6);
  if (withOffset) writeU64(buf, H + 6 + text.length, offset);
  return buf;
}

/** A whole BLOCK_STATUS chunk: u32 context id, then (u32 length, u32 flags) per extent (at least one). */
export function encodeBlockStatusChunk(
  cookie: bigint | number,
  flags: number,
  contextId: number,
  extents: readonly { readonly length: number; readonly flags: number }[],
): Buffer {
  if (extents.length === 0) throw new InvalidArgumentError('a BLOCK_STATUS chunk needs at least one extent');
  const length = 4 + EXTENT_BYTES * extents.length;
  const buf = writeChunkHeader(Buffer.allocUnsafe(H + length), cookie, flags, ChunkType.BlockStatus, length);
  buf.writeUInt32BE(contextId, H);
  let pos = H + 4;
  for (const extent of extents) {
    pos = buf.writeUInt32BE(extent.length, pos);
    pos = buf.writeUInt32BE(extent.flags, pos);
  }
  return buf;
}

/** The NONE chunk that ends a structured reply (DONE set, no payload). */
export function encodeNoneChunk(cookie: bigint | number): Buffer {
  return encodeChunkHeader(cookie, ReplyFlag.Done, ChunkType.None, 0);
}

function writeChunkHeader(buf: Buffer, cookie: bigint | number, flags: number, type: number, length: number): Buffer {
  buf.writeUInt32BE(STRUCTURED_REPLY_MAGIC, 0);
  buf.writeUInt16BE(flags, 4);
  buf.writeUInt16BE(type, 6);
  writeU64(buf, 8, cookie);
  buf.writeUInt32BE(length, 16);
  return buf;
}
