import type { Observer } from 'rxjs';
import type { FramePart } from '../../core/codec.js';
import { ProtocolError, toRxbridgeError } from '../../core/errors.js';
import { CHUNK_ERROR_BIT, ChunkType } from '../protocol.js';
import { NbdError } from '../errors.js';
import { OffsetDataAssembler, parseErrorChunk, parseOffsetHole, chunkOffsetWithinRequest, type NbdReplyHeader } from '../replyDecoder.js';
import { ChunkCollector } from './chunkCollector.js';
import { ReadCoverage } from './readCoverage.js';

type Part = FramePart<NbdReplyHeader>;

/** Every field of an error chunk lies in its first bytes: errno, message length, a message of up to 65535 bytes, an offset. */
const ERROR_CHUNK_KEEP_BYTES = 14 + 0xffff;

/** What a multi-piece operation hears from each of its pieces. */
export interface PieceParent {
  pieceDone(): void;
  pieceFailed(error: Error): void;
}

/**
 * The error an error chunk carries, once its last part is in: a long message
 * makes the chunk arrive in several parts, which `collector` gathers.
 */
function chunkError(part: Part, collector: ChunkCollector): Error | undefined {
  const whole = collector.push(part);
  if (whole === undefined) return undefined;
  const chunk = parseErrorChunk(whole, part.header.type);
  return new NbdError(chunk.errno, chunk.message, chunk.offset);
}

/**
 * Observes the reply of a request that returns no data (WRITE, FLUSH, TRIM,
 * WRITE_ZEROES, CACHE): success, or the first error the server reported.
 */
export class StatusPiece implements Observer<Part> {
  private failure: Error | undefined;
  /** Created for the first error chunk: errors are rare, requests are not. */
  private errors: ChunkCollector | undefined;

  constructor(private readonly parent: PieceParent) {}

  next(part: Part): void {
    if (this.failure) return;
    try {
      const h = part.header;
      if (h.kind === 'simple') {
        if (h.error !== 0) this.failure = new NbdError(h.error);
      } else if ((h.type & CHUNK_ERROR_BIT) !== 0) {
        this.failure = chunkError(part, (this.errors ??= new ChunkCollector(ERROR_CHUNK_KEEP_BYTES)));
      } else if (h.type !== ChunkType.None) {
        this.failure = new ProtocolError(`unexpected chunk type ${h.type} in a reply without data`, 'NBD_BAD_CHUNK');
      }
    } catch (err) {
      this.failure = toRxbridgeError(err);
    }
  }

  error(err: Error): void {
    this.parent.pieceFailed(err);
  }

  complete(): void {
    if (this.failure) this.parent.pieceFailed(this.failure);
    else this.parent.pieceDone();
  }

  /** The request is sent again: forget what its lost reply said. */
  reset(): void {
    this.failure = undefined;
  }
}

/**
 * Observes one READ: copies simple-reply data and OFFSET_DATA chunks straight
 * into the destination, zero-fills OFFSET_HOLE chunks, and checks that the
 * reply covered every byte.
 */
export class ReadPiece implements Observer<Part> {
  private failure: Error | undefined;
  private coverage: ReadCoverage;
  private errors: ChunkCollector | undefined;

  constructor(
    private readonly parent: PieceParent,
    private readonly assembler: OffsetDataAssembler,
    private readonly offset: number,
    private readonly length: number,
    private readonly dest: Buffer,
    private readonly destStart: number,
  ) {
    this.coverage = new ReadCoverage(length);
  }

  /**
   * Where payload bytes of this read's reply belong, so the socket can read
   * them straight into the destination: simple-reply data maps one to one;
   * OFFSET_DATA once its 8-byte offset has been read.
   */
  receiveInto(header: NbdReplyHeader, payloadOffset: number, length: number): Buffer | undefined {
    if (this.failure) return undefined;
    let at: number;
    if (header.kind === 'simple') {
      if (header.error !== 0) return undefined;
      at = payloadOffset;
    } else if (header.type === ChunkType.OffsetData && payloadOffset >= 8 && this.assembler.offsetWithinRequest >= 0) {
      at = this.assembler.offsetWithinRequest + payloadOffset - 8;
    } else {
      return undefined;
    }
    if (at < 0 || at + length > this.length) return undefined;
    return this.dest.subarray(this.destStart + at, this.destStart + at + length);
  }

  next(part: Part): void {
    if (this.failure) return;
    const h = part.header;
    try {
      if (h.kind === 'simple') {
        if (h.error !== 0) this.failure = new NbdError(h.error);
        else {
          copyUnlessInPlace(part.payload, this.dest, this.destStart + part.offset);
          this.cover(part.offset, part.payload.length);
        }
        return;
      }
      switch (h.type) {
        case ChunkType.OffsetData:
          this.assembler.push(part, this.offset, this.length, this.dest, this.destStart);
          if (part.last) this.cover(this.assembler.offsetWithinRequest, this.assembler.dataLength);
          return;
        case ChunkType.OffsetHole: {
          const hole = parseOffsetHole(part.payload);
          const within = chunkOffsetWithinRequest(hole.offset, hole.size, this.offset, this.length);
          this.dest.fill(0, this.destStart + within, this.destStart + within + hole.size);
          this.cover(within, hole.size);
          return;
        }
        case ChunkType.None:
          return;
        default:
          this.failure = (h.type & CHUNK_ERROR_BIT) !== 0
            ? chunkError(part, (this.errors ??= new ChunkCollector(ERROR_CHUNK_KEEP_BYTES)))
            : new ProtocolError(`unexpected chunk type ${h.type} in a READ reply`, 'NBD_BAD_CHUNK');
      }
    } catch (err) {
      this.failure = toRxbridgeError(err);
    }
  }

  error(err: Error): void {
    this.parent.pieceFailed(err);
  }

  complete(): void {
    const covered = this.coverage.covered;
    if (!this.failure && covered !== this.length) {
      this.failure = new ProtocolError(`READ reply covered ${covered} of ${this.length} bytes`, 'NBD_BAD_CHUNK');
    }
    if (this.failure) this.parent.pieceFailed(this.failure);
    else this.parent.pieceDone();
  }

  /** The request is sent again: what its lost reply delivered will be delivered again. */
  reset(): void {
    this.failure = undefined;
    this.errors = undefined;
    this.coverage = new ReadCoverage(this.length);
  }

  /** Counts a range as delivered; a range delivered twice fails the read (see ReadCoverage). */
  private cover(within: number, size: number): void {
    if (!this.coverage.add(within, size)) {
      this.failure = new ProtocolError(`READ reply delivered bytes [${within}, +${size}) of the request twice`, 'NBD_BAD_CHUNK');
    }
  }
}

/** Copies `src` to `dest[at…]`, unless the socket already read it there (a direct receive). */
export function copyUnlessInPlace(src: Buffer, dest: Buffer, at: number): void {
  if (src.buffer === dest.buffer && src.byteOffset === dest.byteOffset + at) return;
  src.copy(dest, at);
}
