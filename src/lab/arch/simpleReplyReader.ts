/**
 * The classic architectures' receive parser: simple NBD replies, read from
 * whatever chunks arrive, with an offset cursor. Headers are decoded by the
 * codec's NbdReplyDecoder; READ payload bytes are copied straight into the
 * request's destination (chunks may view a reused receive buffer).
 */
import { SIMPLE_REPLY_HEADER_BYTES } from '../../nbd/protocol.js';
import { NbdReplyDecoder } from '../../nbd/replyDecoder.js';
import type { LabRequest } from './labRequest.js';

export interface ReplyHandler {
  /** The pending request holding `tag`, or undefined (a protocol error). */
  lookup(tag: number): LabRequest | undefined;
  /** The reply header of `req` was parsed; `errno` 0 is success. */
  replied(req: LabRequest, errno: number): void;
  /** The whole reply of `req` was read. Return false to stop parsing after it. */
  completed(req: LabRequest): boolean;
}

/** Largest reply payload accepted (a READ's length, known to us): the NBD default request limit. */
const MAX_PAYLOAD_BYTES = 32 * 1024 * 1024;

export class SimpleReplyReader {
  private readonly decoder: NbdReplyDecoder;
  /** A header split across chunks is gathered here. */
  private readonly header = Buffer.allocUnsafe(SIMPLE_REPLY_HEADER_BYTES);
  private headerFill = 0;
  /** The request whose payload is being read, and the bytes still to come. */
  private current: LabRequest | undefined = undefined;
  private remaining = 0;

  constructor(private readonly handler: ReplyHandler) {
    this.decoder = new NbdReplyDecoder((tag) => handler.lookup(tag), { structuredReplies: false, maxPayloadBytes: MAX_PAYLOAD_BYTES });
  }

  /**
   * Parses `chunk` from `start`.
   * @return Where parsing stopped: `chunk.length` when all of it was used,
   *   less when the handler asked to stop (the caller keeps the rest).
   * @throws ProtocolError (bad magic, unknown tag).
   */
  push(chunk: Buffer, start = 0): number {
    let pos = start;
    while (pos < chunk.length) {
      const req = this.current;
      if (req !== undefined) {
        const n = Math.min(this.remaining, chunk.length - pos);
        chunk.copy(req.dest!, req.received, pos, pos + n);
        req.received += n;
        pos += n;
        this.remaining -= n;
        if (this.remaining > 0) continue;
        this.current = undefined;
        if (!this.handler.completed(req)) return pos;
        continue;
      }
      let buf: Buffer;
      let at: number;
      if (this.headerFill === 0 && chunk.length - pos >= SIMPLE_REPLY_HEADER_BYTES) {
        buf = chunk;
        at = pos;
        pos += SIMPLE_REPLY_HEADER_BYTES;
      } else {
        const n = Math.min(SIMPLE_REPLY_HEADER_BYTES - this.headerFill, chunk.length - pos);
        chunk.copy(this.header, this.headerFill, pos, pos + n);
        this.headerFill += n;
        pos += n;
        if (this.headerFill < SIMPLE_REPLY_HEADER_BYTES) return pos;
        this.headerFill = 0;
        buf = this.header;
        at = 0;
      }
      const h = this.decoder.decodeHeader(buf, at);
      const next = this.handler.lookup(h.tag)!;
      this.handler.replied(next, h.error);
      if (h.length > 0) {
        this.current = next;
        this.remaining = h.length;
      } else if (!this.handler.completed(next)) {
        return pos;
      }
    }
    return pos;
  }
}
