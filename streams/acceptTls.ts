import type { Socket } from 'node:net';
import * as tls from 'node:tls';
import type { TLSSocket } from 'node:tls';
import { Observable } from 'rxjs';
import { InvalidArgumentError } from '../src/core/errors.js';
import { TlsError } from '../src/core/tlsError.js';
import { checkNoPlaintextLeft, ignoreError, tlsError } from './internal/tlsChecks.js';

export const DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

export interface AcceptTlsOptions {
  /** The server's private key (PEM). */
  key: string | Buffer;
  /** The server's certificate chain (PEM). */
  cert: string | Buffer;
  /** CA certificates that client certificates must chain to (PEM); needed with `requestCert`. */
  ca?: string | Buffer | (string | Buffer)[];
  /** Ask the client for a certificate and refuse the connection unless it verifies against `ca`. */
  requestCert?: boolean;
  /** Give up on a client that has not finished the handshake after this long (default 10000). */
  handshakeTimeoutMs?: number;
}

/**
 * Starts TLS as the server on an accepted socket (after STARTTLS was agreed)
 * and emits the TLS socket once the handshake is done (and, with
 * `requestCert`, the client's certificate verified).
 *
 * ```
 * subscribe:   ^
 * secure:      -----t-----------|     (t: the TLSSocket; completes when it closes)
 * failure:     -----#                 (TlsError, RXB_TLS: bad handshake, rejected client certificate, timeout)
 * unsubscribe: the TLS socket (and with it the plain one) is destroyed
 * ```
 *
 * The socket is handed to a private, never listening `tls.Server`, so Node's
 * own server logic applies: the handshake timeout, and the verification of
 * client certificates (a bare server-side TLSSocket does not verify them).
 * The Observable lives as long as the TLS socket; the TLS socket is emitted
 * paused, for socketSource. No socketSource may be subscribed to the plain
 * socket, and bytes the client sent after the STARTTLS reply but before its
 * TLS hello, already read, refuse the upgrade (plaintext injection).
 *
 * @example
 * acceptTls(socket, { key, cert }).pipe(
 *   switchMap((secure) => socketSource(secure)),
 * ).subscribe((chunk) => handshake.push(chunk));
 *
 * @param socket an accepted socket, nobody reading it
 * @param options the server's key and certificate, client verification, the handshake timeout
 * @return a cold Observable of the one TLS socket
 */
export function acceptTls(socket: Socket, options: AcceptTlsOptions): Observable<TLSSocket> {
  return new Observable<TLSSocket>((subscriber) => {
    const refusal = checkNoPlaintextLeft(socket);
    if (refusal !== undefined) {
      subscriber.error(refusal);
      return;
    }
    let server: tls.Server;
    try {
      server = tls.createServer({
        key: options.key,
        cert: options.cert,
        ca: options.ca,
        requestCert: options.requestCert ?? false,
        rejectUnauthorized: options.requestCert ?? false,
        handshakeTimeout: options.handshakeTimeoutMs ?? DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS,
        minVersion: 'TLSv1.2',
      });
    } catch (err) {
      subscriber.error(new InvalidArgumentError(`cannot start TLS: ${(err as Error).message}`));
      return;
    }
    let secure: TLSSocket | undefined;
    const onSecure = (s: TLSSocket) => {
      secure = s;
      s.pause();
      s.once('close', onSecureClose);
      subscriber.next(s);
    };
    const onClientError = (err: unknown) => subscriber.error(tlsError('TLS handshake with the client failed', err));
    // A client certificate that does not verify makes Node destroy the socket without an error.
    const onPlainClose = () => {
      if (secure === undefined) subscriber.error(new TlsError('the connection closed during the TLS handshake (a client certificate that did not verify?)'));
    };
    const onSecureClose = () => subscriber.complete();
    server.on('secureConnection', onSecure);
    server.on('tlsClientError', onClientError);
    socket.once('close', onPlainClose);
    server.emit('connection', socket);
    return () => {
      server.off('secureConnection', onSecure);
      server.off('tlsClientError', onClientError);
      socket.off('close', onPlainClose);
      secure?.off('close', onSecureClose);
      secure?.on('error', ignoreError);
      secure?.destroy();
      socket.destroy();
    };
  });
}
