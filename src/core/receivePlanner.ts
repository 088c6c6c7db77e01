import type { FrameCursor, FrameHeader } from './codec.js';

/** Direct reads ask for at least this much (see ReceivePlanner). */
export const DEFAULT_PIECE_BYTES = 16 * 1024;
/** …or for this fraction of the payload, if that is more. */
const PIECES = 16;

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
 * A direct read asks for one piece of the payload, a sixteenth of it but at
 * least `pieceBytes`, not for all that is left: against nbdkit, whose
 * connection gets about one core, 256 KiB reads at depth 16 in 16 KiB pieces
 * cost the server 12 % less CPU per GB and ran 11 % faster (10 rotated
 * rounds) than reads of everything the kernel held. 2 MiB payloads read in
 * 16 KiB pieces made `rxbridge copy` slower; in 128 KiB pieces, as fast as
 * whole.
 */
export class ReceivePlanner {
  private readonly lead: Buffer | undefined;

  /**
   * @param directMin Payload bytes still to come for a read straight into the destination.
   * @param leadBytes How much of a frame precedes its data; 0: the protocol does not say.
   * @param pieceBytes The least one direct read asks for (a sixteenth of the payload if that is more); 0: all that is left.
   */
  constructor(private readonly directMin: number, leadBytes: number, private readonly pieceBytes = DEFAULT_PIECE_BYTES) {
    this.lead = leadBytes > 0 ? Buffer.allocUnsafe(leadBytes) : undefined;
  }

  /**
   * @param cursor Where the frame parser stands.
   * @param largeOnly Every request in flight (at least one) has a reply of `directMin` bytes or more.
   * @param destination The payload's own buffer for the `cursor.remaining` bytes at `cursor.offset`, if its request has one.
   * @returns The buffer for the next read; undefined: the socket's receive buffer.
   */
  next<H extends FrameHeader>(cursor: FrameCursor<H>, largeOnly: boolean, destination: (cursor: FrameCursor<H>) => Buffer | undefined): Buffer | undefined {
    if (cursor.header === undefined) return largeOnly ? this.lead : undefined;
    if (cursor.remaining < this.directMin) return undefined;
    const target = destination(cursor);
    if (target === undefined || this.pieceBytes <= 0) return target;
    const piece = Math.max(this.pieceBytes, Math.ceil((cursor.offset + cursor.remaining) / PIECES));
    return target.length > piece ? target.subarray(0, piece) : target;
  }
}
