/**
 * Spec helpers for byte fixtures: hex written by hand (spaces for reading),
 * every two-piece split of a fixture, and a stand-in for `frame()` that
 * drives a FrameDecoder over chunks the way the operator does.
 */
import type { FrameDecoder, FrameHeader, FramePart } from '../../src/core/codec.js';
import { FrameTooLargeError } from '../../src/core/errors.js';

/** `hex('0102 03')` → <Buffer 01 02 03>. */
export function hex(text: string): Buffer {
  const digits = text.replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(digits)) throw new Error(`bad hex fixture: ${text}`);
  return Buffer.from(digits, 'hex');
}

/** ASCII text as bytes, for readable fixtures. */
export function ascii(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

/** The fixture whole, split once at every byte boundary, and byte by byte. */
export function* splits(fixture: Buffer): Generator<Buffer[]> {
  yield [fixture];
  for (let i = 1; i < fixture.length; i++) yield [fixture.subarray(0, i), fixture.subarray(i)];
  yield Array.from({ length: fixture.length }, (_, i) => fixture.subarray(i, i + 1));
}


/**
 * Drives `decoder` over `chunks` like `frame()`: header bytes are gathered,
 * payload bytes are handed on as parts at chunk boundaries (so a payload
 * split across chunks arrives in several parts).
 */
export function runDecoder<H extends FrameHeader>(decoder: FrameDecoder<H>, chunks: readonly Buffer[]): FramePart<H>[] {
  const parts: FramePart<H>[] = [];
  let pending = Buffer.alloc(0);
  let header: H | undefined;
  let payloadLength = 0;
  let payloadDone = 0;
  for (const chunk of chunks) {
    pending = Buffer.concat([pending, chunk]);
    for (;;) {
      if (header === undefined) {
        if (pending.length < decoder.prefixLength) break;
        const headerLength = decoder.headerLength(pending, 0);
        if (pending.length < headerLength) break;
        header = decoder.decodeHeader(pending, 0);
        payloadLength = decoder.payloadLength(header);
        if (payloadLength > decoder.maxPayloadBytes) throw new FrameTooLargeError(payloadLength, decoder.maxPayloadBytes);
        payloadDone = 0;
        pending = pending.subarray(headerLength);
        if (payloadLength === 0) {
          parts.push({ header, payload: Buffer.alloc(0), offset: 0, last: true });
          header = undefined;
          continue;
        }
      }
      const take = Math.min(pending.length, payloadLength - payloadDone);
      if (take === 0) break;
      const last = payloadDone + take === payloadLength;
      parts.push({ header, payload: Buffer.from(pending.subarray(0, take)), offset: payloadDone, last });
      payloadDone += take;
      pending = pending.subarray(take);
      if (last) header = undefined;
    }
  }
  return parts;
}

/** Whole frames from parts: each header with its payload joined. */
export function wholeFrames<H extends FrameHeader>(parts: readonly FramePart<H>[]): { header: H; payload: Buffer }[] {
  const frames: { header: H; payload: Buffer }[] = [];
  let pieces: Buffer[] = [];
  for (const part of parts) {
    pieces.push(part.payload);
    if (part.last) {
      frames.push({ header: part.header, payload: Buffer.concat(pieces) });
      pieces = [];
    }
  }
  return frames;
}
