/**
 * Client-side frame decoder for NBD replies: simple replies (16-byte header,
 * READ data whose length only the client knows) and structured reply chunks
 * (20-byte header with a payload length). Plugged into `frame()`.
 *
 * The chunk payload parsers and the OFFSET_DATA assembler live in their own
 * files and are re-exported here.
 */
import type { FrameDecoder, FrameHeader } from '../core/codec.js';
import { ProtocolError, UnknownTagError } from '../core/errors.js';
import {
  CHUNK_ERROR_BIT,
  ChunkType,
  Command,
  ReplyFlag,
  SIMPLE_REPLY_HEADER_BYTES,
  SIMPLE_REPLY_MAGIC,
  STRUCTURED_REPLY_HEADER_BYTES,
  STRUCTURED_REPLY_MAGIC,
} from './protocol.js';
import {
  BLOCK_STATUS_MIN_BYTES,
  ERROR_CHUNK_MIN_BYTES,
  ERROR_OFFSET_CHUNK_MIN_BYTES,
  EXTENT_BYTES,
  OFFSET_DATA_MIN_BYTES,
  OFFSET_HOLE_BYTES,
} from './protocol-extra.js';
import { readU64Safe } from './u64.js';

export * from './chunkParsers.js';
export { OffsetDataAssembler } from './offsetDataAssembler.js';

/** A decoded reply header: a simple reply, or one structured chunk. */
export interface NbdReplyHeader extends FrameHeader {
  readonly kind: 'simple' | 'structured';
  /** Simple reply: the errno (0 = success). Structured: 0 (errors come as ERROR chunks). */
  readonly error: number;
  /** Structured: chunk flags (bit 0 DONE). Simple: 0. */
  readonly flags: number;
  /** Structured: chunk type (NBD_REPLY_TYPE_*). Simple: -1. */
  readonly type: number;
  /** Payload bytes that follow the header. */
  readonly length: number;
}

/** What the client remembers about a pending request: a simple reply does not say whether data follows. */
export interface NbdPendingInfo {
  readonly command: number;
  readonly length: number;
}

export interface NbdReplyDecoderOptions {
  /** True once NBD_OPT_STRUCTURED_REPLY was acknowledged; before that a structured magic is a protocol error. */
  readonly structuredReplies: boolean;
  /** Largest payload `frame()` accepts (checked by `frame()` against `payloadLength`). */
  readonly maxPayloadBytes: number;
}

const enum Shape {
  Simple = 0,
  Structured = 1,
}

/**
 * Frames the reply stream. Decoding a simple reply looks the tag up (to know
 * whether READ data follows) and throws {@link UnknownTagError} for a tag no
 * request holds, since the rest of the stream could not be framed. Structured
 * chunks carry their length, so their tag is not looked up here; their type
 * and length are checked against proto.md (ProtocolError `NBD_BAD_CHUNK`).
 */
export class NbdReplyDecoder implements FrameDecoder<NbdReplyHeader> {
  /** The magic tells the header shape. */
  readonly prefixLength = 4;
  readonly maxPayloadBytes: number;
  private readonly structuredReplies: boolean;

  constructor(
    private readonly lookup: (tag: number) => NbdPendingInfo | undefined,
    options: NbdReplyDecoderOptions,
  ) {
    this.structuredReplies = options.structuredReplies;
    this.maxPayloadBytes = options.maxPayloadBytes;
  }

  headerLength(buf: Buffer, offset: number): number {
    return this.shape(buf, offset) === Shape.Simple ? SIMPLE_REPLY_HEADER_BYTES : STRUCTURED_REPLY_HEADER_BYTES;
  }

  decodeHeader(buf: Buffer, offset: number): NbdReplyHeader {
    const shape = this.shape(buf, offset);
    const tag = readTag(buf, offset + 8);
    if (shape === Shape.Simple) {
      const error = buf.readUInt32BE(offset + 4);
      const pending = this.lookup(tag);
      if (pending === undefined) throw new UnknownTagError(tag);
      const length = error === 0 && pending.command === Command.Read ? pending.length : 0;
      return { tag, final: true, kind: 'simple', error, flags: 0, type: -1, length };
    }
    const flags = buf.readUInt16BE(offset + 4);
    const type = buf.readUInt16BE(offset + 6);
    const length = buf.readUInt32BE(offset + 16);
    checkChunk(type, flags, length);
    return { tag, final: (flags & ReplyFlag.Done) !== 0, kind: 'structured', error: 0, flags, type, length };
  }

  payloadLength(header: NbdReplyHeader): number {
    return header.length;
  }

  private shape(buf: Buffer, offset: number): Shape {
    const magic = buf.readUInt32BE(offset);
    if (magic === SIMPLE_REPLY_MAGIC) return Shape.Simple;
    if (magic === STRUCTURED_REPLY_MAGIC) {
      if (this.structuredReplies) return Shape.Structured;
      throw new ProtocolError('structured reply chunk, but structured replies were not negotiated', 'NBD_BAD_MAGIC');
    }
    throw new ProtocolError(`bad reply magic 0x${magic.toString(16).padStart(8, '0')}`, 'NBD_BAD_MAGIC');
  }
}

/** The cookie as a tag; a cookie of 2^53 or more was never sent by us (tags are safe integers). */
function readTag(buf: Buffer, pos: number): number {
  const tag = readU64Safe(buf, pos);
  if (tag < 0) throw new UnknownTagError(buf.readBigUInt64BE(pos));
  return tag;
}

/** Chunk type and length rules of proto.md that can be checked before the payload arrives. */
function checkChunk(type: number, flags: number, length: number): void {
  let ok: boolean;
  switch (type) {
    case ChunkType.OffsetData:
      ok = length >= OFFSET_DATA_MIN_BYTES;
      break;
    case ChunkType.None:
      if ((flags & ReplyFlag.Done) === 0) throw badChunk('NONE chunk without the DONE flag');
      ok = length === 0;
      break;
    case ChunkType.OffsetHole:
      ok = length === OFFSET_HOLE_BYTES;
      break;
    case ChunkType.BlockStatus:
      ok = length >= BLOCK_STATUS_MIN_BYTES && (length - 4) % EXTENT_BYTES === 0;
      break;
    case ChunkType.ErrorOffset:
      ok = length >= ERROR_OFFSET_CHUNK_MIN_BYTES;
      break;
    default:
      // ERROR and unknown error types share the errno + message length prefix;
      // an unknown type without the error bit cannot be skipped safely.
      if ((type & CHUNK_ERROR_BIT) === 0) throw badChunk(`unknown structured reply chunk type ${type}`);
      ok = length >= ERROR_CHUNK_MIN_BYTES;
  }
  if (!ok) throw badChunk(`structured reply chunk type ${type} with invalid length ${length}`);
}

function badChunk(message: string): ProtocolError {
  return new ProtocolError(message, 'NBD_BAD_CHUNK');
}
