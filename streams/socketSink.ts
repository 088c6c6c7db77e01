import type { Socket } from 'node:net';
import { Observable, type Observer, type OperatorFunction } from 'rxjs';
import type { Batch } from '../src/core/codec.js';
import { ConnectionClosedError, QueueFullError } from '../src/core/errors.js';
import { Fifo } from '../src/core/fifo.js';
import { socketError } from './internal/socketError.js';


export const DEFAULT_LOW_WATER_MARK = 64 * 1024;
export const DEFAULT_MAX_QUEUED_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MAX_QUEUED_BATCHES = 65_536;

/** A batch whose bytes were handed to the kernel. */
export interface Written<B> {
  readonly batch: B;
  /** `performance.now()` when the write callback fired: the bytes were handed to the kernel. */
  readonly handedAt: number;
}

export interface SocketSinkOptions {
  /** Not ready while `socket.writableLength` is above this many bytes (default 64 KiB). */
  lowWaterMark?: number;
  /** Told `false` when the sink stops writing and `true` when it writes again; changes only, starting from ready. */
  ready?: Pick<Observer<boolean>, 'next'>;
  /**
   * Called after each writev with its bytes and whether the kernel took them
   * whole (nothing left waiting in Node's buffer): whether the send queue has
   * room, before it gets as far as `ready`.
   */
  onWrite?: (bytes: number, takenWhole: boolean) => void;
  /** Bytes the sink may hold while not ready (default 64 MiB); more is a QueueFullError. */
  maxQueuedBytes?: number;
  /** Batches the sink may hold while not ready (default 65536); more is a QueueFullError. */
  maxQueuedBatches?: number;
}

const EMPTY = Buffer.alloc(0);

/**
 * Writes each batch to the socket with one writev and emits it once the
 * kernel has it.
 *
 * ```
 * source:  -a--b--c-----d--|
 * ready:   ------f------t---          (writableLength above, then below the mark)
 * result:  -A--B---------C-D-|        (C, D: c and d held in user space, written on resume)
 * socket error:  ---#                 (coded error: RXB_CONNECTION_CLOSED, ...)
 * ```
 *
 * Each batch is one `cork()`, one `write()` per buffer (by reference, never
 * copied) and one `uncork()`: a single writev (a batch of one buffer is just
 * its `write()`). While the socket's writable length is above `lowWaterMark`
 * the sink is not ready: it tells `ready` (`false`), keeps further batches
 * in its own bounded queue, where nothing is committed yet, and writes them
 * when the length falls back (a write callback or `'drain'`), telling
 * `ready` `true` once the queue is empty and the length below the mark.
 * Upstream is expected to stop while not ready; holding more than
 * `maxQueuedBytes` or `maxQueuedBatches` errors with QueueFullError
 * (RXB_QUEUE_FULL).
 *
 * Emits a {@link Written} per batch, in order, when its write callback fires.
 * Completes when the source has completed and every batch was handed over,
 * or when the socket closes with nothing left to write; errors on a socket
 * error or a close with batches pending (RXB_CONNECTION_CLOSED). It never ends
 * the socket (see `endSocket`). Unsubscribing removes its listeners and drops
 * the batches it holds; batches already written stay with the socket. The sink
 * should be the socket's only writer while subscribed.
 *
 * @example
 * const ready = new BehaviorSubject(true);
 * batch$.pipe(socketSink(socket, { ready })).subscribe(({ batch, handedAt }) =>
 *   batch.units.forEach((unit) => markDispatched(unit, handedAt)));
 *
 * @param socket a connected socket
 * @param options the low-water mark, the `ready` observer and the queue bounds
 * @return an operator from batches to their {@link Written} records
 */
export function socketSink<B extends Batch>(socket: Socket, options: SocketSinkOptions = {}): OperatorFunction<B, Written<B>> {
  const lowWaterMark = options.lowWaterMark ?? DEFAULT_LOW_WATER_MARK;
  const maxQueuedBytes = options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES;
  const maxQueuedBatches = options.maxQueuedBatches ?? DEFAULT_MAX_QUEUED_BATCHES;
  return (source) =>
    new Observable<Written<B>>((subscriber) => {
      const inFlight = new Fifo<B>(); // written, write callback pending
      const held = new Fifo<B>(); // waiting in user space while not ready
      let heldBytes = 0;
      let ready = true;
      let sourceDone = false;

      const fail = (err: unknown) => subscriber.error(socketError(err));

      const setReady = (value: boolean) => {
        if (value === ready) return;
        ready = value;
        options.ready?.next(value);
      };

      // One callback for every batch: Node calls write callbacks in order.
      const onWritten = (err?: Error | null) => {
        if (subscriber.closed) return;
        // A destroyed socket calls back without error for writes it dropped.
        if (err || socket.destroyed) {
          fail(err ?? new ConnectionClosedError('socket destroyed with writes pending'));
          return;
        }
        const batch = inFlight.shift()!;
        subscriber.next({ batch, handedAt: performance.now() });
        pump();
      };

      const writeBatch = (batch: B) => {
        inFlight.push(batch);
        const buffers = batch.buffers;
        const last = buffers.length - 1;
        if (last < 0) socket.write(EMPTY, onWritten);
        for (let i = 0; i < last; i++) socket.write(buffers[i]!);
        if (last >= 0) socket.write(buffers[last]!, onWritten);
      };

      /** Runs `write` between cork() and uncork(): what it writes leaves in one writev. */
      const corked = (write: () => void) => {
        socket.cork();
        try {
          write();
        } finally {
          socket.uncork();
        }
      };

      // Writes held batches while the socket is below the mark, all in one writev.
      const pump = () => {
        if (subscriber.closed) return;
        try {
          if (held.length > 0 && socket.writableLength <= lowWaterMark) {
            let bytes = 0;
            corked(() => {
              while (held.length > 0 && socket.writableLength <= lowWaterMark) {
                const batch = held.shift()!;
                heldBytes -= batch.bytes;
                bytes += batch.bytes;
                writeBatch(batch);
              }
            });
            options.onWrite?.(bytes, socket.writableLength === 0);
          }
          setReady(held.length === 0 && socket.writableLength <= lowWaterMark);
        } catch (err) {
          fail(err);
          return;
        }
        if (sourceDone && held.length === 0 && inFlight.length === 0) subscriber.complete();
      };

      const onClose = () => {
        if (held.length > 0 || inFlight.length > 0) fail(new ConnectionClosedError('socket closed with writes pending'));
        else subscriber.complete();
      };
      socket.on('drain', pump);
      socket.on('error', fail);
      socket.on('close', onClose);

      const sourceSubscription = source.subscribe({
        next: (batch) => {
          if (subscriber.closed) return; // a synchronous source may go on after we failed
          if (!ready) {
            if (heldBytes + batch.bytes > maxQueuedBytes) {
              subscriber.error(new QueueFullError('socket sink queue (bytes)', maxQueuedBytes));
            } else if (held.length >= maxQueuedBatches) {
              subscriber.error(new QueueFullError('socket sink queue (batches)', maxQueuedBatches));
            } else {
              held.push(batch);
              heldBytes += batch.bytes;
            }
            return;
          }
          try {
            // One buffer is one write already; corking it only adds Node's buffered-write path.
            if (batch.buffers.length > 1) corked(() => writeBatch(batch));
            else writeBatch(batch);
            options.onWrite?.(batch.bytes, socket.writableLength === 0);
            setReady(socket.writableLength <= lowWaterMark);
          } catch (err) {
            fail(err);
          }
        },
        error: (err) => subscriber.error(err),
        complete: () => {
          sourceDone = true;
          if (held.length === 0 && inFlight.length === 0) subscriber.complete();
        },
      });

      return () => {
        sourceSubscription.unsubscribe();
        socket.off('drain', pump);
        socket.off('error', fail);
        socket.off('close', onClose);
        held.clear();
        inFlight.clear();
      };
    });
}
