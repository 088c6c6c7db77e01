import type { FrameHeader, Lane } from '../../core/codec.js';
import type { EngineCodec } from '../../core/engineOptions.js';
import type { RequestRecord } from '../../core/request.js';
import { Command, STRUCTURED_REPLY_HEADER_BYTES } from '../protocol.js';
import { encodeRequest } from '../requestEncoder.js';
import { NbdReplyDecoder, type NbdReplyHeader } from '../replyDecoder.js';

const COMMAND_CLASS: Readonly<Record<number, string>> = {
  [Command.Read]: 'read',
  [Command.Write]: 'write',
  [Command.Flush]: 'flush',
  [Command.Trim]: 'trim',
  [Command.Cache]: 'cache',
  [Command.WriteZeroes]: 'zero',
  [Command.BlockStatus]: 'blockStatus',
};

/** A request's own destination for reply payload (a READ's buffer). */
export interface DirectReceiver {
  receiveInto(header: NbdReplyHeader, payloadOffset: number, length: number): Buffer | undefined;
}

/** One NBD request as the engine carries it; also what a simple reply's decoder looks up. */
export class NbdRequest {
  /** Set for reads: lets the socket read reply data straight into the caller's buffer. */
  receiver: DirectReceiver | undefined = undefined;

  constructor(
    readonly command: Command,
    readonly flags: number,
    readonly offset: number,
    readonly length: number,
    readonly payload: Uint8Array | undefined,
  ) {}
}

/** Plugs NBD into the engine: READ and the other commands take the command lane, WRITE the data lane. */
export class NbdEngineCodec implements EngineCodec<NbdReplyHeader, NbdRequest> {
  constructor(
    private readonly structuredReplies: boolean,
    private readonly maxReplyBytes: number,
  ) {}

  createDecoder(lookup: (tag: number) => RequestRecord<NbdReplyHeader> | undefined): NbdReplyDecoder {
    return new NbdReplyDecoder((tag) => lookup(tag)?.meta as NbdRequest | undefined, {
      structuredReplies: this.structuredReplies,
      maxPayloadBytes: this.maxReplyBytes,
    });
  }

  encode(meta: NbdRequest, tag: number): readonly Buffer[] {
    const header = encodeRequest(meta.command, meta.flags, tag, meta.offset, meta.length);
    if (meta.payload === undefined) return [header];
    const p = meta.payload;
    return [header, Buffer.isBuffer(p) ? p : Buffer.from(p.buffer, p.byteOffset, p.byteLength)];
  }

  lane(meta: NbdRequest): Lane {
    return meta.command === Command.Write ? 'data' : 'command';
  }

  replyBytes(meta: NbdRequest): number {
    return meta.command === Command.Read ? meta.length : 0;
  }

  /** A structured OFFSET_DATA chunk: 20-byte header and the 8-byte offset (a simple reply's 16-byte header and 12 data bytes). */
  readonly leadBytes = STRUCTURED_REPLY_HEADER_BYTES + 8;

  receiveInto(meta: NbdRequest, header: NbdReplyHeader, payloadOffset: number, length: number): Buffer | undefined {
    return meta.receiver?.receiveInto(header, payloadOffset, length);
  }

  classOf(meta: NbdRequest): string {
    return COMMAND_CLASS[meta.command] ?? 'other';
  }
}

export type { FrameHeader };
