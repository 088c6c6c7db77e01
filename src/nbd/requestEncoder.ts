/**
 * Encodes NBD transmission requests (client side). One 28-byte header per
 * request from Node's buffer pool; a WRITE's payload is not copied: the caller
 * puts `[header, payload]` in its Unit.
 */
import { REQUEST_HEADER_BYTES, REQUEST_MAGIC, type Command } from './protocol.js';
import { writeU64 } from './u64.js';

/**
 * Encodes a request header.
 *
 * ```
 * u32 0x25609513 | u16 flags | u16 type | u64 cookie | u64 offset | u32 length
 * ```
 *
 * @param type NBD_CMD_* command.
 * @param flags NBD_CMD_FLAG_* bits.
 * @param tag The request's tag, written as the u64 cookie (an integer below 2^53).
 * @param offset Export offset; a number is written without BigInt (faster).
 * @param length Bytes to read or write (u32).
 * @return A fresh 28-byte Buffer.
 */
export function encodeRequest(type: Command, flags: number, tag: number, offset: bigint | number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(REQUEST_HEADER_BYTES);
  buf.writeUInt32BE(REQUEST_MAGIC, 0);
  buf.writeUInt16BE(flags, 4);
  buf.writeUInt16BE(type, 6);
  writeU64(buf, 8, tag);
  writeU64(buf, 16, offset);
  buf.writeUInt32BE(length, 24);
  return buf;
}
