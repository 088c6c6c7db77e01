import { expect } from 'chai';
import fc from 'fast-check';
import type { FrameCursor, FrameHeader } from '../../src/core/codec.js';
import { ReceivePlanner } from '../../src/core/receivePlanner.js';

const KiB = 1024;
const DIRECT_MIN = 64 * KiB;
const LEAD = 28;

interface Header extends FrameHeader {
  tag: number;
}

function payloadCursor(remaining: number, offset = 0): FrameCursor<Header> {
  return { header: { tag: 1 }, offset, remaining };
}

const BETWEEN_FRAMES: FrameCursor<Header> = { header: undefined, offset: 0, remaining: 0 };

describe('ReceivePlanner', () => {
  const destinationBytes = Buffer.alloc(256 * KiB);
  const destination = (c: FrameCursor<Header>, length: number) => destinationBytes.subarray(c.offset, c.offset + length);
  const noDestination = () => undefined;

  it('between frames, stops the read after the next lead while only large replies are in flight', () => {
    const planner = new ReceivePlanner(DIRECT_MIN, LEAD);
    expect(planner.next(BETWEEN_FRAMES, true, destination)?.length).to.equal(LEAD);
    expect(planner.next(BETWEEN_FRAMES, false, destination)).to.equal(undefined);
  });

  it('reads a payload with directMin or more still to come into its destination, whatever else is in flight', () => {
    const planner = new ReceivePlanner(DIRECT_MIN, LEAD, 0);
    for (const largeOnly of [true, false]) {
      const target = planner.next(payloadCursor(DIRECT_MIN, 192 * KiB), largeOnly, destination)!;
      expect(target.buffer).to.equal(destinationBytes.buffer);
      expect(target.byteOffset).to.equal(destinationBytes.byteOffset + 192 * KiB);
      expect(target.length).to.equal(DIRECT_MIN);
    }
    expect(planner.next(payloadCursor(DIRECT_MIN), true, noDestination)).to.equal(undefined);
  });

  it('asks for pieceBytes at a time of a payload up to piecedUpTo, never past its end, and for all that is left of a larger one', () => {
    const planner = new ReceivePlanner(DIRECT_MIN, LEAD, 16 * KiB, 1024 * KiB);
    const big = Buffer.alloc(4 * 1024 * KiB);
    const into = (c: FrameCursor<Header>, length: number) => big.subarray(c.offset, c.offset + length);
    expect(planner.next(payloadCursor(256 * KiB), true, into)?.length).to.equal(16 * KiB);
    expect(planner.next(payloadCursor(2048 * KiB), true, into)?.length).to.equal(2048 * KiB);
    fc.assert(
      fc.property(fc.integer({ min: DIRECT_MIN, max: 4 * 1024 * KiB }), fc.nat(), (total, at) => {
        const offset = at % (total - DIRECT_MIN + 1);
        const cursor = payloadCursor(total - offset, offset);
        const target = planner.next(cursor, false, into)!;
        expect(target.byteOffset).to.equal(big.byteOffset + offset);
        expect(target.length).to.equal(total <= 1024 * KiB ? 16 * KiB : total - offset);
      }),
    );
  });

  it('leaves the tail of a payload to the receive buffer, with or without small replies in flight', () => {
    const planner = new ReceivePlanner(DIRECT_MIN, LEAD);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: DIRECT_MIN - 1 }), fc.boolean(), (remaining, largeOnly) => {
        expect(planner.next(payloadCursor(remaining), largeOnly, destination)).to.equal(undefined);
      }),
    );
  });

  it('without a lead length, reads only large payload parts in place', () => {
    const planner = new ReceivePlanner(DIRECT_MIN, 0, 0);
    expect(planner.next(BETWEEN_FRAMES, true, destination)).to.equal(undefined);
    expect(planner.next(payloadCursor(DIRECT_MIN), true, destination)?.length).to.equal(DIRECT_MIN);
  });
});
