/**
 * The contract between the protocol-agnostic engine and a protocol.
 *
 * Receive side: the `frame` operator drives a {@link FrameDecoder} over raw
 * chunks and emits {@link FramePart}s; `matchReplies` routes them by
 * `header.tag`. Send side: a protocol turns each request into a {@link Unit}
 * (header and payload buffers, by reference) that the window, prioritize and
 * rebuffer operators move to the socket sink.
 */

/** What every decoded frame header carries for matching. */
export interface FrameHeader {
  /** The tag (NBD cookie, iSCSI ITT) that names the request this frame answers. */
  readonly tag: number;
  /** True on the last frame of a reply: the request completes after it. */
  readonly final: boolean;
}

/**
 * Incremental decoder, plugged into `frame()`. Byte work happens here, in a
 * plain object; `frame()` only buffers and slices.
 *
 * Decoding a frame: once `prefixLength` bytes exist, `headerLength` tells how
 * long the header is (a protocol may have several header shapes, told apart by
 * a magic); once the header is whole, `decodeHeader` parses it and
 * `payloadLength` says how many payload bytes follow. A payload length above
 * `maxPayloadBytes` is a FrameTooLargeError before anything is allocated.
 * Decoders throw ProtocolError for bytes they cannot accept.
 */
export interface FrameDecoder<H extends FrameHeader> {
  readonly prefixLength: number;
  readonly maxPayloadBytes: number;
  headerLength(buf: Buffer, offset: number): number;
  decodeHeader(buf: Buffer, offset: number): H;
  payloadLength(header: H): number;
}

/**
 * A frame, or one piece of a large frame's payload. Small payloads arrive in
 * one part; payloads above `frame()`'s slice threshold arrive as several parts,
 * each a slice of a received chunk, so nothing is copied.
 *
 * A part's `payload` may view a reused receive buffer: it is valid during the
 * synchronous emission only. Copy what you keep.
 */
export interface FramePart<H extends FrameHeader> {
  readonly header: H;
  /** Bytes of this part (possibly empty for header-only frames). */
  readonly payload: Buffer;
  /** Position of `payload[0]` within the whole frame payload. */
  readonly offset: number;
  /** True on the last part of this frame. */
  readonly last: boolean;
}

/**
 * Where `frame()` stands between chunks: inside the sliced payload of
 * `header`, with `offset` bytes of it delivered and `remaining` to come.
 * Lets the receive side hand the next read a destination of its own.
 */
export interface FrameCursor<H extends FrameHeader> {
  header: H | undefined;
  offset: number;
  remaining: number;
}

/** Send lanes, in priority order: commands go before bulk data. */
export type Lane = 'command' | 'data';

/** One encoded request on its way to the socket. */
export interface Unit {
  readonly lane: Lane;
  /** Header first, then payload buffers by reference (never copied). */
  readonly buffers: readonly Buffer[];
  /** Sum of `buffers` lengths: the bytes this unit puts on the wire. */
  readonly bytes: number;
}

/**
 * A write batch: what one cork/uncork (one writev) hands to the kernel.
 * `buffers` are small units copied together plus large payloads by
 * reference; `units` are the units whose last byte is in this batch.
 */
export interface Batch<U extends Unit = Unit> {
  readonly buffers: readonly Buffer[];
  readonly bytes: number;
  readonly units: readonly U[];
}
