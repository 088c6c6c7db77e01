import { Observable, type Observer } from 'rxjs';
import type { FramePart } from '../../core/codec.js';
import { ProtocolError, toRxbridgeError } from '../../core/errors.js';
import { AllocationFlag, CHUNK_ERROR_BIT, ChunkType, Command } from '../protocol.js';
import { BLOCK_STATUS_MIN_BYTES, EXTENT_BYTES } from '../protocol-extra.js';
import { NbdError } from '../errors.js';
import { parseErrorChunk, type NbdReplyHeader } from '../replyDecoder.js';
import { ChunkCollector } from './chunkCollector.js';
import { NbdRequest } from './nbdRequest.js';
import type { PieceTarget } from './pieces.js';
import type { Extent } from './types.js';

/**
 * Collects one BLOCK_STATUS reply: the extents of our context, or the error.
 * Chunks that arrive in parts are gathered as their bytes come (never
 * allocated by the announced length), and only the extents needed to cover
 * the `wanted` bytes are kept: a server that sends millions of them costs
 * the bytes it sent, not an object per extent.
 */
class BlockStatusReply implements Observer<FramePart<NbdReplyHeader>> {
  extents: { length: number; flags: number }[] = [];
  private kept = 0;
  private readonly collector = new ChunkCollector();
  private failure: Error | undefined;

  constructor(
    private readonly contextId: number,
    private readonly wanted: number,
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
      if (h.type !== ChunkType.BlockStatus && (h.type & CHUNK_ERROR_BIT) === 0) {
        this.failure = new ProtocolError(`unexpected chunk type ${h.type} in a BLOCK_STATUS reply`, 'NBD_BAD_CHUNK');
        return;
      }
      const whole = this.collector.push(part);
      if (!whole) return;
      if (h.type === ChunkType.BlockStatus) {
        this.keep(whole);
      } else {
        const e = parseErrorChunk(whole, h.type);
        this.failure = new NbdError(e.errno, e.message, e.offset);
      }
    } catch (err) {
      this.failure = toRxbridgeError(err);
    }
  }

  error(err: Error): void {
    this.done(err, []);
  }

  /** The request is sent again: forget what its lost reply said. */
  reset(): void {
    this.extents = [];
    this.kept = 0;
    this.failure = undefined;
  }

  complete(): void {
    if (!this.failure && this.extents.length === 0) {
      this.failure = new ProtocolError('BLOCK_STATUS reply without extents for base:allocation', 'NBD_BAD_CHUNK');
    }
    this.done(this.failure, this.extents);
  }

  /** Keeps the chunk's extents (u32 length, u32 flags after a u32 context id) until `wanted` bytes are covered. */
  private keep(payload: Buffer): void {
    if (payload.length < BLOCK_STATUS_MIN_BYTES || (payload.length - 4) % EXTENT_BYTES !== 0) {
      throw new ProtocolError(`BLOCK_STATUS chunk of ${payload.length} bytes`, 'NBD_BAD_CHUNK');
    }
    if (payload.readUInt32BE(0) !== this.contextId) return;
    for (let pos = 4; pos < payload.length && this.kept < this.wanted; pos += EXTENT_BYTES) {
      const length = payload.readUInt32BE(pos);
      if (length === 0) throw new ProtocolError('BLOCK_STATUS extent of length 0', 'NBD_BAD_CHUNK');
      this.extents.push({ length, flags: payload.readUInt32BE(pos + 4) });
      this.kept += length;
    }
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
      const reply = new BlockStatusReply(contextId, n, (error, extents) => {
        if (error) {
          subscriber.error(error);
          return;
        }
        for (const e of extents) {
          if (position >= end) break;
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
