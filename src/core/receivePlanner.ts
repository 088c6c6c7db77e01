import type { FrameCursor, FrameHeader } from './codec.js';

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
 */
export class ReceivePlanner {
  private readonly lead: Buffer | undefined;

  /**
   * @param directMin Payload bytes still to come for a read straight into the destination.
   * @param leadBytes How much of a frame precedes its data; 0: the protocol does not say.
   */
  constructor(private readonly directMin: number, leadBytes: number) {
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
    return cursor.remaining >= this.directMin ? destination(cursor) : undefined;
  }
}
