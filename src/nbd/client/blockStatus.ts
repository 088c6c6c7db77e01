import { Observable, type Observer } from 'rxjs';
import type { FramePart } from '../../core/codec.js';
import { ProtocolError, toRxbridgeError } from '../../core/errors.js';
import { AllocationFlag, ChunkType, Command } from '../protocol.js';
import { NbdError } from '../errors.js';
import { parseBlockStatus, parseErrorChunk, type NbdReplyHeader } from '../replyDecoder.js';
import { NbdRequest } from './nbdRequest.js';
import type { PieceTarget } from './pieces.js';
import type { Extent } from './types.js';

/**
 * Collects one BLOCK_STATUS reply: the extents of our context (a chunk's
 * payload may come in several parts when it is large), or the error.
 */
class BlockStatusReply implements Observer<FramePart<NbdReplyHeader>> {
  extents: { length: number; flags: number }[] = [];
  private chunk: Buffer | undefined;
  private failure: Error | undefined;

  constructor(
    private readonly contextId: number,
    private readonly done: (error: Error | undefined, extents: { length: number; flags: number }[]) => void,
  ) {}

  next(part: FramePart<NbdReplyHeader>): void {
    if (this.failure) return;
    const h = part.header;
    try {
      if (h.kind === 'simple') {
        this.failure = h.error ? new NbdError(h.error) : new ProtocolError('simple reply to BLOCK_STATUS', 'NBD_BAD_CHUNK');
        return;
      }
      if (h.type === ChunkType.None) return;
      const whole = this.assemble(part);
      if (!whole) return;
      if (h.type === ChunkType.BlockStatus) {
        const status = parseBlockStatus(whole);
        if (status.contextId === this.contextId) this.extents.push(...status.extents);
      } else if (h.type === ChunkType.Error || h.type === ChunkType.ErrorOffset || (h.type & 0x8000) !== 0) {
        const e = parseErrorChunk(whole, h.type);
        this.failure = new NbdError(e.errno, e.message, e.offset);
      } else {
        this.failure = new ProtocolError(`unexpected chunk type ${h.type} in a BLOCK_STATUS reply`, 'NBD_BAD_CHUNK');
      }
    } catch (err) {
      this.failure = toRxbridgeError(err);
    }
  }

  error(err: Error): void {
    this.done(err, []);
  }

  complete(): void {
    if (!this.failure && this.extents.length === 0) {
      this.failure = new ProtocolError('BLOCK_STATUS reply without extents for base:allocation', 'NBD_BAD_CHUNK');
    }
    this.done(this.failure, this.extents);
  }

  /** Small chunks come whole; a large one is copied together from its parts. */
  private assemble(part: FramePart<NbdReplyHeader>): Buffer | undefined {
    if (part.offset === 0 && part.last) return part.payload;
    if (part.offset === 0) this.chunk = Buffer.allocUnsafe(part.header.length);
    part.payload.copy(this.chunk!, part.offset);
    return part.last ? this.chunk : undefined;
  }
}

/**
 * Block status of [offset, offset+length), asking again from where the
 * server's answer ended until the range is covered; extents are clipped to it.
 */
export function blockStatus(target: PieceTarget, contextId: number, offset: number, length: number, maxPerRequest: number): Observable<Extent> {
  return new Observable<Extent>((subscriber) => {
    const end = offset + length;
    let position = offset;
    let current: { unsubscribe(): void } | undefined;
    const ask = () => {
      if (position >= end) {
        subscriber.complete();
        return;
      }
      const n = Math.min(maxPerRequest, end - position);
      const reply = new BlockStatusReply(contextId, (error, extents) => {
        if (error) {
          subscriber.error(error);
          return;
        }
        for (const e of extents) {
          if (position >= end) break;
          if (e.length === 0) {
            subscriber.error(new ProtocolError('BLOCK_STATUS extent of length 0', 'NBD_BAD_CHUNK'));
            return;
          }
          const len = Math.min(e.length, end - position);
          subscriber.next({
            offset: position,
            length: len,
            hole: (e.flags & AllocationFlag.Hole) !== 0,
            zero: (e.flags & AllocationFlag.Zero) !== 0,
          });
          position += len;
        }
        ask();
      });
      current = target.submit(new NbdRequest(Command.BlockStatus, 0, position, n, undefined), reply);
    };
    ask();
    return () => current?.unsubscribe();
  });
}
