/**
 * Copies the data of OFFSET_DATA chunks into the caller's destination buffer,
 * part by part, as `frame()` hands them over. The first 8 payload bytes are
 * the chunk's export offset; in theory they may straddle two parts, so they
 * are collected before any data is placed.
 */
import type { FramePart } from '../core/codec.js';
import { InvalidArgumentError, ProtocolError } from '../core/errors.js';
import { chunkOffsetWithinRequest } from './chunkParsers.js';
import { ChunkType } from './protocol.js';
import type { NbdReplyHeader } from './replyDecoder.js';
import { readU64Safe } from './u64.js';

const OFFSET_BYTES = 8;

/**
 * One per connection is enough: the parts of one frame arrive back to back
 * (no other frame's bytes come in between), and each part starting at payload
 * offset 0 begins a new chunk.
 *
 * ```ts
 * // in the client's part handler, for a READ whose record holds offset, length, dest:
 * if (part.header.type === ChunkType.OffsetData) {
 *   received += assembler.push(part, rec.offset, rec.length, rec.dest);
 *   if (part.last) coverage.add(assembler.offsetWithinRequest, assembler.dataLength);
 * }
 * ```
 */
export class OffsetDataAssembler {
  /** Where the current chunk's data starts within the request; -1 until its 8-byte offset is read. */
  offsetWithinRequest = -1;
  /** Data bytes of the current chunk (its payload length minus the 8-byte offset). */
  dataLength = 0;
  private readonly offsetBytes = Buffer.alloc(OFFSET_BYTES);
  private offsetBytesRead = 0;
  /** Payload position the next part must start at. */
  private expected = 0;

  /**
   * Feeds one part of an OFFSET_DATA chunk and copies its data bytes to
   * `dest[destStart + offsetWithinRequest + i]`.
   *
   * @param part A part of an OFFSET_DATA chunk (parts in order; offset 0 starts a chunk).
   * @param requestOffset The READ's export offset.
   * @param requestLength The READ's length.
   * @param dest Where the request's data goes: at least `destStart + requestLength` bytes.
   * @param destStart Position of the request's first byte in `dest`.
   * @return The number of data bytes copied from this part.
   * @throws ProtocolError `NBD_BAD_CHUNK` when the data lies outside the request.
   */
  push(
    part: FramePart<NbdReplyHeader>,
    requestOffset: bigint | number,
    requestLength: number,
    dest: Buffer,
    destStart = 0,
  ): number {
    const payload = part.payload;
    if (part.offset === 0) this.begin(part.header);
    else if (part.offset !== this.expected) {
      throw new ProtocolError(`OFFSET_DATA part at ${part.offset}, expected ${this.expected}`);
    }
    this.expected = part.offset + payload.length;

    let pos = 0;
    if (this.offsetWithinRequest < 0) {
      if (this.offsetBytesRead === 0 && payload.length >= OFFSET_BYTES) {
        pos = OFFSET_BYTES;
        this.place(payload, requestOffset, requestLength, dest.length - destStart);
      } else {
        pos = Math.min(OFFSET_BYTES - this.offsetBytesRead, payload.length);
        payload.copy(this.offsetBytes, this.offsetBytesRead, 0, pos);
        this.offsetBytesRead += pos;
        if (this.offsetBytesRead < OFFSET_BYTES) return 0;
        this.place(this.offsetBytes, requestOffset, requestLength, dest.length - destStart);
      }
    }
    const copied = payload.length - pos;
    if (copied > 0) {
      const at = destStart + this.offsetWithinRequest + part.offset + pos - OFFSET_BYTES;
      // Already there when the socket read it straight into the destination.
      const inPlace = payload.buffer === dest.buffer && payload.byteOffset + pos === dest.byteOffset + at;
      if (!inPlace) payload.copy(dest, at, pos);
    }
    return copied;
  }

  private begin(header: NbdReplyHeader): void {
    if (header.type !== ChunkType.OffsetData) {
      throw new InvalidArgumentError(`OffsetDataAssembler fed a chunk of type ${header.type}`);
    }
    this.offsetWithinRequest = -1;
    this.dataLength = header.length - OFFSET_BYTES;
    this.offsetBytesRead = 0;
  }

  /** Reads the chunk offset (first 8 bytes of `head`) and checks the chunk against the request and the destination. */
  private place(head: Buffer, requestOffset: bigint | number, requestLength: number, room: number): void {
    const chunkOffset = readU64Safe(head, 0);
    const within = chunkOffsetWithinRequest(
      chunkOffset < 0 ? head.readBigUInt64BE(0) : chunkOffset,
      this.dataLength,
      requestOffset,
      requestLength,
    );
    if (within + this.dataLength > room) {
      throw new InvalidArgumentError(`destination of ${room} bytes is too small for a ${requestLength}-byte request`);
    }
    this.offsetWithinRequest = within;
  }
}
