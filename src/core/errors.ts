/**
 * Errors with stable codes. Callers branch on `code`, never on the message.
 * Every error rxbridge raises extends {@link RxbridgeError}.
 */
export class RxbridgeError extends Error {
  /** Stable, machine-readable code such as `RXB_TIMEOUT`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** The peer sent bytes that break the protocol (bad magic, impossible length, unknown tag). */
export class ProtocolError extends RxbridgeError {
  constructor(message: string, code = 'RXB_PROTOCOL', options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** A length field announced a frame larger than the configured maximum; nothing was allocated. */
export class FrameTooLargeError extends ProtocolError {
  constructor(readonly announced: number, readonly limit: number) {
    super(`frame of ${announced} bytes exceeds the limit of ${limit} bytes`, 'RXB_FRAME_TOO_LARGE');
  }
}

/** A reply arrived for a tag that no pending request holds. */
export class UnknownTagError extends ProtocolError {
  constructor(readonly tag: number | bigint) {
    super(`reply for unknown tag ${tag}`, 'RXB_UNKNOWN_TAG');
  }
}

/** A request got no final reply within its timeout. */
export class RequestTimeoutError extends RxbridgeError {
  constructor(readonly timeoutMs: number) {
    super('RXB_TIMEOUT', `no reply within ${timeoutMs} ms`);
  }
}

/** Connecting took longer than the connect timeout. */
export class ConnectTimeoutError extends RxbridgeError {
  constructor(readonly timeoutMs: number) {
    super('RXB_CONNECT_TIMEOUT', `connect timed out after ${timeoutMs} ms`);
  }
}

/** The connection ended (or failed) while requests were pending; `cause` holds the socket error if any. */
export class ConnectionClosedError extends RxbridgeError {
  constructor(message = 'connection closed', options?: { cause?: unknown }) {
    super('RXB_CONNECTION_CLOSED', message, options);
  }
}

/** A bounded queue is full; the request was refused before anything was sent. */
export class QueueFullError extends RxbridgeError {
  constructor(what: string, limit: number) {
    super('RXB_QUEUE_FULL', `${what} is full (limit ${limit})`);
  }
}

/** Arguments that can never succeed (offset past the end, negative length, …); nothing was sent. */
export class InvalidArgumentError extends RxbridgeError {
  constructor(message: string) {
    super('RXB_INVALID_ARGUMENT', message);
  }
}

/** A feature the caller asked for is not available (not implemented yet, or the peer lacks it). */
export class UnsupportedError extends RxbridgeError {
  constructor(message: string) {
    super('RXB_UNSUPPORTED', message);
  }
}

/** Turns anything thrown into an RxbridgeError, keeping the original as `cause`. */
export function toRxbridgeError(err: unknown): RxbridgeError {
  if (err instanceof RxbridgeError) return err;
  const e = err as NodeJS.ErrnoException | undefined;
  const code = e && typeof e.code === 'string' ? e.code : undefined;
  const message = e && typeof e.message === 'string' ? e.message : String(err);
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNREFUSED' || code === 'ECONNABORTED') {
    return new ConnectionClosedError(`connection failed: ${message}`, { cause: err });
  }
  return new RxbridgeError('RXB_INTERNAL', message, { cause: err });
}
