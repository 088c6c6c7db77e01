import type { FrameCursor, FrameHeader } from './codec.js';

/** A direct read into a payload of up to `DEFAULT_PIECED_UP_TO` bytes asks for this much at most (see ReceivePlanner). */
export const DEFAULT_PIECE_BYTES = 16 * 1024;
/** Larger payloads are read whole: as much as the kernel holds. */
const DEFAULT_PIECED_UP_TO = 1024 * 1024;

/**
 * Chooses where each socket read lands, so that large payloads arrive in
 * their destinations instead of being copied there out of the receive buffer:
 *
 * - a payload with at least `directMin` bytes still to come: its destination;
 * - between frames, with only large replies in flight: a `leadBytes` buffer,
 *   so the read stops after the next frame's lead (its header and whatever
 *   must precede the data) and the data can then land in place;
 * - anything else, tails of payloads included: the receive buffer, where one
 *   read takes many frames at once.
 *
 * A tail goes to the receive buffer even between large replies, although the
 * next payload's first bytes then arrive with it and are copied. Reading the
 * tail alone, or the tail with just the next lead, removed that copy but cost
 * reads, and 256 KiB reads at depth 16 were no faster either way (A/B against
 * fio, 7 rounds, twice in each order).
 *
 * A direct read into a payload of up to `piecedUpTo` bytes asks for
 * `pieceBytes` at most, not for all that is left: against nbdkit, whose
 * connection gets about one core, 256 KiB reads at depth 16 in 16 KiB pieces
 * cost the server 12 % less CPU per GB and ran 11 % faster (10 rotated
 * rounds) than reads of everything the kernel held. Larger payloads are read
 * whole: `rxbridge copy` from an export (2 MiB requests, 2 in flight) was
 * 10 % slower in 128 KiB pieces (9 rotated rounds) and slower still in
 * 16 KiB ones. Nothing between 256 KiB and 2 MiB was measured.
 */
export class ReceivePlanner {
  private readonly lead: Buffer | undefined;

  /**
   * @param directMin Payload bytes still to come for a read straight into the destination.
   * @param leadBytes How much of a frame precedes its data; 0: the protocol does not say.
   * @param pieceBytes The most one direct read into a payload of up to `piecedUpTo` bytes asks for; 0: all that is left.
   * @param piecedUpTo Payloads larger than this are read whole.
   */
  constructor(
    private readonly directMin: number,
    leadBytes: number,
    private readonly pieceBytes = DEFAULT_PIECE_BYTES,
    private readonly piecedUpTo = DEFAULT_PIECED_UP_TO,
  ) {
    this.lead = leadBytes > 0 ? Buffer.allocUnsafe(leadBytes) : undefined;
  }

  /**
   * @param cursor Where the frame parser stands.
   * @param largeOnly Every request in flight (at least one) has a reply of `directMin` bytes or more.
   * @param destination The payload's own buffer for `length` bytes at `cursor.offset`, if its request has one.
   * @returns The buffer for the next read; undefined: the socket's receive buffer.
   */
  next<H extends FrameHeader>(
    cursor: FrameCursor<H>,
    largeOnly: boolean,
    destination: (cursor: FrameCursor<H>, length: number) => Buffer | undefined,
  ): Buffer | undefined {
    if (cursor.header === undefined) return largeOnly ? this.lead : undefined;
    const remaining = cursor.remaining;
    if (remaining < this.directMin) return undefined;
    const pieced = this.pieceBytes > 0 && cursor.offset + remaining <= this.piecedUpTo;
    return destination(cursor, pieced ? Math.min(this.pieceBytes, remaining) : remaining);
  }
}
