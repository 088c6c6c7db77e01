import { ConnectionClosedError, RxbridgeError, toRxbridgeError } from '../../src/core/errors.js';
import { TlsError } from '../../src/core/tlsError.js';

/**
 * Node stream codes that all mean "this socket is gone": writing or reading
 * after a destroy or an end. Callers should see a closed connection, not an
 * internal error. (Errno codes such as ECONNRESET are mapped by toRxbridgeError.)
 */
const CLOSED_STREAM_CODES: ReadonlySet<string> = new Set([
  'ERR_STREAM_DESTROYED',
  'ERR_STREAM_WRITE_AFTER_END',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/** Turns a socket or stream error into a coded RxbridgeError, keeping the original as `cause`. */
export function socketError(err: unknown): RxbridgeError {
  if (err instanceof RxbridgeError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string' && CLOSED_STREAM_CODES.has(code)) {
    const message = err instanceof Error ? err.message : String(err);
    return new ConnectionClosedError(`connection closed: ${message}`, { cause: err });
  }
  // A TLS socket's errors after the handshake: an alert from the peer (such as
  // "certificate required" once TLS 1.3 has let the client go on), a bad record.
  if (typeof code === 'string' && (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_'))) {
    const message = err instanceof Error ? err.message.trim() : String(err);
    return new TlsError(`TLS error: ${message}`, { cause: err, reason: code });
  }
  return toRxbridgeError(err);
}
