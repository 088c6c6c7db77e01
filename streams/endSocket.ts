import type { Socket } from 'node:net';
import { Observable, type Subscription } from 'rxjs';
import { readerSlotOf } from './internal/readerSlot.js';
import { socketError } from './internal/socketError.js';
import { socketSource } from './socketSource.js';

/**
 * Ends the socket politely (FIN after the queued writes) and emits once it
 * has closed.
 *
 * ```
 * subscribe:  ^
 * result:     -------(v|)     (v: undefined, at 'close')
 * error:      ----#           (coded error from the socket's 'error')
 * ```
 *
 * The close needs the peer's FIN as well, and Node sees it only by reading:
 * if no socketSource is subscribed, this reads and discards what the peer
 * still sends. A peer that never closes keeps this waiting; bound it with
 * `timeout()` and destroy the socket (unsubscribe from `connect`) if it fires.
 * Unsubscribing removes the listeners; the end, once asked for, stands.
 *
 * @example
 * concat(endSocket(socket), defer(() => report('closed'))).subscribe();
 *
 * @param socket the socket to end
 * @return a cold Observable that emits `undefined` and completes at the close
 */
export function endSocket(socket: Socket): Observable<void> {
  return new Observable<void>((subscriber) => {
    const onClose = () => {
      subscriber.next();
      subscriber.complete();
    };
    const onError = (err: unknown) => subscriber.error(socketError(err));
    if (socket.closed) {
      onClose();
      return;
    }
    socket.once('close', onClose);
    socket.on('error', onError);
    let discard: Subscription | undefined;
    if (readerSlotOf(socket).reader === undefined) {
      // Errors reach us through onError; the source only has to keep reading.
      discard = socketSource(socket).subscribe({ error: () => {} });
    }
    socket.end();
    return () => {
      socket.off('close', onClose);
      socket.off('error', onError);
      discard?.unsubscribe();
    };
  });
}
