import type { Observer } from 'rxjs';
import type { FramePart } from '../../core/codec.js';
import { ProtocolError, toRxbridgeError } from '../../core/errors.js';
import { CHUNK_ERROR_BIT, ChunkType } from '../protocol.js';
import { NbdError } from '../errors.js';
import { OffsetDataAssembler, parseErrorChunk, parseOffsetHole, chunkOffsetWithinRequest, type NbdReplyHeader } from '../replyDecoder.js';

type Part = FramePart<NbdReplyHeader>;

/** What a multi-piece operation hears from each of its pieces. */
export interface PieceParent {
  pieceDone(): void;
  pieceFailed(error: Error): void;
}

/** The error a reply part carries, if any: a simple reply's errno or an ERROR chunk. */
function replyError(part: Part): Error | undefined {
  const h = part.header;
  if (h.kind === 'simple') return h.error === 0 ? undefined : new NbdError(h.error);
  if ((h.type & CHUNK_ERROR_BIT) === 0 || !part.last) return undefined;
  const chunk = parseErrorChunk(part.payload, h.type);
  return new NbdError(chunk.errno, chunk.message, chunk.offset);
}

/**
 * Observes the reply of a request that returns no data (WRITE, FLUSH, TRIM,
 * WRITE_ZEROES, CACHE): success, or the first error the server reported.
 */
export class StatusPiece implements Observer<Part> {
  private failure: Error | undefined;

  constructor(private readonly parent: PieceParent) {}

  next(part: Part): void {
    if (this.failure) return;
    try {
      const h = part.header;
      if (h.kind === 'structured' && h.type !== ChunkType.None && (h.type & CHUNK_ERROR_BIT) === 0) {
        this.failure = new ProtocolError(`unexpected chunk type ${h.type} in a reply without data`, 'NBD_BAD_CHUNK');
        return;
      }
      this.failure = replyError(part);
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
}

/**
 * Observes one READ: copies simple-reply data and OFFSET_DATA chunks straight
 * into the destination, zero-fills OFFSET_HOLE chunks, and checks that the
 * reply covered every byte.
 */
export class ReadPiece implements Observer<Part> {
  private failure: Error | undefined;
  private covered = 0;

  constructor(
    private readonly parent: PieceParent,
    private readonly assembler: OffsetDataAssembler,
    private readonly offset: number,
    private readonly length: number,
    private readonly dest: Buffer,
    private readonly destStart: number,
  ) {}

  next(part: Part): void {
    if (this.failure) return;
    const h = part.header;
    try {
      if (h.kind === 'simple') {
        if (h.error !== 0) this.failure = new NbdError(h.error);
        else {
          part.payload.copy(this.dest, this.destStart + part.offset);
          this.covered += part.payload.length;
        }
        return;
      }
      switch (h.type) {
        case ChunkType.OffsetData:
          this.covered += this.assembler.push(part, this.offset, this.length, this.dest, this.destStart);
          return;
        case ChunkType.OffsetHole: {
          const hole = parseOffsetHole(part.payload);
          const within = chunkOffsetWithinRequest(hole.offset, hole.size, this.offset, this.length);
          this.dest.fill(0, this.destStart + within, this.destStart + within + hole.size);
          this.covered += hole.size;
          return;
        }
        case ChunkType.None:
          return;
        default:
          this.failure = replyError(part) ?? new ProtocolError(`unexpected chunk type ${h.type} in a READ reply`, 'NBD_BAD_CHUNK');
      }
    } catch (err) {
      this.failure = toRxbridgeError(err);
    }
  }

  error(err: Error): void {
    this.parent.pieceFailed(err);
  }

  complete(): void {
    if (!this.failure && this.covered !== this.length) {
      this.failure = new ProtocolError(`READ reply covered ${this.covered} of ${this.length} bytes`, 'NBD_BAD_CHUNK');
    }
    if (this.failure) this.parent.pieceFailed(this.failure);
    else this.parent.pieceDone();
  }
}
