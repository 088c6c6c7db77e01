import { RxbridgeError } from '../../core/errors.js';
import { NbdHandshakeError } from '../errors.js';
import {
  encodeExportNameReply,
  encodeGreeting,
  encodeInfoBlockSize,
  encodeInfoDescription,
  encodeInfoExport,
  encodeInfoName,
  encodeMetaContextReply,
  encodeOptionError,
  encodeOptionReply,
  encodeServerReply,
  parseGoOrInfo,
  parseMetaContextRequest,
  ServerHandshakeReader,
} from '../handshakeServer.js';
import {
  ClientFlag,
  HandshakeFlag,
  InfoType,
  META_CONTEXT_BASE_ALLOCATION,
  Option,
  OptionError,
  OptionReply,
  TransmissionFlag,
} from '../protocol.js';
import type { NbdExport } from './exportTable.js';

/** The context id the server gives base:allocation after NBD_OPT_SET_META_CONTEXT. */
export const BASE_ALLOCATION_ID = 1;

/** Block size limits advertised in NBD_INFO_BLOCK_SIZE and enforced in transmission. */
export interface BlockSizes {
  readonly minimum: number;
  readonly preferred: number;
  readonly maximum: number;
}

/** What the handshake agreed on, handed to the transmission phase. */
export interface Negotiated {
  readonly export: NbdExport;
  readonly structuredReplies: boolean;
  /** base:allocation was selected (its id is BASE_ALLOCATION_ID). */
  readonly baseAllocation: boolean;
  readonly transmissionFlags: number;
  /** Bytes the client sent past the handshake: the first transmission bytes. */
  readonly rest: Buffer;
}

/** What one `push` produced: bytes to send (in order), then possibly the end of the handshake. */
export interface HandshakeStep {
  readonly replies: Buffer[];
  /** Set once the client entered transmission (after `replies` are sent). */
  readonly done?: Negotiated;
  /** Set when the connection must close (after `replies` are sent); the reason, for stats and logs. */
  readonly close?: string;
  /**
   * Set when the client's NBD_OPT_STARTTLS was accepted: send `replies` (the
   * ACK), start TLS as the server, then call `tlsStarted()` and push what
   * arrives over TLS. Push nothing in between.
   */
  readonly startTls?: true;
}

export interface ServerHandshakeOptions {
  readonly exports: ReadonlyMap<string, NbdExport>;
  readonly blockSizes: BlockSizes;
  /** Options accepted before the server gives up on the client (default 64). */
  readonly maxOptions?: number;
  /** Largest option data (default 64 KiB, the reader's default). */
  readonly maxOptionBytes?: number;
  /** Offer structured replies (default true). */
  readonly structuredReplies?: boolean;
  /**
   * Accept NBD_OPT_STARTTLS (default: refused with ERR_UNSUP). `required`:
   * every option before it but ABORT is refused with ERR_TLS_REQD (and
   * EXPORT_NAME, which cannot be refused, closes the connection), so no
   * transmission happens in plaintext.
   */
  readonly tls?: 'optional' | 'required';
}

const KNOWN_CLIENT_FLAGS = ClientFlag.FixedNewstyle | ClientFlag.NoZeroes;

/**
 * The server side of the fixed newstyle handshake as a state machine over
 * received bytes: push each chunk, send `replies`, then obey `done` or
 * `close`. No I/O here, so every path is testable with byte arrays.
 */
export class ServerHandshake {
  /** The greeting to send as soon as the client connects. */
  readonly greeting = encodeGreeting(HandshakeFlag.FixedNewstyle | HandshakeFlag.NoZeroes);
  private readonly reader: ServerHandshakeReader;
  private readonly maxOptions: number;
  private flagsRead = false;
  private noZeroes = false;
  private structured = false;
  /** Export name base:allocation was selected for, or undefined. */
  private metaFor: string | undefined;
  private optionCount = 0;
  private finished = false;
  private tlsState: 'off' | 'starting' | 'on' = 'off';

  constructor(private readonly options: ServerHandshakeOptions) {
    this.reader = new ServerHandshakeReader({ maxOptionBytes: options.maxOptionBytes });
    this.maxOptions = options.maxOptions ?? 64;
  }

  /** Consumes a received chunk (copied; the caller may reuse it). */
  push(chunk: Buffer): HandshakeStep {
    const replies: Buffer[] = [];
    if (this.finished) return { replies, close: 'bytes after the handshake ended' };
    if (this.tlsState === 'starting') return this.end(replies, 'plaintext bytes where the TLS handshake belongs');
    try {
      this.reader.push(chunk);
      if (!this.flagsRead) {
        const flags = this.reader.readClientFlags();
        if (flags === undefined) return { replies };
        this.flagsRead = true;
        if ((flags & ClientFlag.FixedNewstyle) === 0) return this.end(replies, 'client does not speak fixed newstyle');
        if ((flags & ~KNOWN_CLIENT_FLAGS) !== 0) return this.end(replies, `unknown client flags 0x${flags.toString(16)}`);
        this.noZeroes = (flags & ClientFlag.NoZeroes) !== 0;
      }
      for (;;) {
        let opt: { option: number; data: Buffer } | undefined;
        try {
          opt = this.reader.readOption();
        } catch (err) {
          if (!(err instanceof NbdHandshakeError) || err.code !== 'NBD_OPTION_TOO_BIG' || err.option === undefined) throw err;
          // The reader skips the oversized data as it arrives; refuse the option and go on.
          if (err.option === Option.ExportName) return this.end(replies, 'oversized NBD_OPT_EXPORT_NAME');
          if (this.countOption()) return this.end(replies, 'too many options');
          replies.push(encodeOptionError(err.option, OptionError.TooBig, 'option data too large'));
          continue;
        }
        if (opt === undefined) return { replies };
        if (this.countOption()) return this.end(replies, 'too many options');
        const step = this.option(opt.option, opt.data, replies);
        if (step !== undefined) return step;
      }
    } catch (err) {
      return this.end(replies, err instanceof RxbridgeError ? err.message : String(err));
    }
  }

  private countOption(): boolean {
    return ++this.optionCount > this.maxOptions;
  }

  private end(replies: Buffer[], reason: string): HandshakeStep {
    this.finished = true;
    return { replies, close: reason };
  }

  /**
   * TLS is up: what was negotiated before STARTTLS is forgotten (proto.md),
   * and the handshake goes on with what arrives over TLS.
   */
  tlsStarted(): void {
    this.tlsState = 'on';
    this.structured = false;
    this.metaFor = undefined;
  }

  /** Handles one option, pushing its replies; returns a step when the handshake ends. */
  private option(option: number, data: Buffer, replies: Buffer[]): HandshakeStep | undefined {
    if (this.options.tls === 'required' && this.tlsState !== 'on' && option !== Option.Abort && option !== Option.StartTls) {
      if (option === Option.ExportName) return this.end(replies, 'NBD_OPT_EXPORT_NAME without TLS');
      replies.push(encodeOptionError(option, OptionError.TlsReqd, 'TLS is required: send NBD_OPT_STARTTLS first'));
      return undefined;
    }
    switch (option) {
      case Option.StartTls:
        return this.startTls(data, replies);
      case Option.ExportName: {
        const exp = this.options.exports.get(data.toString('utf8'));
        if (exp === undefined) return this.end(replies, 'unknown export in NBD_OPT_EXPORT_NAME');
        const flags = this.transmissionFlags(exp);
        replies.push(encodeExportNameReply(exp.size, flags, this.noZeroes));
        return this.enter(exp, flags, replies);
      }
      case Option.Abort:
        replies.push(encodeOptionReply(option, OptionReply.Ack));
        return this.end(replies, 'client aborted the handshake');
      case Option.List:
        if (data.length !== 0) {
          replies.push(encodeOptionError(option, OptionError.Invalid, 'NBD_OPT_LIST takes no data'));
          return undefined;
        }
        for (const exp of this.options.exports.values()) {
          replies.push(encodeOptionReply(option, OptionReply.Server, encodeServerReply(exp.name, exp.description)));
        }
        replies.push(encodeOptionReply(option, OptionReply.Ack));
        return undefined;
      case Option.Info:
      case Option.Go:
        return this.infoOrGo(option, data, replies);
      case Option.StructuredReply:
        if (data.length !== 0) {
          replies.push(encodeOptionError(option, OptionError.Invalid, 'NBD_OPT_STRUCTURED_REPLY takes no data'));
          return undefined;
        }
        if (this.options.structuredReplies === false) {
          replies.push(encodeOptionError(option, OptionError.Unsup, 'structured replies are switched off'));
          return undefined;
        }
        this.structured = true;
        replies.push(encodeOptionReply(option, OptionReply.Ack));
        return undefined;
      case Option.ListMetaContext:
      case Option.SetMetaContext:
        this.metaContext(option, data, replies);
        return undefined;
      default:
        replies.push(encodeOptionError(option, OptionError.Unsup, 'option not supported'));
        return undefined;
    }
  }

  private startTls(data: Buffer, replies: Buffer[]): HandshakeStep | undefined {
    const option = Option.StartTls;
    if (this.options.tls === undefined) {
      replies.push(encodeOptionError(option, OptionError.Unsup, 'TLS is not configured on this server'));
    } else if (this.tlsState === 'on') {
      replies.push(encodeOptionError(option, OptionError.Invalid, 'TLS is already on'));
    } else if (data.length !== 0) {
      replies.push(encodeOptionError(option, OptionError.Invalid, 'NBD_OPT_STARTTLS takes no data'));
    } else if (this.reader.buffered > 0) {
      // The client cannot have sent its TLS hello before our ACK: these bytes are an injection.
      return this.end(replies, 'bytes after NBD_OPT_STARTTLS, before the TLS handshake');
    } else {
      replies.push(encodeOptionReply(option, OptionReply.Ack));
      this.tlsState = 'starting';
      return { replies, startTls: true };
    }
    return undefined;
  }

  private infoOrGo(option: number, data: Buffer, replies: Buffer[]): HandshakeStep | undefined {
    let request: { name: string; infoRequests: number[] };
    try {
      request = parseGoOrInfo(data, option);
    } catch (err) {
      replies.push(encodeOptionError(option, OptionError.Invalid, (err as Error).message));
      return undefined;
    }
    const exp = this.options.exports.get(request.name);
    if (exp === undefined) {
      replies.push(encodeOptionError(option, OptionError.Unknown, 'no such export'));
      return undefined;
    }
    const flags = this.transmissionFlags(exp);
    const sizes = this.options.blockSizes;
    replies.push(encodeOptionReply(option, OptionReply.Info, encodeInfoExport(exp.size, flags)));
    replies.push(encodeOptionReply(option, OptionReply.Info, encodeInfoBlockSize(sizes.minimum, sizes.preferred, sizes.maximum)));
    if (request.infoRequests.includes(InfoType.Name)) {
      replies.push(encodeOptionReply(option, OptionReply.Info, encodeInfoName(exp.name)));
    }
    if (request.infoRequests.includes(InfoType.Description) && exp.description !== '') {
      replies.push(encodeOptionReply(option, OptionReply.Info, encodeInfoDescription(exp.description)));
    }
    replies.push(encodeOptionReply(option, OptionReply.Ack));
    return option === Option.Go ? this.enter(exp, flags, replies) : undefined;
  }

  private metaContext(option: number, data: Buffer, replies: Buffer[]): void {
    if (!this.structured) {
      replies.push(encodeOptionError(option, OptionError.Invalid, 'negotiate structured replies first'));
      return;
    }
    let request: { name: string; queries: string[] };
    try {
      request = parseMetaContextRequest(data, option);
    } catch (err) {
      replies.push(encodeOptionError(option, OptionError.Invalid, (err as Error).message));
      return;
    }
    if (!this.options.exports.has(request.name)) {
      replies.push(encodeOptionError(option, OptionError.Unknown, 'no such export'));
      return;
    }
    const list = option === Option.ListMetaContext;
    // LIST with no query, or with the namespace query "base:", lists every base context.
    const selected = request.queries.length === 0 ? list : request.queries.some((q) => q === META_CONTEXT_BASE_ALLOCATION || (list && q === 'base:'));
    if (!list) this.metaFor = selected ? request.name : undefined;
    if (selected) {
      replies.push(encodeOptionReply(option, OptionReply.MetaContext, encodeMetaContextReply(list ? 0 : BASE_ALLOCATION_ID, META_CONTEXT_BASE_ALLOCATION)));
    }
    replies.push(encodeOptionReply(option, OptionReply.Ack));
  }

  private transmissionFlags(exp: NbdExport): number {
    let flags =
      TransmissionFlag.HasFlags |
      TransmissionFlag.SendFlush |
      TransmissionFlag.SendFua |
      TransmissionFlag.SendTrim |
      TransmissionFlag.SendWriteZeroes |
      TransmissionFlag.CanMultiConn |
      TransmissionFlag.SendCache |
      TransmissionFlag.SendFastZero;
    // DF only means something with structured replies (proto.md: not without them).
    if (this.structured) flags |= TransmissionFlag.SendDf;
    if (exp.readOnly) flags |= TransmissionFlag.ReadOnly;
    return flags;
  }

  private enter(exp: NbdExport, flags: number, replies: Buffer[]): HandshakeStep {
    this.finished = true;
    return {
      replies,
      done: {
        export: exp,
        structuredReplies: this.structured,
        // Contexts chosen for another export do not carry over.
        baseAllocation: this.metaFor === exp.name,
        transmissionFlags: flags,
        rest: this.reader.takeRest(),
      },
    };
  }
}
