import type { FrameCursor, FrameDecoder, FrameHeader, FramePart } from '../src/core/codec.js';
import { FrameTooLargeError, ProtocolError } from '../src/core/errors.js';

/** Where parts go; a closed sink stops the parse loop (downstream unsubscribed). */
export interface PartSink<H extends FrameHeader> {
  next(part: FramePart<H>): void;
  readonly closed: boolean;
}

const EMPTY = Buffer.alloc(0);

/**
 * The byte work behind `frame()`: an incremental frame parser with an offset
 * cursor over each chunk.
 *
 * Chunks may view a reused receive buffer, valid only during `push()`, so
 * nothing keeps a reference to a chunk after `push()` returns: a header split
 * across chunks is copied into a small reusable buffer, and a small payload
 * split across chunks into a buffer of exactly its length. Large payloads
 * (above `sliceAbove`) are never copied: each chunk's share goes out as its own
 * part, a slice of that chunk.
 *
 * State is updated before each emission, so a sink that closes (or throws out
 * of) `next()` leaves the parser consistent.
 */
export class FrameAssembler<H extends FrameHeader> {
  /** Partial header bytes; grows to the largest header seen, then is reused. */
  private headerBuf: Buffer = EMPTY;
  private headerHave = 0;
  /** Length of the header being copied; 0 until the prefix is known. */
  private headerNeed = 0;
  /** Header of the frame whose payload is being received; undefined between frames. */
  private header: H | undefined = undefined;
  private payloadLength = 0;
  private payloadPos = 0;
  /** Copy of a small payload split across chunks. */
  private smallPayload: Buffer | undefined = undefined;

  constructor(
    private readonly decoder: FrameDecoder<H>,
    private readonly sliceAbove: number,
  ) {}

  /** True while a frame is partially received (closing now would truncate it). */
  get midFrame(): boolean {
    return this.header !== undefined || this.headerHave > 0;
  }

  /** Parses every frame (or piece of one) in `chunk`. Throws what the decoder throws. */
  push(chunk: Buffer, sink: PartSink<H>): void {
    const end = chunk.length;
    const prefix = this.decoder.prefixLength;
    let off = 0;
    while (off < end && !sink.closed) {
      if (this.header !== undefined) {
        off = this.takePayload(chunk, off, end, sink);
      } else if (this.headerHave === 0 && end - off >= prefix) {
        // Fast path: decode straight from the chunk when the header is whole in it.
        const headerLength = this.checkedHeaderLength(chunk, off);
        if (end - off >= headerLength) {
          const header = this.decoder.decodeHeader(chunk, off);
          off += headerLength;
          this.beginPayload(header, sink);
        } else {
          this.headerNeed = headerLength;
          off = this.copyHeader(chunk, off, end, sink);
        }
      } else {
        off = this.copyHeader(chunk, off, end, sink);
      }
    }
  }

  /** Drops partial state and buffers (on teardown). */
  /** Writes where the sliced payload in progress stands (header undefined when none is). */
  locate(cursor: FrameCursor<H>): void {
    if (this.header !== undefined && this.payloadLength > this.sliceAbove) {
      cursor.header = this.header;
      cursor.offset = this.payloadPos;
      cursor.remaining = this.payloadLength - this.payloadPos;
    } else {
      cursor.header = undefined;
      cursor.remaining = 0;
    }
  }

  reset(): void {
    this.headerBuf = EMPTY;
    this.headerHave = this.headerNeed = 0;
    this.header = this.smallPayload = undefined;
    this.payloadLength = this.payloadPos = 0;
  }

  /** Copies header bytes until the header is whole, then decodes it from the copy. */
  private copyHeader(chunk: Buffer, off: number, end: number, sink: PartSink<H>): number {
    if (this.headerNeed === 0) {
      off = this.copyHeaderBytes(chunk, off, end, this.decoder.prefixLength);
      if (this.headerHave < this.decoder.prefixLength) return off;
      this.headerNeed = this.checkedHeaderLength(this.headerBuf, 0);
    }
    off = this.copyHeaderBytes(chunk, off, end, this.headerNeed);
    if (this.headerHave < this.headerNeed) return off;
    const header = this.decoder.decodeHeader(this.headerBuf, 0);
    this.headerHave = this.headerNeed = 0;
    this.beginPayload(header, sink);
    return off;
  }

  private copyHeaderBytes(chunk: Buffer, off: number, end: number, upTo: number): number {
    if (this.headerBuf.length < upTo) {
      const grown = Buffer.allocUnsafe(upTo);
      this.headerBuf.copy(grown, 0, 0, this.headerHave);
      this.headerBuf = grown;
    }
    const n = Math.min(upTo - this.headerHave, end - off);
    chunk.copy(this.headerBuf, this.headerHave, off, off + n);
    this.headerHave += n;
    return off + n;
  }

  private checkedHeaderLength(buf: Buffer, off: number): number {
    const n = this.decoder.headerLength(buf, off);
    if (!Number.isSafeInteger(n) || n < this.decoder.prefixLength) {
      throw new ProtocolError(`decoder returned an impossible header length ${n}`);
    }
    return n;
  }

  /** Checks the announced length before anything is allocated; emits header-only frames at once. */
  private beginPayload(header: H, sink: PartSink<H>): void {
    const length = this.decoder.payloadLength(header);
    if (!Number.isSafeInteger(length) || length < 0) {
      throw new ProtocolError(`impossible payload length ${length}`);
    }
    if (length > this.decoder.maxPayloadBytes) throw new FrameTooLargeError(length, this.decoder.maxPayloadBytes);
    if (length === 0) {
      sink.next({ header, payload: EMPTY, offset: 0, last: true });
      return;
    }
    this.header = header;
    this.payloadLength = length;
    this.payloadPos = 0;
  }

  private takePayload(chunk: Buffer, off: number, end: number, sink: PartSink<H>): number {
    const header = this.header!;
    const length = this.payloadLength;
    const start = this.payloadPos;
    const n = Math.min(length - start, end - off);
    const last = start + n === length;
    this.payloadPos = start + n;
    if (last) this.header = undefined;

    if (length > this.sliceAbove || (start === 0 && last)) {
      // Large payloads go out piece by piece; a small one whole in this chunk is a slice too.
      sink.next({ header, payload: chunk.subarray(off, off + n), offset: start, last });
      return off + n;
    }
    // Small payload split across chunks: copy, since the chunk is not ours to
    // keep, into one scratch buffer reused frame after frame (a part is valid
    // only during its emission, like a view of the receive buffer).
    if (start === 0 && (this.smallPayload === undefined || this.smallPayload.length < length)) {
      this.smallPayload = Buffer.allocUnsafe(Math.max(length, 4096));
    }
    const scratch = this.smallPayload!;
    chunk.copy(scratch, start, off, off + n);
    if (last) sink.next({ header, payload: scratch.subarray(0, length), offset: 0, last: true });
    return off + n;
  }
}
