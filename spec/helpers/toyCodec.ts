/**
 * A toy frame format for specs of the protocol-agnostic engine. Two header
 * shapes, told apart by the first byte, so `headerLength` matters:
 *
 * ```
 * plain     (10 bytes):     0xA1 | tag u32 | final u8 | length u32
 * extended  (11 + n bytes): 0xA2 | n u8 | tag u32 | final u8 | length u32 | extension[n]
 * ```
 *
 * Integers are big-endian; `length` payload bytes follow the header.
 */
import type { FrameDecoder, FrameHeader } from '../../src/core/codec.js';
import { ProtocolError } from '../../src/core/errors.js';

export const TOY_PLAIN_MAGIC = 0xa1;
export const TOY_EXTENDED_MAGIC = 0xa2;
export const TOY_PLAIN_HEADER_BYTES = 10;
export const TOY_EXTENDED_HEADER_BYTES = 11;

export interface ToyHeader extends FrameHeader {
  /** Payload bytes that follow the header. */
  readonly length: number;
  /** Extra header bytes of the extended shape (a copy), empty for the plain shape. */
  readonly extension: Buffer;
}

export class ToyDecoder implements FrameDecoder<ToyHeader> {
  /** Magic and, for the extended shape, the extension length. */
  readonly prefixLength: number = 2;

  constructor(readonly maxPayloadBytes = 1024 * 1024) {}

  headerLength(buf: Buffer, offset: number): number {
    const magic = buf[offset];
    if (magic === TOY_PLAIN_MAGIC) return TOY_PLAIN_HEADER_BYTES;
    if (magic === TOY_EXTENDED_MAGIC) return TOY_EXTENDED_HEADER_BYTES + buf[offset + 1]!;
    throw new ProtocolError(`bad toy magic 0x${magic?.toString(16)}`);
  }

  decodeHeader(buf: Buffer, offset: number): ToyHeader {
    const extended = buf[offset] === TOY_EXTENDED_MAGIC;
    const at = extended ? offset + 2 : offset + 1;
    const extensionLength = extended ? buf[offset + 1]! : 0;
    return {
      tag: buf.readUInt32BE(at),
      final: buf[at + 4] !== 0,
      length: buf.readUInt32BE(at + 5),
      // Copied: `buf` may be a reused receive buffer.
      extension: Buffer.from(buf.subarray(at + 9, at + 9 + extensionLength)),
    };
  }

  payloadLength(header: ToyHeader): number {
    return header.length;
  }
}

/** The header alone; `length` may lie (to test limits). An `extension` selects the extended shape. */
export function encodeToyHeader(tag: number, final: boolean, length: number, extension?: Uint8Array): Buffer {
  const extensionLength = extension?.length ?? 0;
  if (extensionLength > 255) throw new RangeError('toy extension longer than 255 bytes');
  const header = Buffer.alloc(extension ? TOY_EXTENDED_HEADER_BYTES + extensionLength : TOY_PLAIN_HEADER_BYTES);
  let at = 0;
  header[at++] = extension ? TOY_EXTENDED_MAGIC : TOY_PLAIN_MAGIC;
  if (extension) header[at++] = extensionLength;
  at = header.writeUInt32BE(tag >>> 0, at);
  header[at++] = final ? 1 : 0;
  at = header.writeUInt32BE(length >>> 0, at);
  if (extension) header.set(extension, at);
  return header;
}

/** A whole frame: header then payload. */
export function encodeToyFrame(tag: number, final: boolean, payload: Uint8Array, extension?: Uint8Array): Buffer {
  return Buffer.concat([encodeToyHeader(tag, final, payload.length, extension), payload]);
}

/** The header `ToyDecoder` yields for a frame encoded with these arguments. */
export function toyHeader(tag: number, final: boolean, length: number, extension?: Uint8Array): ToyHeader {
  return { tag: tag >>> 0, final, length: length >>> 0, extension: Buffer.from(extension ?? []) };
}
