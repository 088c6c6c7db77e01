import { expect } from 'chai';
import fc from 'fast-check';
import { Subject } from 'rxjs';
import type { FramePart } from '../../src/core/codec.js';
import { FrameTooLargeError } from '../../src/core/errors.js';
import { frame } from '../../operators/frame.js';
import { encodeToyFrame, encodeToyHeader, ToyDecoder, type ToyHeader } from '../helpers/toyCodec.js';

interface ToyFrame {
  tag: number;
  final: boolean;
  payload: Uint8Array;
  extension: Uint8Array | undefined;
}

/** Random bytes for short payloads; a cheap position-dependent pattern (misordering shows) for long ones. */
function payloadArb(maxPayload: number) {
  return fc.oneof(
    fc.uint8Array({ maxLength: Math.min(maxPayload, 64), size: 'max' }),
    fc
      .tuple(fc.integer({ min: 0, max: maxPayload }), fc.integer({ min: 0, max: 255 }))
      .map(([length, seed]) => Uint8Array.from({ length }, (_, i) => (seed + i * 31 + (i >> 8)) & 0xff)),
  );
}

function toyFrameArb(maxPayload: number) {
  return fc.record({
    tag: fc.integer({ min: 0, max: 0xffffffff }),
    final: fc.boolean(),
    payload: payloadArb(maxPayload),
    extension: fc.option(fc.uint8Array({ maxLength: 12, size: 'max' }), { nil: undefined }),
  });
}

function encodeAll(frames: readonly ToyFrame[]): Buffer {
  return Buffer.concat(frames.map((f) => encodeToyFrame(f.tag, f.final, f.payload, f.extension)));
}

/** A byte stream and the points to cut it at (repeats give empty chunks). */
function splitStreamArb(frames: fc.Arbitrary<ToyFrame[]>) {
  return frames.chain((fs) => {
    const stream = encodeAll(fs);
    return fc.record({
      frames: fc.constant(fs),
      stream: fc.constant(stream),
      cuts: fc.array(fc.integer({ min: 0, max: stream.length }), { maxLength: 24, size: 'max' }).map((c) => [...c].sort((a, b) => a - b)),
    });
  });
}

function cut(stream: Buffer, cuts: readonly number[]): Buffer[] {
  const chunks: Buffer[] = [];
  let from = 0;
  for (const at of [...cuts, stream.length]) {
    chunks.push(stream.subarray(from, at));
    from = at;
  }
  return chunks;
}

/**
 * Feeds `chunks` through `frame`. With `reuse`, each chunk is a view into one
 * receive buffer that is overwritten after each `next`, as a socket source
 * with a reused buffer does. Payloads are copied during emission.
 */
function run(chunks: readonly Buffer[], options: { sliceAbove?: number; reuse?: boolean; limit?: number } = {}) {
  const parts: Array<FramePart<ToyHeader>> = [];
  let error: unknown;
  let completed = false;
  const source = new Subject<Buffer>();
  source.pipe(frame(new ToyDecoder(options.limit), { sliceAbove: options.sliceAbove })).subscribe({
    next: (p) => parts.push({ ...p, payload: Buffer.from(p.payload) }),
    error: (e) => (error = e),
    complete: () => (completed = true),
  });
  const receiveBuffer = Buffer.alloc(Math.max(1, ...chunks.map((c) => c.length)) + 3);
  for (const chunk of chunks) {
    if (options.reuse) {
      chunk.copy(receiveBuffer, 3);
      source.next(receiveBuffer.subarray(3, 3 + chunk.length));
      receiveBuffer.fill(0xee);
    } else {
      source.next(chunk);
    }
  }
  source.complete();
  return { parts, error, completed };
}

/** Joins parts back into frames, checking offsets, `last` and part counts on the way. */
function reassemble(parts: ReadonlyArray<FramePart<ToyHeader>>, sliceAbove: number) {
  const frames: ToyFrame[] = [];
  let pieces: Buffer[] = [];
  let received = 0;
  for (const p of parts) {
    expect(p.offset).to.equal(received);
    if (p.header.length <= sliceAbove) expect(p.last, 'a small payload arrives whole').to.equal(true);
    if (p.payload.length === 0) expect(p.header.length, 'only header-only frames have empty parts').to.equal(0);
    pieces.push(p.payload);
    received += p.payload.length;
    if (p.last) {
      expect(received).to.equal(p.header.length);
      const { tag, final, extension } = p.header;
      frames.push({ tag, final, payload: Buffer.concat(pieces), extension });
      pieces = [];
      received = 0;
    }
  }
  expect(pieces, 'no frame left unfinished').to.deep.equal([]);
  return frames;
}

function normalised(frames: readonly ToyFrame[]) {
  return frames.map((f) => ({ ...f, payload: Buffer.from(f.payload), extension: Buffer.from(f.extension ?? []) }));
}

describe('frame (properties)', () => {
  it('yields the same frames for any split of the stream, small and sliced payloads', () => {
    fc.assert(
      fc.property(splitStreamArb(fc.array(toyFrameArb(64), { maxLength: 10 })), fc.integer({ min: 0, max: 80 }), (s, sliceAbove) => {
        const { parts, error, completed } = run(cut(s.stream, s.cuts), { sliceAbove });
        expect(error).to.equal(undefined);
        expect(completed).to.equal(true);
        expect(reassemble(parts, sliceAbove)).to.deep.equal(normalised(s.frames));
      }),
      { numRuns: 300 },
    );
  });

  it('yields the same frames for any split with the default slice threshold and large payloads', () => {
    fc.assert(
      fc.property(splitStreamArb(fc.array(toyFrameArb(40 * 1024), { maxLength: 4 })), (s) => {
        const { parts, error } = run(cut(s.stream, s.cuts));
        expect(error).to.equal(undefined);
        expect(reassemble(parts, 16 * 1024)).to.deep.equal(normalised(s.frames));
      }),
      { numRuns: 40 },
    );
  });

  it('yields correct frames when chunks view a receive buffer overwritten after each next', () => {
    fc.assert(
      fc.property(splitStreamArb(fc.array(toyFrameArb(64), { maxLength: 10 })), fc.integer({ min: 0, max: 80 }), (s, sliceAbove) => {
        const { parts, error } = run(cut(s.stream, s.cuts), { sliceAbove, reuse: true });
        expect(error).to.equal(undefined);
        expect(reassemble(parts, sliceAbove)).to.deep.equal(normalised(s.frames));
      }),
      { numRuns: 300 },
    );
  });

  it('errors with FrameTooLargeError for a length field above the limit, after the frames before it', () => {
    const limit = 1000;
    const arb = fc
      .record({
        before: fc.array(toyFrameArb(32), { maxLength: 4 }),
        announced: fc.integer({ min: limit + 1, max: 0xffffffff }),
        extension: fc.option(fc.uint8Array({ maxLength: 8 }), { nil: undefined }),
        trailing: fc.uint8Array({ maxLength: 16 }),
      })
      .chain((r) => {
        const stream = Buffer.concat([encodeAll(r.before), encodeToyHeader(1, true, r.announced, r.extension), r.trailing]);
        return fc.record({
          r: fc.constant(r),
          stream: fc.constant(stream),
          cuts: fc.array(fc.integer({ min: 0, max: stream.length }), { maxLength: 12, size: 'max' }).map((c) => [...c].sort((a, b) => a - b)),
        });
      });
    fc.assert(
      fc.property(arb, ({ r, stream, cuts }) => {
        const { parts, error, completed } = run(cut(stream, cuts), { limit, reuse: true });
        expect(error).to.be.instanceOf(FrameTooLargeError);
        expect(error).to.include({ announced: r.announced, limit });
        expect(completed).to.equal(false);
        expect(reassemble(parts, 16 * 1024)).to.deep.equal(normalised(r.before));
      }),
      { numRuns: 200 },
    );
  });
});
