import type { Socket } from 'node:net';
import { defer, map, of, switchMap, throwError, timeout, type Observable } from 'rxjs';
import { TlsError } from '../../core/tlsError.js';
import { upgradeTls } from '../../../streams/upgradeTls.js';
import { negotiate, runSession, type HandshakeOptions } from './handshake.js';
import { requestStartTls } from './startTls.js';
import type { TlsPlan } from './tlsOptions.js';
import type { NbdExportInfo } from './types.js';

const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

/** Where the handshake goes on after the TLS step. */
export interface Channel {
  /** The TLS socket after an upgrade, else the plain one: every later byte goes through it. */
  readonly socket: Socket;
  readonly tls: boolean;
  /** The client flags already sent, or undefined when the greeting is still to be answered. */
  readonly clientFlags: number | undefined;
  /** What is left of the handshake timeout, in ms (at least 1). */
  remainingMs(): number;
}

/**
 * The TLS step of the client handshake, on a connected plain socket: with
 * TLS `off`, the socket as it is; else the greeting and NBD_OPT_STARTTLS
 * (see requestStartTls) and, once agreed, the TLS upgrade. One handshake
 * timeout covers the whole negotiation, this step included.
 *
 * ```
 * off:               (c|)            c: the plain socket, greeting still to come
 * agreed:            ------------c-- c: the TLS socket (lives until it closes)
 * prefer, refused:   ----(c|)        c: the plain socket, greeting answered
 * require, refused:  ----#           NBD_TLS_REQUIRED; bad certificate: RXB_TLS
 * ```
 *
 * Hold the subscription while the channel is used: unsubscribing destroys
 * the TLS socket.
 *
 * @example
 * openChannel(socket, resolveTls(uri, options), 10_000).pipe(
 *   switchMap((ch) => negotiate(ch.socket, { exportName, clientFlags: ch.clientFlags, timeoutMs: ch.remainingMs() })),
 * );
 *
 * @param socket a connected plain socket, before the greeting
 * @param plan the resolved TLS settings
 * @param timeoutMs the handshake timeout (default 10000)
 * @return a cold Observable of the one channel
 */
export function openChannel(socket: Socket, plan: TlsPlan, timeoutMs = DEFAULT_HANDSHAKE_TIMEOUT_MS): Observable<Channel> {
  return defer(() => {
    const deadline = Date.now() + timeoutMs;
    const remainingMs = () => Math.max(1, deadline - Date.now());
    const mode = plan.mode;
    if (mode === 'off') return of<Channel>({ socket, tls: false, clientFlags: undefined, remainingMs });
    return runSession(socket, timeoutMs, (session) => requestStartTls(session, mode)).pipe(
      switchMap(({ clientFlags, agreed }): Observable<Channel> => {
        if (!agreed) return of({ socket, tls: false, clientFlags, remainingMs });
        return upgradeTls(socket, plan.connection).pipe(
          timeout({
            first: remainingMs(),
            with: () => throwError(() => new TlsError(`the TLS handshake did not finish within the handshake timeout of ${timeoutMs} ms`)),
          }),
          map((secure) => ({ socket: secure, tls: true, clientFlags, remainingMs })),
        );
      }),
    );
  });
}

/**
 * The whole client handshake with its TLS step: emits the socket the
 * transmission phase must use (the TLS one after an upgrade) and what was
 * agreed (`info.tls` says whether TLS is on). Hold the subscription while
 * the socket is used.
 *
 * @param socket a connected plain socket, before the greeting
 * @param plan the resolved TLS settings
 * @param options export name, structured replies, the handshake timeout
 * @return a cold Observable of one `{ socket, info }`
 */
export function negotiateOver(socket: Socket, plan: TlsPlan, options: HandshakeOptions): Observable<{ socket: Socket; info: NbdExportInfo }> {
  return openChannel(socket, plan, options.timeoutMs).pipe(
    switchMap((ch) =>
      negotiate(ch.socket, { ...options, clientFlags: ch.clientFlags, timeoutMs: ch.remainingMs() }).pipe(
        map((info) => ({ socket: ch.socket, info: { ...info, tls: ch.tls } })),
      ),
    ),
  );
}
