/**
 * Server-side frame decoder for NBD requests: a 28-byte header, then a
 * WRITE's payload. Plugged into `frame()` by the device emulator.
 */
import type { FrameDecoder, FrameHeader } from '../core/codec.js';
import { ProtocolError } from '../core/errors.js';
import { Command, REQUEST_HEADER_BYTES, REQUEST_MAGIC } from './protocol.js';

/** A decoded request header. Every request is one frame, so `final` is always true. */
export interface NbdRequestHeader extends FrameHeader {
  /** The cookie as a number; exact below 2^53 (answer with `cookie`, which is always exact). */
  readonly tag: number;
  readonly final: true;
  /** NBD_CMD_*; unknown values are passed on for the server to refuse with EINVAL. */
  readonly type: number;
  /** NBD_CMD_FLAG_* bits. */
  readonly flags: number;
  /** The raw u64 cookie, echoed in replies: a client may use all 64 bits. */
  readonly cookie: bigint;
  readonly offset: bigint;
  readonly length: number;
}

export interface NbdRequestDecoderOptions {
  /** Largest WRITE payload `frame()` accepts (checked by `frame()` against `payloadLength`). */
  readonly maxPayloadBytes: number;
}

export class NbdRequestDecoder implements FrameDecoder<NbdRequestHeader> {
  /** The magic, checked before the rest of the header is waited for. */
  readonly prefixLength = 4;
  readonly maxPayloadBytes: number;

  constructor(options: NbdRequestDecoderOptions) {
    this.maxPayloadBytes = options.maxPayloadBytes;
  }

  headerLength(buf: Buffer, offset: number): number {
    checkMagic(buf, offset);
    return REQUEST_HEADER_BYTES;
  }

  decodeHeader(buf: Buffer, offset: number): NbdRequestHeader {
    checkMagic(buf, offset);
    const cookie = buf.readBigUInt64BE(offset + 8);
    return {
      tag: buf.readUInt32BE(offset + 8) * 4294967296 + buf.readUInt32BE(offset + 12),
      final: true,
      type: buf.readUInt16BE(offset + 6),
      flags: buf.readUInt16BE(offset + 4),
      cookie,
      offset: buf.readBigUInt64BE(offset + 16),
      length: buf.readUInt32BE(offset + 24),
    };
  }

  /** Only a WRITE carries a payload. */
  payloadLength(header: NbdRequestHeader): number {
    return header.type === Command.Write ? header.length : 0;
  }
}

function checkMagic(buf: Buffer, offset: number): void {
  const magic = buf.readUInt32BE(offset);
  if (magic !== REQUEST_MAGIC) {
    throw new ProtocolError(`bad request magic 0x${magic.toString(16).padStart(8, '0')}`, 'NBD_BAD_MAGIC');
  }
}
