import type { EngineOptions } from '../../core/engineOptions.js';
import type { NbdTlsOptions } from './tlsOptions.js';
import type { ReconnectOptions, ReconnectStrategy } from './reconnectPolicy.js';

/** What the server said about the export, as the client will use it. */
export interface NbdExportInfo {
  readonly name: string;
  readonly size: bigint;
  readonly readOnly: boolean;
  readonly canFlush: boolean;
  readonly canFua: boolean;
  readonly canTrim: boolean;
  readonly canZero: boolean;
  readonly canFastZero: boolean;
  readonly canMultiConn: boolean;
  readonly canCache: boolean;
  readonly canDf: boolean;
  /** `advertised` is false when the server sent no INFO_BLOCK_SIZE (the values are then defaults). */
  readonly blockSize: { readonly minimum: number; readonly preferred: number; readonly maximum: number; readonly advertised: boolean };
  readonly structuredReplies: boolean;
  /** The context id of `base:allocation`, when the server agreed to it. */
  readonly baseAllocation: number | undefined;
  /** Raw transmission flags. */
  readonly transmissionFlags: number;
  /** True when the connection runs over TLS (set by connectNbd). */
  readonly tls?: boolean;
}

/** One extent of `base:allocation`. */
export interface Extent {
  readonly offset: number;
  readonly length: number;
  /** Not allocated (reads may return zeros). */
  readonly hole: boolean;
  /** Reads return zeros. */
  readonly zero: boolean;
}

export interface NbdOptions extends EngineOptions, NbdTlsOptions {
  /** Export name; overrides the URI's. */
  exportName?: string;
  /** Ask for structured replies (default true; falls back to simple ones when refused). */
  structuredReplies?: boolean;
  /** Largest READ or WRITE request the client sends; bigger calls are split. Default 256 KiB. */
  maxRequestBytes?: number;
  /** Connections to open; more than one needs the server's CAN_MULTI_CONN. Default 1. */
  connections?: number;
  /** Connect timeout in ms. Default 10000. */
  connectTimeoutMs?: number;
  /** Handshake timeout in ms (the whole option negotiation). Default 10000. */
  handshakeTimeoutMs?: number;
  /**
   * Reconnect when the connection is lost: requests in flight are held and
   * replayed on the new connection, new ones wait, and after `giveUpAfterMs`
   * everything pending fails with RXB_RECONNECT_GAVE_UP. `true` for the
   * defaults (100 ms doubling to 2 s, give up after 30 s), or a function
   * `(attempt, error) => delayMs | null`. Off by default.
   */
  reconnect?: ReconnectOptions | ReconnectStrategy | true;
  /** TCP_NODELAY (default true: the engine batches per event-loop turn itself, so Nagle only adds delay). */
  noDelay?: boolean;
  /** Size of the reusable receive buffer per connection. Default 256 KiB. */
  receiveBufferBytes?: number;
  /** Largest reply chunk accepted (a bigger length field is a protocol error). Default 64 MiB. */
  maxReplyBytes?: number;
}

export interface WriteOptions {
  /** Force unit access: the write is on stable storage when it completes. */
  fua?: boolean;
}

export interface ZeroOptions extends WriteOptions {
  /** Keep the range allocated. */
  noHole?: boolean;
  /** Fail with ENOTSUP rather than zeroing slowly. */
  fastZero?: boolean;
}

export interface ReadOptions {
  /** Read into this buffer (at `intoOffset`) instead of a new one, like pread. */
  into?: Uint8Array;
  intoOffset?: number;
}
