import type { Socket } from 'node:net';
import * as tls from 'node:tls';
import type { TLSSocket } from 'node:tls';
import { Observable } from 'rxjs';
import { InvalidArgumentError } from '../src/core/errors.js';
import { TlsError } from '../src/core/tlsError.js';
import { checkNoPlaintextLeft, ignoreError, tlsError } from './internal/tlsChecks.js';

/** What {@link upgradeTls} passes to `tls.connect`; the socket is the one upgraded. */
export type UpgradeTlsOptions = Omit<tls.ConnectionOptions, 'socket' | 'port' | 'path'>;

/**
 * Starts TLS as the client on an already connected socket (STARTTLS) and
 * emits the TLS socket once the handshake is done and the server's
 * certificate verified.
 *
 * ```
 * subscribe:   ^
 * secure:      -----t-----------|     (t: the TLSSocket; completes when it closes)
 * bad cert:    -----#                 (TlsError, RXB_TLS, reason UNABLE_TO_VERIFY_LEAF_SIGNATURE, ...)
 * unsubscribe: the TLS socket (and with it the plain one) is destroyed
 * ```
 *
 * Like `connect`, the Observable lives as long as the TLS socket: hold the
 * subscription while you use it (`switchMap`). The TLS socket is emitted
 * paused; read it with socketSource (through `'data'` events: the plain
 * socket's reusable receive buffer plays no part any more) and write it
 * with socketSink. Every later byte must go through the TLS socket.
 *
 * No socketSource may be subscribed to the plain socket. Bytes the peer sent
 * in plaintext after agreeing to TLS (already read but not consumed) are an
 * attack (plaintext injection): the upgrade fails with TlsError and nothing
 * is sent. Bound the handshake with `timeout()`: TLS itself waits forever.
 * Server certificates are verified unless `rejectUnauthorized: false`;
 * TLS 1.2 is the minimum unless `minVersion` says otherwise.
 *
 * @example
 * upgradeTls(socket, { ca, host: '127.0.0.1' }).pipe(
 *   switchMap((secure) => socketSource(secure)),
 * ).subscribe((chunk) => decoder.push(chunk));
 *
 * @param socket a connected socket, nobody reading it
 * @param options `tls.connect` options: `ca`, `cert`, `key`, `servername`, `host` (for the certificate check), ...
 * @return a cold Observable of the one TLS socket
 */
export function upgradeTls(socket: Socket, options: UpgradeTlsOptions): Observable<TLSSocket> {
  return new Observable<TLSSocket>((subscriber) => {
    const refusal = checkNoPlaintextLeft(socket);
    if (refusal !== undefined) {
      subscriber.error(refusal);
      return;
    }
    let secure: TLSSocket;
    try {
      secure = tls.connect({ minVersion: 'TLSv1.2', ...options, socket });
    } catch (err) {
      // Bad options (an unreadable key, a malformed CA) throw at once.
      subscriber.error(new InvalidArgumentError(`cannot start TLS: ${(err as Error).message}`));
      return;
    }
    let established = false;
    const onSecure = () => {
      established = true;
      // Nothing is read until a socketSource subscribes, as with `connect`.
      secure.pause();
      subscriber.next(secure);
    };
    const onError = (err: unknown) => {
      if (!established) subscriber.error(tlsError('TLS handshake with the server failed', err));
    };
    const onClose = () => {
      if (established) subscriber.complete();
      else subscriber.error(new TlsError('the connection closed during the TLS handshake'));
    };
    secure.once('secureConnect', onSecure);
    secure.on('error', onError);
    secure.once('close', onClose);
    return () => {
      secure.off('secureConnect', onSecure);
      secure.off('error', onError);
      secure.off('close', onClose);
      secure.on('error', ignoreError);
      secure.destroy();
    };
  });
}

