import * as net from 'node:net';
import type { Socket } from 'node:net';
import { Observable, asyncScheduler, type SchedulerLike } from 'rxjs';
import { ConnectTimeoutError, ConnectionClosedError, InvalidArgumentError } from '../src/core/errors.js';
import { ReaderSlot, attachReaderSlot } from './internal/readerSlot.js';
import { socketError } from './internal/socketError.js';

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_RECEIVE_BUFFER_BYTES = 256 * 1024;

export interface ConnectOptions {
  host?: string;
  port?: number;
  /** A unix socket path; used instead of host and port when given. */
  path?: string;
  /** Give up connecting after this long (default 10000). */
  timeoutMs?: number;
  /** Set TCP_NODELAY (default true): batching is the sink's job, not Nagle's. */
  noDelay?: boolean;
  /**
   * Size of a reusable receive buffer (default 256 KiB): reads land in it
   * through Node's `onread` option instead of a fresh buffer per `'data'`
   * event, which halves the receive cost (PERF-NOTES item 2). 0 reads
   * through plain `'data'` events.
   */
  receiveBufferBytes?: number;
  /** Runs the connect timeout (virtual time in specs); default `asyncScheduler`. */
  scheduler?: SchedulerLike;
}

/** After the connection, errors are for socketSource and socketSink to report; this keeps Node from throwing them. */
function ignoreError(): void {}

/**
 * Connects on subscribe and emits the connected socket once.
 *
 * ```
 * subscribe:  ^
 * connected:  ---s-------------|     (completes when the socket closes)
 * refused:    ---#                   (RXB_CONNECTION_CLOSED, cause ECONNREFUSED)
 * too slow:   ----------#            (ConnectTimeoutError, RXB_CONNECT_TIMEOUT)
 * unsubscribe: the socket is destroyed
 * ```
 *
 * The Observable lives as long as the socket: it does not complete after
 * emitting (completing would run the teardown, which destroys the socket); it
 * completes when the socket closes, and unsubscribing destroys the socket. So
 * hold the subscription while you use the socket: `connect(o).pipe(switchMap(
 * socket => ...))`, never `firstValueFrom(connect(o))`. Errors after the
 * connection are not reported here but by socketSource and socketSink, which
 * see them in context; the Observable then just completes at the close. (A
 * paused socket learns of a close only by reading or writing.)
 *
 * The socket is emitted paused: nothing is read until a socketSource
 * subscribes, so bytes wait in the kernel and none are lost. TCP_NODELAY is
 * set once connected.
 *
 * TLS: `upgradeTls(socket, …)` turns this socket into a TLS socket (STARTTLS);
 * socketSource, socketSink and endSocket take either. The TLS layer then
 * reads the connection itself, so the reusable receive buffer simply stops
 * being used (no need to connect with `receiveBufferBytes: 0`).
 *
 * @example
 * connect({ host: '127.0.0.1', port: 10809 }).pipe(
 *   switchMap((socket) => socketSource(socket)),
 * ).subscribe((chunk) => hash.update(chunk));
 *
 * @param options where to connect, the timeout, TCP_NODELAY and the receive mode
 * @return a cold Observable of the one connected socket
 */
export function connect(options: ConnectOptions): Observable<Socket> {
  return new Observable<Socket>((subscriber) => {
    const timeoutMs = options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const receiveBufferBytes = options.receiveBufferBytes ?? DEFAULT_RECEIVE_BUFFER_BYTES;
    const noDelay = options.noDelay ?? true;
    if (options.path === undefined && options.port === undefined) {
      subscriber.error(new InvalidArgumentError('connect needs a port or a unix socket path'));
      return;
    }
    if (!(timeoutMs > 0)) {
      subscriber.error(new InvalidArgumentError(`connect timeout must be positive, got ${timeoutMs}`));
      return;
    }
    if (!Number.isSafeInteger(receiveBufferBytes) || receiveBufferBytes < 0) {
      subscriber.error(new InvalidArgumentError(`receive buffer size must be a whole number of bytes, got ${receiveBufferBytes}`));
      return;
    }

    const slot = new ReaderSlot(receiveBufferBytes > 0 ? Buffer.allocUnsafe(receiveBufferBytes) : undefined);
    const onread = slot.receiveBuffer && { buffer: slot.nextBuffer, callback: slot.onRead };
    let socket: Socket;
    try {
      socket =
        options.path !== undefined
          ? net.connect({ path: options.path, onread })
          : net.connect({ host: options.host, port: options.port!, onread });
    } catch (err) {
      // Node throws at once for a bad port or host type.
      subscriber.error(new InvalidArgumentError(`cannot connect: ${(err as Error).message}`));
      return;
    }
    attachReaderSlot(socket, slot);
    // Paused before the connection completes, so Node starts no read at all.
    socket.pause();

    const timeout = (options.scheduler ?? asyncScheduler).schedule(() => {
      subscriber.error(new ConnectTimeoutError(timeoutMs));
    }, timeoutMs);
    let connected = false;
    const onConnect = () => {
      connected = true;
      timeout.unsubscribe();
      socket.setNoDelay(noDelay);
      subscriber.next(socket);
    };
    const onError = (err: unknown) => {
      if (!connected) subscriber.error(socketError(err));
    };
    const onClose = () => {
      if (connected) subscriber.complete();
      else subscriber.error(new ConnectionClosedError('socket closed before it connected'));
    };
    socket.on('error', onError);
    socket.once('connect', onConnect);
    socket.once('close', onClose);
    return () => {
      timeout.unsubscribe();
      socket.off('connect', onConnect);
      socket.off('close', onClose);
      socket.off('error', onError);
      // An error already queued for the next tick must not become an uncaught exception.
      socket.on('error', ignoreError);
      socket.destroy();
    };
  });
}
