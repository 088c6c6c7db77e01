import type { Socket } from 'node:net';
import { BehaviorSubject, concat, EMPTY, Observable, of, Subject, Subscription, tap, timeout } from 'rxjs';
import { RxbridgeError } from '../../core/errors.js';
import type { DeviceModel } from '../../device/model.js';
import { pace } from '../../device/pace.js';
import { TokenBucket } from '../../device/tokenBucket.js';
import { frame } from '../../../operators/frame.js';
import { rebuffer } from '../../../operators/rebuffer.js';
import { acceptTls, type AcceptTlsOptions } from '../../../streams/acceptTls.js';
import { endSocket } from '../../../streams/endSocket.js';
import { socketSink } from '../../../streams/socketSink.js';
import { socketSource } from '../../../streams/socketSource.js';
import { NbdRequestDecoder } from '../requestDecoder.js';
import type { NbdExport } from './exportTable.js';
import { RequestProcessor } from './requestProcessor.js';
import { ServerHandshake, type BlockSizes, type Negotiated } from './serverHandshake.js';
import type { ReplyUnit } from './serverJob.js';
import type { ServerCounters } from './serverStats.js';

/**
 * Above the socket sink's usual 64 KiB: one large READ reply alone would
 * make the sink not ready and pause reading after every request.
 */
export const DEFAULT_SERVER_LOW_WATER_MARK = 1024 * 1024;

const EMPTY_BUFFER = Buffer.alloc(0);

/** What every connection of a server shares. */
export interface ConnectionContext {
  readonly exports: ReadonlyMap<string, NbdExport>;
  readonly blockSizes: BlockSizes;
  readonly model: DeviceModel;
  readonly counters: ServerCounters;
  /** Reply bytes a connection may hold before it stops reading requests (default 32 MiB). */
  readonly maxReplyBytes?: number;
  /** A WRITE above the maximum block size is read and discarded up to this size; above it, the connection is dropped. */
  readonly maxDiscardBytes: number;
  /** The sink is not ready (and reading pauses) while Node holds more than this many unsent reply bytes (default 1 MiB). */
  readonly lowWaterMark?: number;
  /** Handshake options accepted per connection (default 64). */
  readonly maxOptions?: number;
  /** Offer structured replies (default true). */
  readonly structuredReplies?: boolean;
  /** A peer that does not close within this many ms after we ended is destroyed (default 5000). */
  readonly closeTimeoutMs?: number;
  /** Accept NBD_OPT_STARTTLS with this key and certificate; `require`: refuse everything else before it. */
  readonly tls?: ServerTlsOptions;
}

/** TLS in the emulator: the server's credentials, client verification, and whether TLS is required. */
export interface ServerTlsOptions extends AcceptTlsOptions {
  /** Refuse every option before NBD_OPT_STARTTLS but ABORT with ERR_TLS_REQD: no plaintext transmission. */
  readonly require?: boolean;
}

/**
 * Serves one accepted socket: the handshake, then transmission through the
 * engine's own streams and operators, with the device model applied.
 *
 * ```
 * socketSource(paused$) → link pacing → frame(NbdRequestDecoder) → RequestProcessor
 *   → replies → rebuffer → pace(device→host link) → socketSink(ready) → kernel
 * ```
 *
 * Reading pauses (TCP pushes back on the client) while the host→device link
 * bucket is in debt, while requests wait for admission or a device slot, and
 * while the sink is not ready (the client does not read its replies). A
 * protocol violation (bad magic, oversized frame, broken handshake) drops the
 * connection; DISC or the client's end finishes the requests in progress,
 * writes their replies and ends the socket.
 *
 * With `ctx.tls`, NBD_OPT_STARTTLS is accepted: after its ACK the socket is
 * upgraded (acceptTls) and the handshake, then transmission, go on over TLS;
 * what was negotiated before is forgotten. With `tls.require` nothing but
 * STARTTLS and ABORT is served before TLS.
 *
 * @param socket An accepted socket (allowHalfOpen, so replies can still go out after the client's FIN).
 * @param ctx What the server's connections share.
 * @return A cold Observable that completes when the socket has closed; unsubscribing destroys it.
 */
export function serveConnection(plain: Socket, ctx: ConnectionContext): Observable<never> {
  return new Observable<never>((subscriber) => {
    // The TLS socket once STARTTLS is done: every later byte goes through it.
    let socket: Socket = plain;
    const counters = ctx.counters;
    const model = ctx.model;
    const subscriptions = new Subscription();
    let processor: RequestProcessor | undefined;
    let inputTimer: NodeJS.Timeout | undefined;
    let ending = false;

    counters.accepted++;
    counters.open++;
    const onClose = () => subscriber.complete();
    // Errors surface through the source and sink; this listener only keeps an 'error' from being unhandled.
    const onError = () => {};
    socket.once('close', onClose);
    socket.on('error', onError);
    socket.setNoDelay(true);

    const drop = (err?: unknown) => {
      const code = err instanceof RxbridgeError ? err.code : undefined;
      if (code === 'RXB_INJECTED_DISCONNECT') counters.faults++;
      else if (code !== undefined && code !== 'RXB_CONNECTION_CLOSED') counters.dropped++;
      socket.destroy();
    };

    /** Ends our side politely once everything is written; a peer that never closes is destroyed. */
    const end = () => {
      if (ending) return;
      ending = true;
      subscriptions.add(
        endSocket(socket)
          .pipe(timeout({ first: ctx.closeTimeoutMs ?? 5000 }))
          .subscribe({ error: () => socket.destroy() }),
      );
    };

    const tlsMode = ctx.tls === undefined ? undefined : ctx.tls.require ? 'required' : 'optional';
    const handshake = new ServerHandshake({
      exports: ctx.exports, blockSizes: ctx.blockSizes, maxOptions: ctx.maxOptions, structuredReplies: ctx.structuredReplies, tls: tlsMode,
    });
    socket.write(handshake.greeting);
    readHandshake();

    /** Feeds the handshake from the socket (the plain one, then the TLS one after STARTTLS). */
    function readHandshake(): void {
      const reading = new Subscription();
      subscriptions.add(reading);
      reading.add(
        socketSource(socket).subscribe({
          next: (chunk) => {
            counters.bytesIn += chunk.length;
            const step = handshake.push(chunk);
            for (const reply of step.replies) socket.write(reply);
            if (step.close !== undefined) {
              reading.unsubscribe();
              // An ABORT is polite; anything else broke the handshake.
              if (!step.close.startsWith('client aborted')) counters.dropped++;
              end();
            } else if (step.startTls) {
              reading.unsubscribe();
              // The ACK goes to the kernel in plaintext before the TLS layer takes the socket over.
              socket.write(EMPTY_BUFFER, (err) => (err ? drop(err) : startTls()));
            } else if (step.done !== undefined) {
              reading.unsubscribe();
              transmit(step.done);
            }
          },
          error: drop,
          complete: () => socket.destroy(),
        }),
      );
    }

    function startTls(): void {
      subscriptions.add(
        acceptTls(plain, ctx.tls!).subscribe({
          next: (secure) => {
            socket = secure;
            secure.on('error', onError);
            handshake.tlsStarted();
            readHandshake();
          },
          error: drop,
        }),
      );
    }

    function transmit(negotiated: Negotiated): void {
      counters.transmitting++;
      const paused$ = new BehaviorSubject(false);
      const replies = new Subject<ReplyUnit>();
      const readBucket = new TokenBucket(model.readBytesPerSecond);
      const writeBucket = new TokenBucket(model.writeBytesPerSecond);
      const disconnectAfter = model.faults?.disconnectAfterBytes ?? Infinity;
      let received = 0;
      let inputWait = false;
      let sinkReady = true;
      let repliesDone = false;
      const receiving = new Subscription();

      const update = () => {
        const p = processor!;
        const paused = inputWait || !sinkReady || p.backlogged;
        if (paused !== paused$.value) paused$.next(paused);
        if (p.disconnecting && p.settled && !repliesDone) {
          repliesDone = true;
          // Stop reading for good, so endSocket can read (and drop) up to the peer's FIN.
          receiving.unsubscribe();
          replies.complete();
        }
      };

      const resumeWhenPaid = () => {
        inputTimer = undefined;
        const wait = readBucket.waitMs();
        if (wait > 0) {
          inputTimer = setTimeout(resumeWhenPaid, wait);
          return;
        }
        inputWait = false;
        update();
      };

      const onChunk = (chunk: Buffer) => {
        counters.bytesIn += chunk.length;
        received += chunk.length;
        if (received > disconnectAfter) {
          // Thrown inside tap: the receive path errors before frame sees these bytes, and `drop` destroys the socket.
          throw new RxbridgeError('RXB_INJECTED_DISCONNECT', `device model: disconnect after ${disconnectAfter} bytes`);
        }
        // The bytes already came; the link's debt holds back the next ones, in the kernel.
        const wait = readBucket.take(chunk.length);
        if (wait > 0 && inputTimer === undefined) {
          inputWait = true;
          inputTimer = setTimeout(resumeWhenPaid, wait);
          update();
        }
      };

      processor = new RequestProcessor(negotiated, {
        model,
        blockSizes: ctx.blockSizes,
        maxReplyBytes: ctx.maxReplyBytes,
        counters,
        reply: (unit) => replies.next(unit),
        changed: update,
      });

      subscriptions.add(
        replies
          .pipe(
            rebuffer<ReplyUnit>(),
            pace(writeBucket, (batch) => batch.bytes),
            socketSink(socket, {
              lowWaterMark: ctx.lowWaterMark ?? DEFAULT_SERVER_LOW_WATER_MARK,
              ready: {
                next: (ready) => {
                  sinkReady = ready;
                  update();
                },
              },
            }),
          )
          .subscribe({
            next: (written) => {
              counters.bytesOut += written.batch.bytes;
              const units = written.batch.units;
              for (let i = 0; i < units.length; i++) processor!.onWritten(units[i]);
            },
            error: drop,
            complete: end,
          }),
      );

      const decoder = new NbdRequestDecoder({ maxPayloadBytes: ctx.maxDiscardBytes });
      const rest = negotiated.rest;
      // The handshake counted these bytes already; onChunk counts them again.
      counters.bytesIn -= rest.length;
      subscriptions.add(receiving);
      // `rest` is emitted during subscribe: `receiving` exists before, so a DISC in it can stop reading.
      receiving.add(
        concat(rest.length > 0 ? of(rest) : EMPTY, socketSource(socket, { paused$ }))
          .pipe(tap(onChunk), frame(decoder))
          .subscribe({
            next: (part) => processor!.onPart(part),
            error: drop,
            complete: () => processor!.endOfRequests(),
          }),
      );
    }

    return () => {
      counters.open--;
      subscriptions.unsubscribe();
      processor?.close();
      if (inputTimer !== undefined) clearTimeout(inputTimer);
      plain.off('close', onClose);
      // onError stays: a late 'error' from the destroyed socket must not be unhandled.
      socket.destroy();
      plain.destroy();
    };
  });
}
