import type { Socket } from 'node:net';
import { Observable } from 'rxjs';
import { InvalidArgumentError } from '../src/core/errors.js';
import { readerSlotOf, type SocketReader } from './internal/readerSlot.js';
import { socketError } from './internal/socketError.js';

export interface SocketSourceOptions {
  /**
   * Back-pressure from downstream. `true` means downstream is behind: the
   * socket stops reading (after the chunk being emitted, if any), unread bytes
   * stay in the kernel and TCP's window pushes back on the peer. `false`
   * resumes reading. Reading starts unpaused; repeated values are ignored; an
   * error here errors the source.
   */
  paused$?: Observable<boolean>;
  /**
   * Asked after each read (sockets from `connect` with a receive buffer):
   * a buffer for the next read to land in, when the consumer knows the coming
   * bytes are payload bound for it; undefined for the receive buffer. The
   * chunk then emitted is a view of that buffer.
   */
  nextBuffer?: () => Buffer | undefined;
}

/**
 * Emits the chunks received on a socket, as they arrive.
 *
 * ```
 * socket:   --a--b---c--|(end or close)
 * paused$:  f-----t---f---
 * result:   --a--b-----c|
 * socket:   --a--x             (x: 'error', e.g. ECONNRESET)
 * result:   --a--#             (coded error: RXB_CONNECTION_CLOSED, ...)
 * ```
 *
 * Reads through the socket's reusable receive buffer when `connect` set one
 * up, else through `'data'` events. In the first mode a chunk is a view of
 * that buffer, overwritten by the next read: **a chunk is valid only during
 * its synchronous emission**; copy what you keep. (Treat `'data'`-mode chunks
 * the same way, so both modes stay interchangeable.)
 *
 * One subscription at a time per socket; a second concurrent one errors with
 * RXB_INVALID_ARGUMENT (use `share()` to fan out). Unsubscribing pauses reading
 * and removes every listener it added, so a later socketSource on the same
 * socket (the engine after a handshake that read with its own) resumes reading
 * and gets the following bytes, none lost. Bytes left inside a chunk that a
 * consumer did not use are that consumer's to hand on.
 *
 * @example
 * const paused$ = new BehaviorSubject(false);
 * socketSource(socket, { paused$ }).subscribe((chunk) => decoder.push(chunk));
 *
 * @param socket a connected socket (from `connect`, a server, or TLS)
 * @param options `paused$`, downstream's back-pressure signal
 * @return a cold Observable of received chunks; completes on `'end'` or `'close'`
 */
export function socketSource(socket: Socket, options: SocketSourceOptions = {}): Observable<Buffer> {
  return new Observable<Buffer>((subscriber) => {
    const slot = readerSlotOf(socket);
    if (slot.reader !== undefined) {
      subscriber.error(new InvalidArgumentError('this socket already has a subscribed socketSource'));
      return;
    }
    const usesOnread = slot.receiveBuffer !== undefined;
    const reader: SocketReader & { paused: boolean } = {
      paused: false,
      next: (chunk: Buffer) => subscriber.next(chunk),
      nextBuffer: options.nextBuffer,
    };
    const onEnd = () => subscriber.complete();
    const onError = (err: unknown) => subscriber.error(socketError(err));

    // Copies of chunks that slipped through while nobody could take them come first.
    const startReading = () => {
      while (slot.pending.length > 0 && !reader.paused && !subscriber.closed) subscriber.next(slot.pending.shift()!);
      if (reader.paused || subscriber.closed) return;
      if (socket.destroyed || socket.readableEnded) {
        // Subscribed after the end: nothing more will come, and no event will say so.
        if (socket.errored) subscriber.error(socketError(socket.errored));
        else subscriber.complete();
        return;
      }
      // With onread, read(0) restarts the handle at once; resume() would also
      // restart it on the next tick, undoing a pause made in between.
      if (usesOnread) socket.read(0);
      else socket.resume();
    };

    slot.reader = reader;
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    socket.on('error', onError);
    if (!usesOnread) socket.on('data', reader.next);

    const pausedSubscription = options.paused$?.subscribe({
      next: (paused) => {
        if (paused === reader.paused) return;
        reader.paused = paused;
        if (paused) socket.pause();
        else startReading();
      },
      error: (err) => subscriber.error(err),
    });

    startReading();

    return () => {
      pausedSubscription?.unsubscribe();
      if (slot.reader === reader) slot.reader = undefined;
      // Paused before the 'data' listener goes, so unread bytes wait for the next reader.
      socket.pause();
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
      socket.off('data', reader.next);
    };
  });
}
