import { Observable, type OperatorFunction } from 'rxjs';
import type { FrameDecoder, FrameHeader, FramePart, FrameCursor } from '../src/core/codec.js';
import { InvalidArgumentError, ProtocolError, toRxbridgeError } from '../src/core/errors.js';
import { FrameAssembler } from './frameAssembler.js';

/** Payloads up to this size arrive whole in one part. */
const DEFAULT_SLICE_ABOVE = 16 * 1024;

/**
 * Cuts a stream of received chunks into frames with a protocol's decoder.
 *
 * ```
 * chunks: -a-----b-----c--|    a: header 1, start of payload 1
 *                              b: rest of payload 1, frame 2, start of header 3
 *                              c: rest of header 3 (a header-only frame)
 *         frame(decoder)
 * parts:  -------(12)--3--|
 * ```
 *
 * Many frames are parsed per chunk. A payload up to `sliceAbove` bytes arrives
 * whole in one part (a slice of the chunk when it lies in one chunk, else a
 * copy of exactly its length); a larger payload arrives as several parts, each
 * a slice of a received chunk, with `offset` its position in the payload and
 * `last` on the final part. A header-only frame is one part with an empty
 * payload. Chunks may view a reused receive buffer: `frame` keeps no reference
 * to a chunk after `next(chunk)` returns, and emitted payloads are valid only
 * during their emission (copy what you keep).
 *
 * Errors: an announced payload above `decoder.maxPayloadBytes` is a
 * FrameTooLargeError (nothing allocated); what the decoder throws is passed on
 * (as an RxbridgeError); completion in the middle of a frame is a ProtocolError
 * with code `RXB_TRUNCATED`.
 *
 * @example
 * socketSource(socket).pipe(
 *   frame(new NbdReplyDecoder()),
 * ).subscribe((part) => route(part.header.tag, part));
 *
 * @param decoder The protocol's incremental header decoder.
 * @param options `sliceAbove`: the largest payload delivered whole (default 16 KiB);
 *   `cursor`: kept up to date after each chunk with the sliced payload in progress.
 * @return An operator from received chunks to frame parts.
 */
export function frame<H extends FrameHeader>(
  decoder: FrameDecoder<H>,
  options: { sliceAbove?: number; cursor?: FrameCursor<H> } = {},
): OperatorFunction<Buffer, FramePart<H>> {
  const cursor = options.cursor;
  const sliceAbove = options.sliceAbove ?? DEFAULT_SLICE_ABOVE;
  if (!Number.isSafeInteger(sliceAbove) || sliceAbove < 0) {
    throw new InvalidArgumentError(`sliceAbove must be a non-negative integer, got ${sliceAbove}`);
  }
  return (source) =>
    new Observable<FramePart<H>>((subscriber) => {
      const assembler = new FrameAssembler(decoder, sliceAbove);
      const subscription = source.subscribe({
        next(chunk) {
          // A synchronous source may keep pushing after we errored.
          if (subscriber.closed) return;
          try {
            assembler.push(chunk, subscriber);
            if (cursor) assembler.locate(cursor);
          } catch (err) {
            subscriber.error(toRxbridgeError(err));
          }
        },
        error(err) {
          subscriber.error(err);
        },
        complete() {
          if (assembler.midFrame) {
            subscriber.error(new ProtocolError('the peer closed in the middle of a frame', 'RXB_TRUNCATED'));
          } else {
            subscriber.complete();
          }
        },
      });
      return () => {
        subscription.unsubscribe();
        assembler.reset();
      };
    });
}
